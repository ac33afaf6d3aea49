"""Storage: engines and migrations (`db`), the tables (`orm`), the only code that builds queries
(`repositories` for what both sides use, `points_repositories`, `flight_repositories`) and the unit of work that
hands them to services (`unit_of_work`).

Nothing here knows a domain rule; services in `ledger.points` and `ledger.status` take a unit of work.
"""
