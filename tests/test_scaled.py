"""Scale mode (ops/scaled.py) as `make serve-scaled` runs it: two bot workers and two action servers, each pair
behind one port, two Rasa servers with Rasa's Redis lock store and the SQL tracker store, the ledger and the
trackers on the PostgreSQL test cluster, Telegram by webhook against the local fake Bot API.

What a user would notice: a conversation whose turns land on different workers and Rasa servers goes on as one
conversation; turns sent at once are answered one at a time, in order; a request or a Telegram update delivered
to two workers acts once; and a bot worker, an action server, a Rasa server or Redis killed in the middle of a
conversation costs at most the turn it was serving: the conversation goes on, no exchange happens twice, and
the ledger reconciles.
"""
from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import os
import signal
import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from sqlalchemy import text

from bot.nlu_client import RasaClient
from ledger.config import REPO_ROOT
from ledger.shared.clock import TOKYO, parse_moment
from ledger.storage import db
from ops.processes import isolated_settings, serving
from ops.scaled import ScaledStack, database_on, scaled_settings, wait_for_port
from tests.conftest import PG_URL_ENV, InThread, RunningStack, facts_of, new_user, under_ci
from tests.fake_partner import FakePartner
from tests.fake_telegram import FakeBotApi, user
from tests.http_fuzz import check
from tests.http_fuzz import requests as fuzz_requests

pytestmark = pytest.mark.rasa

SECRET = "scale-webhook-secret"


@dataclasses.dataclass
class Scaled:
    running: RunningStack
    telegram: FakeBotApi
    partner: FakePartner      # JAL's HTTP API, with faults on demand

    @property
    def stack(self) -> ScaledStack:
        return self.running.processes

    def turn(self, user_id: str, text_: str, **extra) -> tuple[list[dict], str]:
        """One turn on a new connection (so the kernel picks a worker afresh): the messages, and who answered."""
        with self.running.client() as client:
            response = client.post("/v1/messages", json={"user_id": user_id, "text": text_, **extra})
            response.raise_for_status()
            return response.json()["messages"], response.headers["x-served-by"]

    def kill(self, name: str) -> None:
        """SIGKILL child `name` (its whole process group): no goodbye, as a crash."""
        os.killpg(self.stack.processes[name].pid, signal.SIGKILL)
        self.stack.processes[name].wait(10)


@pytest.fixture(scope="module")
def scaled(tmp_path_factory):
    server_url = os.environ.get(PG_URL_ENV)
    if not server_url:
        if under_ci():
            pytest.fail(f"CI: scale mode must be tested, but {PG_URL_ENV} is not set", pytrace=False)
        pytest.skip(f"{PG_URL_ENV} is not set (bash scripts/pg.sh run -- …)")
    name = f"pointsbot_scaled_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with InThread(lambda: FakeBotApi("424242:SCALED")) as fake, FakePartner() as partner:
        settings = isolated_settings(tmp_path_factory.mktemp("scaled"))
        settings = scaled_settings(dataclasses.replace(
            settings, database_url=database_on(server_url, name), partner_url=partner.base_url,
            telegram_token=fake.token,
            telegram_api_base=fake.base_url, telegram_webhook_secret=SECRET,
            telegram_webhook_url=f"http://127.0.0.1:{settings.http_port}/telegram/webhook"), rasa_servers=2)
        stack = ScaledStack(settings, workers=2)
        try:
            with serving(settings, stack=stack) as (running, the_ledger, _model):
                yield Scaled(RunningStack(settings, the_ledger, f"http://127.0.0.1:{settings.http_port}",
                                          settings.api_token(), running), fake, partner)
        finally:
            admin = db.make_engine(server_url).execution_options(isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def with_miles(scaled: Scaled, user_id: str, miles: int) -> None:
    scaled.partner.grant(user_id, "jal", miles)
    scaled.running.ledger.sandbox_link(user_id, "jal")


def exchange_in_two_turns(scaled: Scaled, user_id: str, japanese: bool) -> list[str]:
    """Ask for a conversion, then say yes: both answers checked; who served each turn."""
    quoted, first = scaled.turn(user_id, "JALの2000マイルを交換したい" if japanese else "convert 2000 JAL miles")
    assert facts_of(quoted, "conversion")["status"] == "needs_confirmation", quoted
    done, second = scaled.turn(user_id, "はい" if japanese else "yes")
    assert facts_of(done, "conversion")["status"] == "done", done
    return [first, second]


def test_a_conversation_goes_on_across_workers(scaled):
    """Sixteen people convert at once, each in two turns on fresh connections: the yes often lands on another
    worker (and Rasa server) than the question, and still finishes that person's conversion, once."""
    people = [new_user("spread") for _ in range(16)]
    for person in people:
        with_miles(scaled, person, 5000)
    with ThreadPoolExecutor(8) as pool:
        served = list(pool.map(lambda pair: exchange_in_two_turns(scaled, pair[1], pair[0] % 2 == 0),
                               enumerate(people)))
    assert {name for pair in served for name in pair} == {"bot-1", "bot-2"}
    assert any(first != second for first, second in served), served
    for person in people:
        balance = scaled.running.ledger.balance(person)
        assert (balance.partners["jal"], balance.reserved) == (3000, 1000), person


def test_turns_sent_at_once_are_answered_one_at_a_time(scaled):
    """Six messages of one person sent together to both workers and both Rasa servers: Rasa's Redis lock lets
    one turn run at a time, so in the stored conversation every message is followed by its own answers before
    the next message starts."""
    person = new_user("burst")
    words = ["balance", "残高", "show my history", "履歴", "help", "ヘルプ"]
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda said: scaled.turn(person, said)[0], words))
    assert all(answer for answer in answers)
    with db.make_engine(scaled.running.settings.database_url).connect() as conn:
        events = list(conn.execute(text("SELECT type_name, action_name FROM events WHERE sender_id = :who ORDER BY id"),
                                   {"who": person}))
    turns, waiting = 0, True
    for kind, action in events:
        if kind == "user":
            assert waiting, f"a message arrived while the previous turn ran: {events}"
            turns, waiting = turns + 1, False
        elif kind == "action" and action == "action_listen":
            waiting = True
    assert turns == len(words)


