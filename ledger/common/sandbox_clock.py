"""The sandbox test clock (like payment platforms' test clocks): one frozen time every process reads."""
from __future__ import annotations

import datetime as dt

from ledger.shared.checks import checked
from ledger.shared.refusals import Refusal
from ledger.storage.unit_of_work import UnitOfWork, reads_only


@checked
def set_test_clock(moment: dt.datetime | None = None, *, uow: UnitOfWork, sandbox: bool) -> None:
    """Freeze the clock at `moment` (None: back to real time). Sandbox only."""
    if not sandbox:
        raise Refusal("sandbox_off")
    with uow:
        uow.clock.set(moment)
        uow.commit()


@checked
@reads_only
def read_test_clock(*, uow: UnitOfWork) -> dt.datetime | None:
    """The frozen time, or None when the clock runs in real time."""
    with uow:
        return uow.clock.frozen_at()
