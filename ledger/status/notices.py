"""Status notices (通知), written with their cause: whenever a user's flights change (logged, edited, deleted,
imported), the notices that follow from them are worked out again in the same transaction — a notice that no
longer holds is withdrawn, one whose day moved is moved, and a sent one is never touched.

- `advance_service_starts`: the morning of the day the status shows (事前サービス開始日);
- `main_status_starts`: the morning of April 1 when the main status year begins;
- `status_card_due`: the morning the status card should have arrived (the end of ANA's 2–3 weeks);
- `partner_pp_credited`: the morning a partner flight's PP should have been credited by (the end of the window).
Days, windows and the morning hour are the rules data's (`status.yml`); notices for days already past are not
written (a flight logged years later announces nothing that is over).
"""
from __future__ import annotations

import datetime as dt

from ledger.shared.checks import checked
from ledger.shared.clock import TOKYO, Clock
from ledger.status.rules import PremiumRules
from ledger.status.tiers import FlightPP, status_start
from ledger.storage.unit_of_work import UnitOfWork

KINDS = ("advance_service_starts", "main_status_starts", "status_card_due", "partner_pp_credited")


def _morning(day: dt.date, hour: int) -> dt.datetime:
    """`hour` o'clock in Tokyo on `day`, in UTC (as every time is stored)."""
    return dt.datetime.combine(day, dt.time(hour), tzinfo=TOKYO).astimezone(dt.timezone.utc)


def wanted_notices(user_id: str, flights: list[FlightPP], rules: PremiumRules,
                   today: dt.date) -> dict[str, tuple[str, dt.datetime, dict]]:
    """dedupe key → (kind, due, payload) of every status notice the flights call for, from `today` on."""
    hour = rules.status.notice_hour
    wanted: dict[str, tuple[str, dt.datetime, dict]] = {}

    def want(kind: str, day: dt.date, payload: dict, *key: object) -> None:
        if day >= today:
            wanted[":".join([kind, user_id, *map(str, key)])] = (kind, _morning(day, hour), payload)

    for year in sorted({f.flown_on.year for f in flights}):
        for tier in rules.status.tiers:
            start = status_start(flights, tier, year, rules.status)
            if not start.reached:
                continue
            shown_by = start.advance_service_by or start.advance_service_from
            facts = {"tier": tier.id, "year": year, "advance_service_from": start.advance_service_from.isoformat(),
                     "advance_service_by": shown_by.isoformat(),
                     "main_status_from": start.main_status_from.isoformat(),
                     "main_status_until": start.main_status_until.isoformat()}
            want("advance_service_starts", shown_by, facts, tier.id, year, shown_by)
            want("main_status_starts", start.main_status_from, facts, tier.id, year)
            if start.card_expected:
                want("status_card_due", start.card_expected[1],
                     facts | {"card_expected_by": start.card_expected[1].isoformat()}, tier.id, year,
                     start.card_expected[1])
    late = rules.status.partner_credit_days[1]
    for flight in flights:
        if not flight.ana_group:
            due = flight.flown_on + dt.timedelta(days=late)
            want("partner_pp_credited", due, {"flown_on": flight.flown_on.isoformat(), "pp": flight.premium_points},
                 flight.flown_on, flight.premium_points)
    return wanted


def reschedule(uow: UnitOfWork, user_id: str, rules: PremiumRules, now: dt.datetime) -> None:
    """Inside the caller's unit of work: withdraw the unsent status notices that no longer hold, write the new."""
    flights = [FlightPP(f.flown_on, f.premium_points, f.ana_group) for f in uow.flights.for_user(user_id)]
    wanted = wanted_notices(user_id, flights, rules, now.astimezone(TOKYO).date())
    uow.notices.withdraw_unsent(user_id, KINDS, keep=set(wanted))
    for key, (kind, due, payload) in wanted.items():
        uow.notices.add_once(user_id=user_id, kind=kind, dedupe_key=key, payload=payload, due_at=due, at=now)


@checked
def recompute_status_notices(user_ids: list, *, uow: UnitOfWork, rules: PremiumRules, clock: Clock) -> int:
    """Work the status notices of these users out again in one unit of work (after the rules data changed, or to
    schedule many users at once); the number of notices they have open afterwards."""
    now = clock.now()
    with uow:
        for user_id in user_ids:
            reschedule(uow, user_id, rules, now)
        uow.commit()
        return sum(1 for user_id in user_ids for n in uow.notices.open_for(user_id) if n.kind in KINDS)
