"""Redeeming coupon codes (クーポンコード) for reserved points: single use, until they expire, and wrong codes
count against the user (guessing is rate-limited). The code's format is in `coupon_codes`."""
from __future__ import annotations

import datetime as dt
import json

from ledger.points import coupon_codes
from ledger.points.model import RESERVED, CouponRedeemed
from ledger.points.rules import PointsRules
from ledger.points.sessions import require_login
from ledger.shared.checks import checked
from ledger.shared.clock import TOKYO, Clock, as_utc
from ledger.shared.refusals import Refusal
from ledger.storage.unit_of_work import UnitOfWork


def _lock(uow: UnitOfWork, user_id: str, rules: PointsRules, now: dt.datetime) -> tuple[dt.datetime | None, int]:
    """(locked until, failures so far) from the user's recent attempts; a success resets the count."""
    policy = rules.coupons
    attempts = uow.coupons.recent_attempts(user_id, now - dt.timedelta(minutes=policy.failure_window_minutes
                                                                        + policy.lock_minutes))
    failures: list[dt.datetime] = []
    for at, ok in attempts:  # newest first
        if ok:
            break
        failures.append(at)
    in_window = [at for at in failures if at >= failures[0] - dt.timedelta(minutes=policy.failure_window_minutes)] \
        if failures else []
    if len(in_window) >= policy.max_failures:
        until = failures[0] + dt.timedelta(minutes=policy.lock_minutes)
        if now < until:
            return until, len(in_window)
        return None, 0
    recent = [at for at in failures if at >= now - dt.timedelta(minutes=policy.failure_window_minutes)]
    return None, len(recent)


@checked
def redeem_coupon(user_id: str, code_text: str, idempotency_key: str, *, uow: UnitOfWork, rules: PointsRules,
                  clock: Clock, sandbox: bool) -> CouponRedeemed:
    """Redeem a coupon code for reserved points (留保ポイント): single use, until it expires.

    Wrong codes count against the user: after `max_failures` within the window, redeeming locks
    for `lock_minutes` (told in plain words with the time it opens again).
    """
    now = clock.now()
    policy = rules.coupons
    with uow:
        require_login(uow, user_id, now, sandbox)
        uow.lock_user(user_id)
        done = uow.journal.find(idempotency_key)
        if done is not None and done.user_id == user_id:
            return CouponRedeemed.from_facts(json.loads(done.details))
        until, failures = _lock(uow, user_id, rules, now)
        if until is not None:
            raise Refusal("coupon_locked", until=until.isoformat(),
                          minutes=max(1, int((until - now).total_seconds() + 59) // 60))
        code = coupon_codes.read_code(code_text)
        if code is None:
            raise Refusal("coupon_malformed", given=code_text[:40])
        shown = str(code)

        def fail(reason: str, **details) -> Refusal:
            uow.coupons.record_attempt(user_id, now, ok=False)
            uow.commit()
            left = policy.max_failures - failures - 1
            if left <= 0:
                lock_until = now + dt.timedelta(minutes=policy.lock_minutes)
                return Refusal("coupon_locked", until=lock_until.isoformat(), minutes=policy.lock_minutes)
            return Refusal(reason, code=shown, attempts_left=left, lock_minutes=policy.lock_minutes, **details)

        if not code.check_ok:
            raise fail("coupon_check_digit")
        coupon = uow.coupons.get(shown)
        if coupon is None or rules.coupon_partner(code.prefix) is None or (coupon.sandbox and not sandbox):
            raise fail("coupon_unknown")  # a sandbox coupon does not exist for a production database
        if coupon.redeemed_by is not None:
            if coupon.redeemed_by == user_id:
                raise Refusal("coupon_used", code=shown)  # their own again: not a guess
            raise fail("coupon_used")
        if now >= as_utc(coupon.expires_at):
            raise fail("coupon_expired", expired_on=as_utc(coupon.expires_at).astimezone(TOKYO).date().isoformat())
        if not uow.coupons.claim(shown, user_id, now):
            raise fail("coupon_used")
        uow.coupons.record_attempt(user_id, now, ok=True)
        redeemed = CouponRedeemed(code=shown, partner=coupon.partner, from_amount=coupon.partner_points,
                                  to_amount=coupon.reserved_points)
        uow.journal.add(user_id=user_id, kind="coupon", idempotency_key=idempotency_key, at=now,
                        details=redeemed.facts(), entries=[(RESERVED, coupon.reserved_points)])
        uow.commit()
        return redeemed
