"""Every service checks its own input, whoever calls it (an action, the CLI, a hand-made tracker, a test).

`@checked` looks up each parameter of a service by name in `RULES` and checks the value before the service
runs: a user id, an idempotency key, an amount, a day, a bounded text, a list of a bounded length. A value that
does not pass is refused with a reason code (a `Refusal`), and the service never sees it. A service parameter
with no rule is an error at import time, so nothing goes unchecked. Dependencies a service is given by the
composition root (`uow`, `rules`, `clock`, …) are not user input and are not checked here.
"""
from __future__ import annotations

import datetime as dt
import functools
import inspect
import re
from typing import Any, Callable

from ledger.shared.amounts import MAX_AMOUNT, Share
from ledger.shared.refusals import InvalidAmount, Refusal

DEPENDENCIES = frozenset({"uow", "read_uow", "uow_factory", "rules", "clock", "gateway", "sandbox", "card_trust"})
USER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9:_.@\-]{0,127}$")
MAX_KEY = 200            # the idempotency-key columns
MAX_NAME = 100           # a partner, a place, a fare, a tier as typed
MAX_LIST = 200
MAX_CSV_BYTES = 5 * 1024 * 1024
FIRST_YEAR, LAST_YEAR = 2000, 2100
MAX_ROW_ID = 2**31 - 1   # integer primary keys (PostgreSQL int4)
LOCALES = ("en", "ja")

Rule = Callable[[Any], Any]


def shown(value: Any) -> str:
    """What was given, for a refusal's details: at most 40 characters, never an error of its own (a 5,000-digit
    number cannot even be turned into text)."""
    try:
        return str(value)[:40]
    except (ValueError, TypeError, RecursionError):
        return type(value).__name__


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def amount(value: Any) -> int:
    """A whole number of points or miles: 0 < amount ≤ MAX_AMOUNT."""
    if not _whole(value):
        raise InvalidAmount("not_a_number", given=shown(value))
    if value <= 0:
        raise InvalidAmount("not_positive", given=shown(value))
    if value > MAX_AMOUNT:
        raise InvalidAmount("too_large", given=shown(value), maximum=MAX_AMOUNT)
    return value


def wallet(value: Any) -> int:
    """Saison 永久不滅ウォレット to grant: 0 ≤ wallet ≤ MAX_AMOUNT."""
    return 0 if value == 0 and _whole(value) else amount(value)


def whole_in(low: int, high: int, reason: str) -> Rule:
    def rule(value: Any) -> int:
        if not _whole(value) or not low <= value <= high:
            raise Refusal(reason, given=shown(value), minimum=low, maximum=high)
        return value
    return rule


def number_in(low: float, high: float) -> Rule:
    """A real number (a rate, a pause in seconds) in [low, high]; not NaN, not a bool."""
    def rule(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            raise Refusal("bad_input", given=shown(value), minimum=low, maximum=high)
        return float(value)
    return rule


def text(max_length: int, reason: str = "text_too_long") -> Rule:
    """A string of at most `max_length` characters, with no control characters but newlines and tabs."""
    def rule(value: Any) -> str:
        if not isinstance(value, str):
            raise Refusal(reason, given=type(value).__name__, maximum=max_length)
        if len(value) > max_length or any(ch < " " and ch not in "\n\t\r" for ch in value):
            raise Refusal(reason, given=value[:40], maximum=max_length)
        return value
    return rule


def raw_bytes(max_length: int, reason: str) -> Rule:
    """Bytes (a certificate, a signature) of 1 to `max_length`."""
    def rule(value: Any) -> bytes:
        if not isinstance(value, bytes) or not 0 < len(value) <= max_length:
            raise Refusal(reason, given=type(value).__name__, maximum=max_length)
        return value
    return rule


def user_id(value: Any) -> str:
    """What the HTTP API accepts as `user_id` (Telegram users are tg:<id>): 1–128 of A–Z a–z 0–9 : _ . @ -."""
    if not isinstance(value, str) or not USER_ID.match(value):
        raise Refusal("bad_user_id", given=shown(value))
    return value


def key(value: Any) -> str:
    """An idempotency key: 1–200 characters, no spaces or control characters."""
    if not isinstance(value, str) or not 0 < len(value) <= MAX_KEY or not value.isprintable() or " " in value:
        raise Refusal("bad_key", given=shown(value), maximum=MAX_KEY)
    return value


def day(value: Any) -> dt.date:
    """A calendar day (a date, not a time), 2000–2100."""
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime) or not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise Refusal("bad_date", given=shown(value))
    return value


