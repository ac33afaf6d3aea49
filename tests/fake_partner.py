"""A local fake partner program (JAL, Saison, …) served over real HTTP on 127.0.0.1, with fault injection.

It speaks the partner API described in `ledger/http_partner.py` and honours idempotency keys the way
payment APIs do: the same key with the same body gets the stored answer and never a second debit;
the same key with another body is refused (409). Refunding a key that never debited voids it, so a
late copy of that debit is refused.

Faults (`fail(op, kind, times, delay)`) apply to the next `times` requests of one operation
(`balances`, `debit`, `status`, `refund`):

* `hang_after` — do the work, then wait `delay` s before answering (the client times out after the
  partner debited: "timed out after debiting")
* `slow` — wait `delay` s, then do the work and answer (past the client's timeout this is a request
  that arrives late, after the client gave up and retried)
* `error_500` — answer 500 without doing anything; `error_500_after` — do the work, then answer 500;
  `status_404_after`, `status_408_after`, … — do the work, then answer that status
* `drop` — close the connection without an answer (after doing nothing)

`debits_applied[key]` counts how often a debit really moved points: exactly-once means 1.
Runs in a daemon thread (`http.server.ThreadingHTTPServer`); use as a context manager.
"""
from __future__ import annotations

import json
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

OPS = ("balances", "debit", "status", "refund")


@dataclass
class Fault:
    op: str
    kind: str
    times: int = 1
    delay: float = 1.0


@dataclass
class Seen:
    method: str
    path: str
    idempotency_key: str | None


@dataclass
class Debit:
    user: str
    partner: str
    points: int
    wallet: int
    state: str  # debited | refunded | void
    answer: tuple[int, dict] = field(default_factory=lambda: (201, {}))


