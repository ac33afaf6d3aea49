"""ANA premium status (プレミアムメンバー / SFC修行).

- `rules`: tiers and timing (`StatusRules`), and the bundle `PremiumRules` with `fares` (fare tables, segment
  miles) and `carriers` (flight numbers: ANA group or partner)
- `pp`: PP for one flight (segment miles × fare rate × route multiplier + boarding points)
- `tiers`: the crossing engine (when a tier starts); `answers`: now, end, PP to go, what-if, cheapest, SFC
- `model`: a logged `Flight`; `trips`: planned flights for what-if questions
- `flights`: log, list, find, edit and delete flights; `flights_csv`: the CSV import
- `questions`: every status question over the user's logged flights
- `schedules`: schedules said in words as dated trips (毎週土曜, every weekend in December), or a choice
- `planner`: trips to a tier (修行の計画): per fare, the cheapest mix, the start day with a schedule
- `notices`: the status notices a user's flights call for (written with each change, or recomputed)

Nothing here imports `ledger.points`.
"""
from ledger.status import flights, flights_csv, notices, pp, questions

SERVICES = (
    flights.log_flight, flights.flights_for_year, flights.list_flights, flights.flight, flights.find_flights,
    flights.delete_flight, flights.edit_flight,
    flights_csv.import_flights,
    questions.status_start, questions.status_now, questions.pp_earned, questions.status_end, questions.pp_to_go,
    questions.what_if, questions.what_if_schedule,
    questions.what_if_trip, questions.cheapest, questions.cheapest_fares, questions.fares_on_sale,
    questions.sfc_eligible_from, questions.plan_trips,
    pp.compute_pp, notices.recompute_status_notices,
)
"""The services of this domain, bound to their dependencies by `ledger.bootstrap`."""