def test_the_same_request_at_two_workers_acts_once(scaled):
    """A client retries its yes (same request_id) while the first is still running, on another connection: the
    exchange happens once, and every other copy is answered as a replay."""
    person = new_user("retry")
    with_miles(scaled, person, 5000)
    quoted, _ = scaled.turn(person, "convert 2000 JAL miles")
    assert facts_of(quoted, "conversion")["status"] == "needs_confirmation"
    request_id = uuid.uuid4().hex
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda _: scaled.turn(person, "yes", request_id=request_id), range(6)))
    kinds = sorted(facts_of(messages).get("reason") or facts_of(messages).get("status") for messages, _ in answers)
    assert kinds == ["done"] + ["replayed_request"] * 5, kinds
    assert scaled.running.ledger.balance(person).partners["jal"] == 3000


def test_a_telegram_update_delivered_to_two_workers_is_handled_once(scaled):
    fake = scaled.telegram
    person = user(int(time.time() * 1000) % 10**9, "Aiko", "en")
    flown = dt.datetime.now(TOKYO).date() - dt.timedelta(days=1)
    update = fake.text_update(person, f"I flew on {flown.isoformat()} and earned 1342 premium points")
    seen_by: set[str] = set()
    with httpx.Client(base_url=scaled.running.base_url, timeout=30) as client:
        for _ in range(10):   # until both workers got it (each post a new connection; the kernel picks the worker)
            with ThreadPoolExecutor(4) as pool:
                posted = list(pool.map(lambda _: httpx.post(
                    f"{scaled.running.base_url}/telegram/webhook", json=update,
                    headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}, timeout=30), range(4)))
            assert all(response.status_code == 200 for response in posted)
            seen_by |= {response.headers["x-served-by"] for response in posted}
            if len(seen_by) == 2:
                break
        assert client.get("/healthz").status_code == 200
    assert seen_by == {"bot-1", "bot-2"}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not fake.sent_to(person["id"]):
        time.sleep(0.2)
    time.sleep(3)   # a second handling would answer within this
    replies = [sent["text"] for sent in fake.sent_to(person["id"])]
    assert sum(reply.startswith("Logged your flight") for reply in replies) == 1, replies
    assert scaled.running.ledger.status_start(f"tg:{person['id']}", "bronze", year=flown.year).pp == 1342