def moment(value: Any) -> dt.datetime:
    """A point in time with its zone, 2000–2100."""
    if not isinstance(value, dt.datetime) or value.tzinfo is None or not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise Refusal("bad_date", given=shown(value))
    return value


def flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise Refusal("bad_input", given=shown(value))
    return value


def locale(value: Any) -> str:
    if value not in LOCALES:
        raise Refusal("bad_locale", given=shown(value), known=list(LOCALES))
    return value


def flight_id(value: Any) -> Any:
    """A flight's id as a button gives it (a number, or its digits); anything else is no flight of this user."""
    if _whole(value) and 0 < value <= MAX_ROW_ID or isinstance(value, str) and value.isdigit() and len(value) <= 9:
        return value
    raise Refusal("flight_not_found", flight_id=shown(value))


def duration(value: Any) -> dt.timedelta:
    if not isinstance(value, dt.timedelta) or value < dt.timedelta(0) or value > dt.timedelta(days=3650):
        raise Refusal("bad_input", given=shown(value))
    return value


def callback(value: Any) -> Any:
    if not callable(value):
        raise Refusal("bad_input", given=type(value).__name__)
    return value


def items(element: Rule, max_items: int = MAX_LIST) -> Rule:
    """A list (or tuple) of at most `max_items` values, each checked by `element`."""
    def rule(value: Any) -> list:
        if not isinstance(value, (list, tuple)) or len(value) > max_items:
            raise Refusal("bad_input", given=type(value).__name__, maximum=max_items)
        return [element(v) for v in value]
    return rule


def row(*fields: Rule) -> Rule:
    """A tuple of fixed length, each position checked by its rule."""
    def rule(value: Any) -> tuple:
        if not isinstance(value, (list, tuple)) or len(value) != len(fields):
            raise Refusal("bad_input", given=type(value).__name__)
        return tuple(check(v) for check, v in zip(fields, value))
    return rule


def carrier(value: Any) -> str:
    if value not in ("ana", "partner"):
        raise Refusal("unknown_carrier", given=shown(value), known=["ana", "partner"])
    return value


def partner_rate(value: Any) -> Any:
    """A partner fare's accrual rate as said: 125, or "125%" (read by ledger.status.pp)."""
    if _whole(value) or isinstance(value, str) and len(value) <= 10:
        return value
    raise Refusal("bad_partner_rate", given=shown(value))


SEGMENT_KEYS = frozenset({"origin", "destination", "fare", "cabin", "carrier", "partner_rate"})


def segment(value: Any) -> dict:
    """A flight's route and fare as the chat or a CSV row gives them."""
    if not isinstance(value, dict) or not set(value) <= SEGMENT_KEYS:
        raise Refusal("bad_input", given=type(value).__name__)
    checks = {k: partner_rate if k == "partner_rate" else text(MAX_NAME) for k in SEGMENT_KEYS}
    return {k: (None if v is None else checks[k](v)) for k, v in value.items()}


def share(value: Any) -> Any:
    """A share of what is held (全部, 半分, "all but 1,000"), as `ledger.shared.amounts.parse_share` reads it."""
    if not isinstance(value, Share) or value.kind not in ("all", "half", "all_but") or not (
            _whole(value.keep) and 0 <= value.keep <= MAX_AMOUNT):
        raise Refusal("bad_input", given=shown(value))
    return value


