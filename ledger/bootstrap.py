"""The composition root: settings → engine → units of work, rules, clock and partner gateway → every service.

Every entrypoint (action server, bot, HTTP API, CLI, tests) calls `bootstrap()` once and uses the `Ledger`
it returns; nothing else creates engines or sessions. Services are plain functions that take the user's
values and, keyword-only, what they depend on (`uow`, `read_uow`, `uow_factory`, `rules`, `clock`, `gateway`,
`sandbox`); `Ledger` binds each one to those by parameter name (cosmicpython's `inject_dependencies`), so
`ledger.balance(user_id)` calls `ledger.points.conversion.balance(user_id, uow=…, gateway=…)`. A service marked
`reads_only` gets a read-only unit of work.
"""
from __future__ import annotations

import datetime as dt
import functools
import inspect
from dataclasses import dataclass
from typing import Any, Callable

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from ledger import common, points, status
from ledger.common.card_login import CardTrust
from ledger.common.card_trust import load_card_trust
from ledger.common.installation import installation_sandbox
from ledger.common.sandbox_clock import read_test_clock
from ledger.config import Settings
from ledger.points.partners import PartnerGateway, SandboxPartnerGateway
from ledger.rules import Rules, default_rules
from ledger.shared.clock import Clock
from ledger.storage import db
from ledger.storage.unit_of_work import UnitOfWork

SERVICES: tuple[Callable, ...] = (*points.SERVICES, *status.SERVICES, *common.SERVICES)
_repeated = sorted({s.__name__ for s in SERVICES if [t.__name__ for t in SERVICES].count(s.__name__) > 1})
if _repeated:  # a service is reached by its name on the Ledger: two of one name would hide one
    raise RuntimeError(f"services with the same name: {_repeated}")


def bind(service: Callable, providers: dict[str, Callable[[bool], Any]]) -> Callable:
    """`service` with its keyword-only dependencies filled in at each call (a caller's own value wins); the
    bound function keeps its name, docstring and the signature the caller sees."""
    signature = inspect.signature(service)
    injected = [name for name, p in signature.parameters.items()
                if p.kind is inspect.Parameter.KEYWORD_ONLY and name in providers]
    read_only = getattr(service, "reads_only", False)

    @functools.wraps(service)
    def bound(*args, **kwargs):
        for name in injected:
            if name not in kwargs:
                kwargs[name] = providers[name](read_only)
        return service(*args, **kwargs)

    bound.__signature__ = signature.replace(
        parameters=[p for name, p in signature.parameters.items() if name not in injected])
    return bound


@dataclass
class Ledger:
    """Every service of both domains with its dependencies bound: callers pass only the user's values.

    Built anew from its fields (`dataclasses.replace(ledger, gateway=…)` gives a ledger whose services use
    that gateway).
    """

    settings: Settings
    engine: Engine
    rules: Rules
    clock: Clock
    gateway: PartnerGateway
    uow_factory: sessionmaker
    read_uow_factory: sessionmaker
    sandbox: bool = False          # this database's mode (ledger.common.installation), not the environment's
    card_trust: CardTrust | None = None   # what card logins are checked against (built on first use)

    def __post_init__(self) -> None:
        providers: dict[str, Callable[[bool], Any]] = {
            "uow": lambda read_only: self.read_uow() if read_only else self.uow(),
            "read_uow": lambda _: self.read_uow(),
            "uow_factory": lambda _: self.uow,
            "rules": lambda _: self.rules,
            "clock": lambda _: self.clock,
            "gateway": lambda _: self.gateway,
            "sandbox": lambda _: self.sandbox,
            "card_trust": lambda _: self.trust(),
        }
        for service in SERVICES:
            setattr(self, service.__name__, bind(service, providers))

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.uow_factory)

    def trust(self) -> CardTrust:
        """The CA certificates, revocation and salt card logins are checked against (read once, when first needed)."""
        if self.card_trust is None:
            self.card_trust = load_card_trust(self.settings, self.sandbox)
        return self.card_trust

    def read_uow(self) -> UnitOfWork:
        """For services that only read: they neither wait for writers nor hold them up (a status question or a
        quote waiting on a slow partner API does not stop other users' writes on SQLite)."""
        return UnitOfWork(self.read_uow_factory)

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
        from ledger.points.http_partner import HttpPartnerGateway

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
        """The sandbox test clock, read on every call so every process sees the same time; on a read-only
        session, so it never waits for (or blocks) a writer."""
        return read_test_clock(uow=UnitOfWork(read_only))

    sandbox = installation_sandbox(settings.sandbox, uow=UnitOfWork(factory))
    clock = Clock(frozen=frozen if sandbox else None)
    return Ledger(settings=settings, engine=engine, rules=rules or default_rules(), clock=clock,
                  gateway=gateway or make_gateway(settings), uow_factory=factory, read_uow_factory=read_only,
                  sandbox=sandbox)
