"""Whether this database is a sandbox: a property of the database, decided once, when it is created.

The first process to open an empty database records the mode its settings ask for (`POINTSBOT_SANDBOX`, on by
default for `make run` and `make serve`). From then on the database decides: a production database refuses every
sandbox command (grants, instant links, coupons, the test clock) whatever a later process's environment says.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy.exc import IntegrityError

from ledger.storage.unit_of_work import UnitOfWork


def installation_sandbox(wanted: bool, *, uow: UnitOfWork) -> bool:
    """This database's mode: recorded as `wanted` if it has none yet (a new database), else as recorded."""
    with uow:
        recorded = uow.installation.sandbox()
        if recorded is not None:
            return recorded
        try:
            uow.installation.record(wanted, dt.datetime.now(dt.timezone.utc))
            uow.commit()
        except IntegrityError:  # another process created it first: theirs stands
            uow.rollback()
        return bool(uow.installation.sandbox())