class FakePartner:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.accounts: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: {"points": 0, "wallet": 0})
        self.debits: dict[str, Debit] = {}
        self.refunds: dict[str, tuple[int, dict]] = {}
        self.debits_applied: Counter[str] = Counter()
        self.refunds_applied: Counter[str] = Counter()
        self.bodies: dict[str, dict] = {}
        self.seen: list[Seen] = []
        self.faults: list[Fault] = []
        self.in_flight = 0
        self._idle = threading.Condition(self.lock)
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------ test controls

    def start(self) -> "FakePartner":
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-partner", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wake any handler waiting in a fault
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "FakePartner":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def grant(self, user: str, partner: str, points: int, wallet: int = 0) -> None:
        with self.lock:
            self.accounts[(user, partner)]["points"] += points
            self.accounts[(user, partner)]["wallet"] += wallet

    def held(self, user: str, partner: str) -> tuple[int, int]:
        with self.lock:
            account = self.accounts.get((user, partner), {"points": 0, "wallet": 0})
            return account["points"], account["wallet"]

    def fail(self, op: str, kind: str, times: int = 1, delay: float = 1.0) -> None:
        assert op in OPS, op
        with self.lock:
            self.faults.append(Fault(op, kind, times, delay))

    def settle(self, timeout: float = 10.0) -> None:
        """Wait until no request is being handled (a late copy of a request has landed)."""
        with self._idle:
            assert self._idle.wait_for(lambda: self.in_flight == 0, timeout), "fake partner still busy"

    def posts_without_key(self) -> list[Seen]:
        return [s for s in self.seen if s.method == "POST" and not s.idempotency_key]

    # ------------------------------------------------------------ the partner's book

    def _take_fault(self, op: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.op == op and fault.times > 0:
                    fault.times -= 1
                    return Fault(op, fault.kind, 1, fault.delay)
        return None

    def _balances(self, user: str) -> tuple[int, dict]:
        with self.lock:
            balances = {p: dict(a) for (u, p), a in self.accounts.items() if u == user}
        return 200, {"balances": balances}

    def _debit(self, key: str, body: dict) -> tuple[int, dict]:
        with self.lock:
            if key in self.debits:
                if self.bodies.get(key) != body:
                    return 409, {"error": "idempotency_key_mismatch"}
                return self.debits[key].answer
            if key in self.refunds:  # voided before it arrived
                return 409, {"error": "debit_voided"}
            try:
                user, partner = str(body["user"]), str(body["partner"])
                points, wallet = int(body["points"]), int(body.get("wallet", 0))
            except (KeyError, TypeError, ValueError):
                return 400, {"error": "bad_request"}
            if points < 0 or wallet < 0:
                return 400, {"error": "bad_request"}
            account = self.accounts[(user, partner)]
            if account["points"] < points or account["wallet"] < wallet:
                answer = (422, {"error": "insufficient_balance", "available": account["points"]})
                self.debits[key] = Debit(user, partner, points, wallet, "refused", answer)
                self.bodies[key] = body
                return answer
            account["points"] -= points
            account["wallet"] -= wallet
            self.debits_applied[key] += 1
            answer = (201, {"key": key, "state": "debited"})
            self.debits[key] = Debit(user, partner, points, wallet, "debited", answer)
            self.bodies[key] = body
            return answer

    def _status(self, key: str) -> tuple[int, dict]:
        with self.lock:
            debit = self.debits.get(key)
            if debit is not None and debit.state in ("debited", "refunded"):
                return 200, {"key": key, "state": debit.state}
            if key in self.refunds:
                return 200, {"key": key, "state": "void"}
        return 404, {"error": "not_found"}

    def _refund(self, key: str) -> tuple[int, dict]:
        with self.lock:
            if key in self.refunds:
                return self.refunds[key]
            debit = self.debits.get(key)
            if debit is not None and debit.state == "debited":
                account = self.accounts[(debit.user, debit.partner)]
                account["points"] += debit.points
                account["wallet"] += debit.wallet
                debit.state = "refunded"
                self.refunds_applied[key] += 1
                answer = (200, {"key": key, "state": "refunded"})
            else:
                answer = (200, {"key": key, "state": "void"})
            self.refunds[key] = answer
            return answer

    # ------------------------------------------------------------ HTTP

    def _route(self, method: str, parts: list[str], body: dict, key: str | None) -> tuple[str, Any]:
        if method == "GET" and len(parts) == 4 and parts[:2] == ["v1", "users"] and parts[3] == "balances":
            return "balances", lambda: self._balances(parts[2])
        if method == "POST" and parts == ["v1", "debits"]:
            if not key:
                return "debit", lambda: (400, {"error": "idempotency_key_required"})
            return "debit", lambda: self._debit(key, body)
        if method == "GET" and len(parts) == 3 and parts[:2] == ["v1", "debits"]:
            return "status", lambda: self._status(parts[2])
        if method == "POST" and len(parts) == 4 and parts[:2] == ["v1", "debits"] and parts[3] == "refund":
            if not key:
                return "refund", lambda: (400, {"error": "idempotency_key_required"})
            return "refund", lambda: self._refund(parts[2])
        return "", lambda: (404, {"error": "no_such_route"})

    def _handler_class(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out as separate writes; don't wait on delayed ACKs

            def log_message(self, *args) -> None:  # quiet
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else {}
                except ValueError:
                    body = {}
                key = self.headers.get("Idempotency-Key")
                parts = [unquote(p) for p in self.path.split("?")[0].strip("/").split("/")]
                with fake.lock:
                    fake.seen.append(Seen(self.command, self.path, key))
                    fake.in_flight += 1
                try:
                    self._handle(parts, body, key)
                finally:
                    with fake._idle:
                        fake.in_flight -= 1
                        fake._idle.notify_all()

            def _handle(self, parts: list[str], body: dict, key: str | None) -> None:
                op, work = fake._route(self.command, parts, body, key)
                fault = fake._take_fault(op) if op else None
                kind = fault.kind if fault else None
                if kind == "drop":
                    self.close_connection = True
                    self.connection.close()
                    return
                if kind == "error_500":
                    return self._answer(500, {"error": "internal"})
                if kind == "slow":
                    fake._stopping.wait(fault.delay)
                status, answer = work()
                if kind == "hang_after":
                    fake._stopping.wait(fault.delay)
                if kind == "error_500_after":
                    status, answer = 500, {"error": "internal"}
                if kind and kind.startswith("status_") and kind.endswith("_after"):  # e.g. status_404_after
                    status, answer = int(kind.split("_")[1]), {"error": kind}
                self._answer(status, answer)

            def _answer(self, status: int, answer: dict) -> None:
                data = json.dumps(answer).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting
                    self.close_connection = True

            do_GET = _serve
            do_POST = _serve

        return Handler