@pytest.mark.parametrize("victim", ["rasa", "bot", "actions"])
def test_a_process_killed_mid_conversation(scaled, victim):
    """The question is asked; then the Rasa server that holds this person (or a bot worker, or an action server)
    is killed; the person says yes: another one finishes the conversion, from the conversation stored in
    PostgreSQL, once. The watchdog brings the killed one back."""
    stack = scaled.stack
    person = new_user(f"kill-{victim}")
    with_miles(scaled, person, 5000)
    quoted, served = scaled.turn(person, "JALの2000マイルを交換したい")
    assert facts_of(quoted, "conversion")["status"] == "needs_confirmation"
    if victim == "rasa":
        own = stack.rasa_urls.index(RasaClient(stack.settings.rasa_url).servers_for(person)[0])
        name = f"rasa-{own + 1}"
    else:
        name = served if victim == "bot" else "actions-1"
    restarts = stack.restarts.get(name, 0)
    scaled.kill(name)
    done = None
    for _ in range(3):   # a turn that was on its way to the dead one may fail; the person says it again
        messages, _ = scaled.turn(person, "はい")
        if facts_of(messages, "conversion").get("status") == "done":
            done = messages
            break
    assert done is not None, f"the conversion did not finish after {name} was killed"
    balance = scaled.running.ledger.balance(person)
    assert (balance.partners["jal"], balance.reserved) == (3000, 1000)
    deadline = time.monotonic() + 30
    while stack.restarts.get(name, 0) == restarts and time.monotonic() < deadline:
        time.sleep(0.5)
    assert stack.restarts.get(name, 0) == restarts + 1, f"{name} was not restarted"


def test_redis_restarted(scaled):
    """Redis (only locks) goes away and comes back empty: turns go on once it is back."""
    person = new_user("redis")
    with_miles(scaled, person, 5000)
    quoted, _ = scaled.turn(person, "convert 2000 JAL miles")
    assert facts_of(quoted, "conversion")["status"] == "needs_confirmation"
    port = int(scaled.stack.redis_port)
    scaled.kill("redis")
    wait_for_port(port, timeout=40)
    done = None
    for _ in range(5):
        messages, _ = scaled.turn(person, "yes")
        if facts_of(messages, "conversion").get("status") == "done":
            done = messages
            break
        time.sleep(1)
    assert done is not None
    assert scaled.running.ledger.balance(person).partners["jal"] == 3000


def test_postgresql_restarted(scaled):
    """The database goes down under the running processes (connections cut) and comes back on its port: the
    conversation goes on from the stored tracker, the exchange happens once."""
    server_url = os.environ[PG_URL_ENV]
    ours = subprocess.run(["bash", "scripts/pg.sh", "url"], cwd=REPO_ROOT, capture_output=True, text=True)
    if ours.returncode != 0 or ours.stdout.strip() != server_url:
        pytest.skip("PostgreSQL is not this repo's test cluster (scripts/pg.sh): not ours to restart")
    person = new_user("pg")
    with_miles(scaled, person, 5000)
    quoted, _ = scaled.turn(person, "convert 2000 JAL miles")
    assert facts_of(quoted, "conversion")["status"] == "needs_confirmation"
    restarted = subprocess.run(["bash", "scripts/pg.sh", "restart"], cwd=REPO_ROOT, capture_output=True, text=True)
    assert restarted.returncode == 0, restarted.stderr
    done, answers = None, []
    for _ in range(6):   # each process finds its pooled connections cut once
        messages, _ = scaled.turn(person, "yes")
        answers.append(messages)
        if facts_of(messages, "conversion").get("status") == "done":
            done = messages
            break
        time.sleep(1)
    assert done is not None, [m[0].get("facts") for m in answers]
    assert scaled.running.ledger.balance(person).partners["jal"] == 3000


def test_the_partner_times_out_after_debiting(scaled):
    """JAL debits the miles but never answers, on every try: the person is told the exchange is pending (not
    failed, not done); recovery (any worker's job, here run at once) asks JAL, credits the points once."""
    person = new_user("timeout")
    with_miles(scaled, person, 5000)
    quoted, _ = scaled.turn(person, "convert 2000 JAL miles")
    assert facts_of(quoted, "conversion")["status"] == "needs_confirmation"
    scaled.partner.fail("debit", "hang_after", times=10, delay=8.0)
    try:
        pending, _ = scaled.turn(person, "yes")
    finally:
        scaled.partner.faults.clear()
    assert facts_of(pending, "conversion")["status"] == "pending", pending
    assert scaled.partner.held(person, "jal") == (3000, 0)   # JAL did debit
    assert scaled.running.ledger.balance(person).reserved == 0
    scaled.running.ledger.recover_exchanges(older_than=dt.timedelta(0))
    scaled.running.ledger.recover_exchanges(older_than=dt.timedelta(0))   # a second run changes nothing
    balance = scaled.running.ledger.balance(person)
    assert (balance.partners["jal"], balance.reserved) == (3000, 1000)


