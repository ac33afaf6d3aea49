"""Reserved points (留保ポイント): moved by the user to a municipality's points or a 特定支援イベント, or — left
alone for 14 days — moved to the home municipality (基本自治体) chosen at registration, announced first.
Moves are one-way."""
from __future__ import annotations

import datetime as dt
import json
from typing import Callable

from ledger.points.model import RESERVED, Move
from ledger.points.rules import Event, Municipality, PointsRules
from ledger.points.sessions import require_login
from ledger.shared.checks import checked
from ledger.shared.clock import TOKYO, Clock
from ledger.shared.refusals import Refusal
from ledger.storage.unit_of_work import UnitOfWork, reads_only


@checked
def find_municipalities(place_text: str, *, rules: PointsRules) -> list[Municipality]:
    """Municipalities named by `place_text`: a prefecture (都道府県) lists its municipalities; a name finds one."""
    prefecture = rules.find_prefecture(place_text)
    if prefecture is not None:
        return rules.municipalities_in(prefecture)
    municipality = rules.find_municipality(place_text)
    return [municipality] if municipality else []


@checked
def events_open(on: dt.date | None = None, *, rules: PointsRules, clock: Clock) -> list[Event]:
    """The 特定支援イベント taking reserved points on `on` (default: today in Tokyo)."""
    day = on or clock.today()
    return [e for e in rules.events.values() if e.open_on(day)]


@checked
def set_home_municipality(user_id: str, municipality_text: str, *, uow: UnitOfWork, rules: PointsRules,
                          clock: Clock) -> dict:
    """The home municipality (基本自治体) unmoved reserved points go to after 14 days."""
    municipality = rules.find_municipality(municipality_text)
    if municipality is None:
        raise Refusal("unknown_municipality", given=municipality_text)
    now = clock.now()
    with uow:
        uow.lock_user(user_id)
        uow.profiles.set_home_municipality(user_id, municipality.id, now)
        uow.commit()
    return {"kind": "home_municipality", "municipality": municipality.id, "verified": municipality.verified,
            "status": "done"}


def _checked_move(uow: UnitOfWork, user_id: str, destination: str, amount: int | None, *, rules: PointsRules,
                  today: dt.date) -> Move:
    """The move of `amount` reserved points (None: all of them) to `destination`, every check made once:
    a known municipality or an open event, a whole positive amount, no more than the user holds."""
    municipality = rules.find_municipality(destination)
    event = None if municipality else rules.find_event(destination)
    if municipality is None and event is None:
        raise Refusal("unknown_municipality", given=str(destination)[:40])
    if event is not None and not event.open_on(today):
        raise Refusal("event_closed", event=event.id, on=today.isoformat(), valid_from=event.valid_from.isoformat(),
                      valid_until=event.valid_until.isoformat())
    reserved = uow.journal.balances(user_id).get(RESERVED, 0)
    if reserved <= 0:
        raise Refusal("nothing_reserved")
    amount = reserved if amount is None else amount
    if amount > reserved:
        raise Refusal("not_enough_reserved", available=reserved, given=amount)
    check = rules.check(today, reserved=True)
    if municipality is not None:
        return Move(to=f"municipal:{municipality.id}", amount=amount, verified=municipality.verified,
                    municipality=municipality.id, rule_check=check)
    return Move(to=f"event:{event.id}", amount=amount, verified=event.verified, event=event.id, rule_check=check)


@checked
@reads_only
def quote_move(user_id: str, destination: str, amount: int | None = None, *, uow: UnitOfWork, rules: PointsRules,
               clock: Clock) -> Move:
    """What moving `amount` reserved points (None: all) to `destination` will do, before the user confirms."""
    today = clock.today()
    with uow:
        return _checked_move(uow, user_id, destination, amount, rules=rules, today=today)


