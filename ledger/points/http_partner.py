"""A partner program reached over HTTP (httpx), behind the same `PartnerGateway` as the sandbox.

The partner API this adapter speaks (the local fake in tests/fake_partner.py serves it):

    GET  /v1/users/{user}/balances        → 200 {"balances": {"jal": {"points": 5000, "wallet": 0}, …}}
    POST /v1/debits                       {"user", "partner", "points", "wallet"}, header Idempotency-Key: K
                                          → 201 {"key": K, "state": "debited"}  (the same K again → the same answer)
                                          → 422 {"error": "insufficient_balance", "available": N}  (nothing debited)
                                          → 409 {"error": "idempotency_key_mismatch" | "debit_voided"}
    GET  /v1/debits/{K}                   → 200 {"state": "debited" | "refunded" | "void"} · 404 (never seen)
    POST /v1/debits/{K}/refund            header Idempotency-Key: K:refund → 200 {"state": "refunded" | "void"}
                                          (a key never debited is voided: it can no longer debit)

Every call has explicit connect/read timeouts. Connection errors, timeouts, 429 and 5xx are retried
with exponential backoff and jitter (tenacity); that is safe for POSTs because every POST carries
an idempotency key. When the retries run out the call raises `PartnerUnavailable`, saying whether
any request may have reached the partner (`maybe_debited`). The unit of work the gateway methods
receive is not touched: the saga calls the partner outside any database transaction.
"""
from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Any
from urllib.parse import quote

import httpx
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, stop_after_delay, wait_exponential_jitter

from ledger.points.partners import DEBITED, NOT_FOUND, REFUNDED, PartnerBalance, PartnerUnavailable
from ledger.shared.refusals import Refusal
from ledger.storage.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = httpx.Timeout(connect=2.0, read=5.0, write=5.0, pool=2.0)
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
# One logical call, retries included, ends within this many seconds. A turn makes at most two partner calls
# (the balance for the quote, then the debit): 2 × 6 s stays well inside the bot's 30 s wait on Rasa
# (bot.nlu_client.TURN_TIMEOUT), so the user hears "in progress" instead of nothing.
CALL_DEADLINE = 6.0
# The only answers that mean the partner debited nothing (documented): 422 refused, 409 key conflict or voided.
NOTHING_DEBITED = frozenset({409, 422})


class _Retry(Exception):
    """One failed attempt worth retrying."""


def _path(value: str) -> str:
    return quote(value, safe="")