def test_notices_go_out_once_while_a_worker_dies(scaled):
    """Forty Telegram users reach Bronze; when their advance service starts, both workers' dispatchers send the
    notices from one outbox, and one worker is killed in the middle: nobody gets a notice twice, and every notice
    is delivered, except one whose send the kill cut off (closed as uncertain, never re-sent: a second copy is
    worse than none)."""
    ledger, fake = scaled.running.ledger, scaled.telegram
    first = 880_000_000 + int(time.time()) % 100_000 * 100
    people = [f"tg:{first + n}" for n in range(40)]
    ledger.set_test_clock(parse_moment("2016-06-01T10:00"))
    try:
        for n, person in enumerate(people):
            for k, (day, pp) in enumerate(((dt.date(2016, 4, 10), 15_000), (dt.date(2016, 5, 20), 14_000),
                                           (dt.date(2016, 6, 1), 2_000))):
                ledger.log_flight(person, day, pp, f"notice-{person}-{k}")
        ledger.set_test_clock(parse_moment("2016-06-20T09:00"))   # the advance service starts for all forty
        chats = {first + n for n in range(40)}

        def delivered() -> list[int]:
            return [chat for chat, _ in list(fake.delivered) if chat in chats]
        deadline = time.monotonic() + 60
        while len(delivered()) < 8 and time.monotonic() < deadline:
            time.sleep(0.05)
        sent_before_kill = len(delivered())
        scaled.kill("bot-1")
        assert sent_before_kill < len(people), "the dispatch ended before the kill: nothing was cut"
        deadline = time.monotonic() + 90
        settled = 0
        while time.monotonic() < deadline:
            with ledger.uow() as uow:
                outcomes = collections.Counter(
                    notice.outcome or "open" for person in people for notice in uow.notices.for_user(person)
                    if notice.kind == "advance_service_starts")
            settled = outcomes["sent"] + outcomes["uncertain"]
            if settled == len(people):
                break
            time.sleep(0.5)
    finally:
        ledger.set_test_clock(None)
    counts = collections.Counter(delivered())
    assert max(counts.values()) == 1, f"a notice went out twice: {counts.most_common(3)}"
    assert settled == len(people), outcomes
    assert outcomes["uncertain"] <= 1 and len(counts) == len(people) - outcomes["uncertain"], (outcomes, len(counts))


def test_fuzzing_the_api_in_scale_mode(scaled):
    """The HTTP API fuzz (tests/http_fuzz.py) through the shared port, real Rasa servers and action servers behind:
    every answer documented, never a 500, and every process still up after."""
    seen: set[int] = set()
    with httpx.Client(base_url=scaled.running.base_url, timeout=60) as client:
        @settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
        @given(fuzz_requests(scaled.running.token))
        def one(request):
            response = client.request(**request)
            check(response)
            seen.add(response.status_code)
        one()
        assert {200, 400, 401} <= seen, seen
        assert client.get("/healthz").status_code == 200
    assert all(proc.poll() is None for proc in scaled.stack.processes.values())


def test_after_the_faults_the_ledger_reconciles(scaled):
    """What `pointsbot ledger reconcile` checks after everything above: exchanges, journal and the partner's
    debits agree, and nothing is left half-way."""
    report = scaled.running.ledger.reconcile()
    assert report.exchanges >= 16 + 1 + 3 + 1 + 1 + 1
    assert (report.differences, report.unfinished, report.unchecked) == ((), 0, 0), report.facts()
    assert all(count == 1 for count in scaled.partner.debits_applied.values())   # JAL debited each once


def test_redis_is_closed_to_other_programs(scaled):
    """The Redis started here listens on 127.0.0.1 only and answers nothing without its password (var/redis-password,
    0600): another program on the machine can neither read nor break the conversation locks."""
    import socket
    import stat

    with socket.create_connection(("127.0.0.1", scaled.stack.redis_port), timeout=5) as sock:
        sock.sendall(b"PING\r\nKEYS *\r\n")
        time.sleep(0.3)
        answer = sock.recv(1000)
    assert answer.startswith(b"-NOAUTH"), answer
    password_file = scaled.running.settings.var_dir / "redis-password"
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    config = (scaled.running.settings.var_dir / "run" / "redis.conf").read_text()
    assert "bind 127.0.0.1" in config and 'save ""' in config