@checked
def move_reserved(user_id: str, destination: str, amount: int | None, idempotency_key: str, *, uow: UnitOfWork,
                  rules: PointsRules, clock: Clock, sandbox: bool) -> Move:
    """Move reserved points (留保ポイント) to a municipality's points or a 特定支援イベント. One-way.

    `amount` None moves all of them. The same key again gives the same move, once.
    """
    now = clock.now()
    with uow:
        require_login(uow, user_id, now, sandbox)
        uow.lock_user(user_id)
        done = uow.journal.find(idempotency_key)
        if done is not None and done.user_id == user_id:
            return Move.from_facts(json.loads(done.details))
        move = _checked_move(uow, user_id, destination, amount, rules=rules, today=now.astimezone(TOKYO).date())
        uow.journal.add(user_id=user_id, kind="move", idempotency_key=idempotency_key, at=now, details=move.facts(),
                        entries=[(RESERVED, -move.amount), (move.to, move.amount)])
        uow.commit()
        return move


def _reserved_lots(uow: UnitOfWork, user_id: str) -> list[tuple[int, dt.datetime, int]]:
    """Reserved credits still unmoved, oldest first: moves take the oldest points first (FIFO)."""
    entries = uow.journal.account_entries(user_id, RESERVED)
    taken = -sum(amount for _, _, amount in entries if amount < 0)
    lots = []
    for tid, at, amount in entries:
        if amount <= 0:
            continue
        used = min(amount, taken)
        taken -= used
        if amount - used:
            lots.append((tid, at, amount - used))
    return lots


def _auto_move_day(rules: PointsRules, credited_at: dt.datetime) -> dt.date:
    return credited_at.astimezone(TOKYO).date() + dt.timedelta(days=rules.reserved.auto_move_after_days)


@checked
@reads_only
def reserved_schedule(user_id: str, *, uow: UnitOfWork, rules: PointsRules) -> dict:
    """When each unmoved lot of reserved points moves to the home municipality (基本自治体)."""
    with uow:
        lots = _reserved_lots(uow, user_id)
        home = uow.profiles.home_municipality(user_id)
    return {"kind": "reserved_schedule", "home_municipality": home,
            "lots": [{"amount": amount, "credited_on": at.astimezone(TOKYO).date().isoformat(),
                      "moves_on": _auto_move_day(rules, at).isoformat()} for _, at, amount in lots]}


@checked
def run_reserved_auto_moves(*, uow_factory: Callable[[], UnitOfWork], rules: PointsRules, clock: Clock) -> dict:
    """The daily job: announce, then carry out, the 14-day move of unmoved reserved points.

    A lot due within `notice_days_before` days gets a notice first (once); a lot past its day moves
    to the home municipality with a notice. Without a home municipality the user is asked to pick one.
    Every write carries a key, so running the job twice (or in two processes) changes nothing more.
    """
    now = clock.now()
    today = now.astimezone(TOKYO).date()
    with uow_factory() as uow:
        users = uow.journal.users_with_balance(RESERVED)
    moved = announced = 0
    for user_id in users:
        with uow_factory() as uow:
            uow.lock_user(user_id)
            home = uow.profiles.home_municipality(user_id)
            for tid, at, amount in _reserved_lots(uow, user_id):
                day = _auto_move_day(rules, at)
                payload = {"amount": amount, "moves_on": day.isoformat(), "municipality": home,
                           "credited_on": at.astimezone(TOKYO).date().isoformat()}
                if day <= today and home is not None:
                    key = f"auto-move:{tid}"
                    move = Move(to=f"municipal:{home}", amount=amount, verified=True, municipality=home, automatic=True)
                    uow.journal.add(user_id=user_id, kind="auto_move", idempotency_key=key, at=now,
                                    details=move.facts(), entries=[(RESERVED, -amount), (move.to, amount)])
                    uow.notices.add_once(user_id=user_id, kind="reserved_moved", dedupe_key=key, payload=payload,
                                         due_at=now, at=now)
                    moved += amount
                elif day - dt.timedelta(days=rules.reserved.notice_days_before) <= today:
                    kind = "reserved_move_soon" if home else "reserved_needs_home"
                    if uow.notices.add_once(user_id=user_id, kind=kind, dedupe_key=f"{kind}:{tid}", payload=payload,
                                            due_at=now, at=now):
                        announced += 1
            uow.commit()
    return {"kind": "auto_moves", "users": len(users), "moved": moved, "announced": announced}
