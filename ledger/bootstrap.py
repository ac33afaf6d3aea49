"""The composition root: settings → engine → unit of work, rules, clock and partner gateway.

Every entrypoint (action server, bot, HTTP API, CLI, tests) calls `bootstrap()` once and uses
the `Ledger` it returns; nothing else creates engines or sessions.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Engine

from ledger import db, exchanges, pp, services
from ledger.clock import Clock
from ledger.config import Settings
from ledger.partners import PartnerGateway, SandboxPartnerGateway
from ledger.rules import Rules, default_rules
from ledger.unit_of_work import UnitOfWork


@dataclass
class Ledger:
    """Services with their dependencies bound: callers pass only the user's values."""

    settings: Settings
    engine: Engine
    rules: Rules
    clock: Clock
    gateway: PartnerGateway
    uow_factory: object
    read_uow_factory: object = None   # sessions that only read: on SQLite a plain BEGIN, never the write lock

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.uow_factory)

    def read_uow(self) -> UnitOfWork:
        """For services that only read: they neither wait for writers nor hold them up (a status question or a
        quote waiting on a slow partner API does not stop other users' writes on SQLite)."""
        return UnitOfWork(self.read_uow_factory or self.uow_factory)

    # points
    def quote_conversion(self, user_id: str, partner: str, amount: int, destination: str | None = None):
        return services.quote_conversion(user_id, partner, amount, uow=self.read_uow(), rules=self.rules,
                                         gateway=self.gateway, clock=self.clock, destination=destination)

    def convert_points(self, user_id: str, partner: str, amount: int, idempotency_key: str,
                       destination: str | None = None):
        return services.convert_points(user_id, partner, amount, idempotency_key, uow=self.uow(), rules=self.rules,
                                       gateway=self.gateway, clock=self.clock, destination=destination,
                                       read_uow=self.read_uow())

    def balance(self, user_id: str):
        return services.get_balance(user_id, uow=self.read_uow(), gateway=self.gateway)

    def best_route(self, user_id: str, partner: str, amount: int) -> dict:
        return services.best_route(user_id, partner, amount, uow=self.read_uow(), rules=self.rules, gateway=self.gateway,
                                   clock=self.clock)

    def history(self, user_id: str, limit: int = 10) -> list[dict]:
        return services.history(user_id, uow=self.read_uow(), limit=limit)

    # coupons
    def redeem_coupon(self, user_id: str, code: str, idempotency_key: str) -> dict:
        return services.redeem_coupon(user_id, code, idempotency_key, uow=self.uow(), rules=self.rules,
                                      clock=self.clock)

    # reserved points → municipalities and events
    def find_municipalities(self, text: str):
        return services.find_municipalities(text, rules=self.rules)

    def events_open(self, on: dt.date | None = None):
        day = on or self.clock.today()
        return [e for e in self.rules.events.values() if e.open_on(day)]

    def set_home_municipality(self, user_id: str, municipality: str) -> dict:
        return services.set_home_municipality(user_id, municipality, uow=self.uow(), rules=self.rules,
                                              clock=self.clock)

    def move_reserved(self, user_id: str, destination: str, amount: int | None, idempotency_key: str) -> dict:
        return services.move_reserved(user_id, destination, amount, idempotency_key, uow=self.uow(),
                                      rules=self.rules, clock=self.clock)

    def reserved_schedule(self, user_id: str) -> dict:
        return services.reserved_schedule(user_id, uow=self.uow(), rules=self.rules)

    def run_reserved_auto_moves(self) -> dict:
        return services.run_reserved_auto_moves(uow_factory=self.uow, rules=self.rules, clock=self.clock)

    def notices_for(self, user_id: str) -> list[dict]:
        return services.notices_for(user_id, uow=self.uow())

    def claim_due_notices(self, limit: int = 50, user_prefix: str = "") -> list[dict]:
        return services.claim_due_notices(uow=self.uow(), clock=self.clock, limit=limit, user_prefix=user_prefix)

    def mark_notice_sent(self, notice_id: int) -> None:
        services.mark_notice_sent(notice_id, uow=self.uow(), clock=self.clock)

    def take_notices(self, user_id: str) -> list[dict]:
        return services.take_notices(user_id, uow=self.uow(), clock=self.clock)

    def remember_locale(self, user_id: str, locale: str) -> None:
        services.remember_locale(user_id, locale, uow=self.uow(), clock=self.clock)

    def user_locale(self, user_id: str) -> str | None:
        return services.user_locale(user_id, uow=self.read_uow())

    # ID linkage
    def request_link(self, user_id: str, partner: str) -> dict:
        return services.request_link(user_id, partner, uow=self.uow(), rules=self.rules, clock=self.clock)

    def unlink(self, user_id: str, partner: str) -> dict:
        return services.unlink(user_id, partner, uow=self.uow(), rules=self.rules, clock=self.clock)

    def link_statuses(self, user_id: str) -> dict[str, dict]:
        return services.link_statuses(user_id, uow=self.read_uow(), rules=self.rules, clock=self.clock)

    # status
    def log_flight(self, user_id: str, flown_on: dt.date, premium_points: int | None, idempotency_key: str,
                   ana_group: bool = True, segment: dict | None = None, flight_number: str | None = None):
        """(facts, created); facts carry flight_id, flight_number, origin, destination, fare, year_pp."""
        return services.log_flight(user_id, flown_on, premium_points, idempotency_key, uow=self.uow(),
                                   clock=self.clock, ana_group=ana_group, rules=self.rules, segment=segment,
                                   flight_number=flight_number)

    def flights_for_year(self, user_id: str, year: int):
        """Plain `FlightPP` values (flown_on, premium_points, ana_group) for live flights flown in `year`."""
        return services.flights_for_year(user_id, year, uow=self.read_uow())

    def list_flights(self, user_id: str, year: int | None = None) -> list[dict]:
        """Live flights of `year` (default this year, Tokyo), oldest first: {"flight_id", "flown_on", "pp",
        "ana_group", "flight_number", "origin", "destination", "fare"}."""
        return services.list_flights(user_id, year, uow=self.read_uow(), clock=self.clock)

    def flight(self, user_id: str, flight_id) -> dict | None:
        """The user's live flight `flight_id` (same dict as list_flights), or None."""
        return services.flight(user_id, flight_id, uow=self.read_uow())

    def find_flights(self, user_id: str, on: dt.date | None = None, flight_number: str | None = None) -> list[dict]:
        """Live flights flown on `on` and/or numbered `flight_number`, any year, newest first (same dicts)."""
        return services.find_flights(user_id, on, flight_number, uow=self.read_uow(), rules=self.rules)

    def delete_flight(self, user_id: str, flight_id: int, idempotency_key: str) -> dict:
        """{"kind": "flight_deleted", "flight", "year", "year_pp"}; Refusal flight_not_found."""
        return services.delete_flight(user_id, flight_id, idempotency_key, uow=self.uow(), clock=self.clock)

    def edit_flight(self, user_id: str, flight_id: int, idempotency_key: str, *, premium_points: int | None = None,
                    fare: str | None = None, flown_on: dt.date | None = None) -> dict:
        """{"kind": "flight_edited", "before", "after", "year", "year_pp"}; a new fare recomputes the PP."""
        return services.edit_flight(user_id, flight_id, idempotency_key, uow=self.uow(), clock=self.clock,
                                    rules=self.rules, premium_points=premium_points, fare=fare, flown_on=flown_on)

    def status_start(self, user_id: str, tier: str | None, year: int | None = None):
        return services.status_start(user_id, tier, uow=self.read_uow(), rules=self.rules, clock=self.clock, year=year)

    def status_now(self, user_id: str, on: dt.date | None = None):
        return services.status_now(user_id, uow=self.read_uow(), rules=self.rules, clock=self.clock, on=on)

    def status_end(self, user_id: str, tier: str | None = None, on: dt.date | None = None):
        return services.status_end(user_id, tier, uow=self.read_uow(), rules=self.rules, clock=self.clock, on=on)

    def pp_to_go(self, user_id: str, tier: str | None = None, year: int | None = None) -> dict:
        return services.pp_to_go(user_id, tier, uow=self.read_uow(), rules=self.rules, clock=self.clock, year=year)

    def what_if(self, user_id: str, flights: list[tuple[dt.date, int, bool]], tier: str | None = None):
        return services.what_if(user_id, flights, tier, uow=self.read_uow(), rules=self.rules, clock=self.clock)

    def cheapest(self, options: list[tuple[str, int, int]]) -> dict:
        return services.cheapest(options)

    def compute_pp(self, origin: str, destination: str, flown_on: dt.date, fare: str | None, cabin: str | None = None):
        """One ANA-group flight's PP from route and fare (nothing stored); refuses an unknown route or fare."""
        return pp.compute_pp(origin, destination, flown_on, fare, cabin=cabin, rules=self.rules)

    def sfc_eligible_from(self, user_id: str, on: dt.date | None = None):
        return services.sfc_eligible_from(user_id, uow=self.read_uow(), rules=self.rules, clock=self.clock, on=on)

    def claim_request(self, key: str) -> bool:
        return services.claim_request(key, uow=self.uow(), clock=self.clock)

    # sandbox
    def sandbox_grant(self, user_id: str, partner: str, amount: int, wallet: int = 0) -> int:
        return services.sandbox_grant(user_id, partner, amount, wallet, uow=self.uow(), rules=self.rules,
                                      gateway=self.gateway, clock=self.clock, sandbox=self.settings.sandbox)

    def sandbox_issue_coupon(self, partner: str, partner_points: int) -> dict:
        return services.sandbox_issue_coupon(partner, partner_points, uow=self.uow(), rules=self.rules,
                                             clock=self.clock, sandbox=self.settings.sandbox)

    def sandbox_link(self, user_id: str, partner: str) -> None:
        services.sandbox_link(user_id, partner, uow=self.uow(), rules=self.rules, clock=self.clock,
                              sandbox=self.settings.sandbox)

    def set_test_clock(self, moment: dt.datetime | None) -> None:
        services.set_test_clock(moment, uow=self.uow(), sandbox=self.settings.sandbox)

    # exchange saga
    def recover_exchanges(self, older_than: dt.timedelta = exchanges.RECOVER_AFTER) -> exchanges.Recovery:
        """Finish or reverse exchanges a partner timeout or a dead process left unfinished."""
        return exchanges.recover_exchanges(uow=self.uow(), gateway=self.gateway, clock=self.clock,
                                           older_than=older_than)

    def database_ok(self) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(text("SELECT 1")).scalar() == 1

    def dispose(self) -> None:
        self.engine.dispose()
        if hasattr(self.gateway, "close"):
            self.gateway.close()