name = text(MAX_NAME)
RULES: dict[str, Rule] = {
    "share": share,
    "user_id": user_id,
    "idempotency_key": key,
    "quote_key": key,
    "key": text(100_000, "bad_key"),          # a delivery key of any length: it is stored hashed
    "amount": amount,
    "units": amount,              # a number of 口: the same bounds as an amount
    "partner_points": amount,
    "wallet": wallet,
    "premium_points": whole_in(1, 100_000, "pp_out_of_range"),
    "limit": whole_in(1, 500, "bad_input"),
    "lease_seconds": whole_in(1, 3600, "bad_input"),
    "notice_id": whole_in(1, MAX_ROW_ID, "bad_input"),
    "year": whole_in(FIRST_YEAR, LAST_YEAR, "bad_year"),
    "month": whole_in(1, 12, "bad_month"),
    "flight_id": flight_id,
    "partner_id": name,
    "destination": name,
    "account": name,              # which history: reserved | municipal | event
    "kind": name,                 # a notice kind (ledger.common.notices.NOTICE_KINDS)
    "quiet_from": text(5, "bad_quiet_hours"),
    "quiet_to": text(5, "bad_quiet_hours"),
    "pairing_code": text(40, "bad_pairing_code"),
    "password": text(256, "weak_password"),
    "mykey_id_text": text(40, "bad_credentials"),
    "challenge_id": text(64, "challenge_unknown"),
    "certificate": raw_bytes(8192, "bad_certificate"),
    "signature": raw_bytes(1024, "bad_signature"),
    "municipality_text": name,
    "place_text": name,
    "code_text": text(MAX_NAME, "coupon_malformed"),
    "csv_text": text(MAX_CSV_BYTES, "file_too_large"),
    "tier_id": name,
    "fare": name,
    "cabin": name,
    "origin": name,
    "flight_number": name,
    "user_prefix": text(16),
    "claimer": text(40, "bad_input"),
    "channel": name,
    "per_second": number_in(0.01, 1000),
    "slots": whole_in(1, 100, "bad_input"),
    "pause_seconds": number_in(0, 3600),
    "permanent": flag,
    "counts": flag,
    "uncertain": flag,
    "spoken": flag,
    "reachable": flag,
    "notice_ids": items(whole_in(1, MAX_ROW_ID, "bad_input"), 500),
    "user_ids": items(user_id, 1000),
    "locale": locale,
    "flown_on": day,
    "on": day,
    "day": day,
    "moment": moment,
    "carrier": carrier,
    "partner_rate": partner_rate,
    "ana_group": flag,
    "round_trip": flag,
    "segment": segment,
    "flights": items(row(day, whole_in(1, 100_000, "pp_out_of_range"), flag)),
    "airports": items(name, 20),
    "days": items(day, 20),
    "schedule": items(day, 200),
    "fares": items(name, 20),
    "options": items(row(name, whole_in(1, 100_000, "pp_out_of_range"), whole_in(1, 100_000_000, "yen_out_of_range"))),
    "priced_fares": items(row(name, whole_in(1, 100_000_000, "yen_out_of_range")), 20),
    "older_than": duration,
    "give_up_after": duration,
    "hook": callback,
    "progress": callback,
}


def checked(service: Callable) -> Callable:
    """Check every argument of `service` by its name (`RULES`) before it runs; `None` passes where the parameter's
    default is None. Raises TypeError at import time for a parameter without a rule."""
    signature = inspect.signature(service)
    rules = {}
    for param_name, param in signature.parameters.items():
        if param_name in DEPENDENCIES:
            continue
        if param_name not in RULES:
            raise TypeError(f"{service.__qualname__}: no input rule for parameter {param_name!r}")
        rules[param_name] = (RULES[param_name], param.default is None or "None" in str(param.annotation))

    @functools.wraps(service)
    def with_checks(*args, **kwargs):
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise Refusal("bad_input", given=str(exc)[:80]) from None
        for param_name, value in bound.arguments.items():
            if param_name in rules:
                rule, optional = rules[param_name]
                if not (value is None and optional):
                    bound.arguments[param_name] = rule(value)
        return service(*bound.args, **bound.kwargs)

    return with_checks