class HttpPartnerGateway:
    """The partner's HTTP API: balances, debits with idempotency keys, debit status and refunds."""

    def __init__(self, base_url: str, *, token: str | None = None, timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
                 attempts: int = 3, backoff: float = 0.2, max_backoff: float = 2.0, deadline: float = CALL_DEADLINE,
                 transport: httpx.BaseTransport | None = None) -> None:
        headers = {"Accept": "application/json", "User-Agent": "pointsbot-partner-gateway"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.base_url = base_url.rstrip("/")
        self.attempts = attempts
        self.deadline = deadline
        self._timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        self._wait = wait_exponential_jitter(initial=backoff, max=max_backoff, jitter=backoff)
        self._client = httpx.Client(base_url=self.base_url, timeout=timeout, headers=headers, transport=transport)

    def close(self) -> None:
        self._client.close()

    # ------------------------------------------------------------ transport

    def _call(self, method: str, path: str, *, body: dict | None = None,
              idempotency_key: str | None = None) -> httpx.Response:
        """One logical call, retried; returns the final response (any status not retried)."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        reached = False  # did any attempt possibly reach the partner?
        last: str = ""
        ends = time.monotonic() + self.deadline

        def attempt() -> httpx.Response:
            nonlocal reached, last
            left = ends - time.monotonic()
            if left <= 0.05:
                last = last or "no time left"
                raise _Retry(last)
            try:
                response = self._client.request(method, path, json=body, headers=headers,
                                                timeout=self._within(left))
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                last = f"{type(exc).__name__}: {exc}"  # no connection: the request was never sent
                raise _Retry(last) from exc
            except httpx.TransportError as exc:  # read timeout, dropped connection, …: it may have arrived
                reached = True
                last = f"{type(exc).__name__}: {exc}"
                raise _Retry(last) from exc
            reached = True
            if response.status_code in RETRY_STATUSES:
                last = f"HTTP {response.status_code}"
                raise _Retry(last)
            return response

        retrying = Retrying(stop=stop_after_attempt(self.attempts) | stop_after_delay(self.deadline), wait=self._wait,
                            retry=retry_if_exception_type(_Retry), reraise=True,
                            before_sleep=lambda state: log.info("partner %s %s: %s; retrying", method, path, last))
        try:
            return retrying(attempt)
        except _Retry:
            raise PartnerUnavailable(f"{method} {path}: {last} after {self.attempts} attempts",
                                     maybe_debited=reached) from None

    def _within(self, left: float) -> httpx.Timeout:
        """This attempt's timeouts, cut to what is left of the call's deadline."""
        t = self._timeout
        return httpx.Timeout(connect=min(t.connect or left, left), read=min(t.read or left, left),
                             write=min(t.write or left, left), pool=min(t.pool or left, left))

    @staticmethod
    def _json(response: httpx.Response) -> dict[str, Any]:
        try:
            data = response.json()
        except ValueError:
            data = None
        return data if isinstance(data, dict) else {}

    # ------------------------------------------------------------ PartnerGateway

    def balances(self, uow: UnitOfWork, user_id: str) -> dict[str, PartnerBalance]:
        try:
            response = self._call("GET", f"/v1/users/{_path(user_id)}/balances")
        except PartnerUnavailable:
            raise Refusal("partner_unavailable", partner="") from None
        if response.status_code == 404:
            return {}
        if response.status_code != 200:
            raise Refusal("partner_refused", partner="", code=str(response.status_code))
        balances = self._json(response).get("balances") or {}
        return {
            partner: PartnerBalance(points=int(held.get("points", 0)), wallet=int(held.get("wallet", 0)))
            for partner, held in balances.items()
        }

    def balance(self, uow: UnitOfWork, user_id: str, partner: str) -> PartnerBalance:
        try:
            return self.balances(uow, user_id).get(partner, PartnerBalance(points=0))
        except Refusal as refusal:
            raise Refusal(refusal.reason, **(refusal.details | {"partner": partner})) from None

    def debit(self, uow: UnitOfWork, user_id: str, partner: str, amount: int, *,
              idempotency_key: str, at: dt.datetime, wallet: int = 0) -> None:
        response = self._call("POST", "/v1/debits", idempotency_key=idempotency_key,
                              body={"user": user_id, "partner": partner, "points": amount, "wallet": wallet})
        if response.status_code in (200, 201):
            return
        if response.status_code not in NOTHING_DEBITED:  # 404, 408, 5xx, …: it may have debited; recovery asks
            raise PartnerUnavailable(f"debit: HTTP {response.status_code}", maybe_debited=True)
        error = self._json(response)
        code = str(error.get("error") or response.status_code)
        if code == "insufficient_balance":
            raise Refusal("insufficient_balance", partner=partner, available=int(error.get("available", 0)), given=amount)
        if code == "idempotency_key_mismatch":
            raise Refusal("idempotency_key_reused")
        raise Refusal("partner_refused", partner=partner, code=code)

    def debit_status(self, uow: UnitOfWork, idempotency_key: str) -> str:
        response = self._call("GET", f"/v1/debits/{_path(idempotency_key)}")
        if response.status_code == 404:
            return NOT_FOUND
        if response.status_code != 200:
            raise PartnerUnavailable(f"debit status: HTTP {response.status_code}")
        state = self._json(response).get("state")
        if state == "debited":
            return DEBITED
        if state == "refunded":
            return REFUNDED
        return NOT_FOUND  # "void": it never debited and never will

    def refund(self, uow: UnitOfWork, idempotency_key: str, *, at: dt.datetime) -> None:
        response = self._call("POST", f"/v1/debits/{_path(idempotency_key)}/refund",
                              idempotency_key=f"{idempotency_key}:refund")
        if response.status_code != 200:
            raise PartnerUnavailable(f"refund: HTTP {response.status_code} {self._json(response)}")