def make_gateway(settings: Settings) -> PartnerGateway:
    """The partner's HTTP API when POINTSBOT_PARTNER_URL is set, else the sandbox partner in our database."""
    if settings.partner_url:
        from ledger.http_partner import HttpPartnerGateway

        return HttpPartnerGateway(settings.partner_url, token=settings.partner_token)
    return SandboxPartnerGateway()


def bootstrap(settings: Settings | None = None, *, migrate: bool = True, rules: Rules | None = None,
              gateway: PartnerGateway | None = None) -> Ledger:
    settings = settings or Settings.from_env()
    if migrate:
        db.migrate(settings.database_url)
    engine = db.make_engine(settings.database_url)
    factory = db.session_factory(engine)
    read_only = db.session_factory(engine.execution_options(read_only=True))

    def frozen() -> dt.datetime | None:
        """The sandbox test clock, read on every call so every process sees the same time.

        Read on a read-only session, so it never waits for (or blocks) a writer.
        """
        return services.read_test_clock(uow=UnitOfWork(read_only))

    clock = Clock(frozen=frozen if settings.sandbox else None)
    return Ledger(settings=settings, engine=engine, rules=rules or default_rules(), clock=clock,
                  gateway=gateway or make_gateway(settings), uow_factory=factory, read_uow_factory=read_only)
