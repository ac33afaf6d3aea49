"""Turns under load, in one run (issue 17): the NLU floor, bare Rasa, the assistant, and Telegram.

One stack like `make serve` (bot, Rasa, action server, SQLite ledger), plus a bare Rasa on the same model and the
same action server (`--enable-api`, the plain REST channel, trackers in memory). At each level of concurrent
users (1, 10, 50 by default) for `--seconds` each, every user keeps a long conversation going over a realistic
mix — the balance, a conversion and its confirmation, when a status starts, a flight logged — through:

- `parse`:      bare Rasa's POST /model/parse (the NLU floor);
- `rasa`:       bare Rasa's REST channel (full turns with the same actions);
- `assistant`:  POST /v1/messages on the bot (bot → Rasa → actions → ledger);
- `telegram`:   the local fake Bot API: a message in, the bot's first answer out (python-telegram-bot polling).

Writes bench/results/turns.json (one object per level: concurrency, assistant_turns_per_s, rasa_turns_per_s,
rasa_parse_per_s, assistant_p95_ms, rasa_p95_ms, and the Telegram figures), bench/results/turns_full.json (every
figure, ledger operations a second, each process's resident memory), bench/RESULTS.md and
bench/results/turns_latency.png.

Then hostile load: ten people pausing between turns, alone and while one user floods the API (their p95 both
times). Then, in scale mode (ops/scaled.py, ledger and trackers on PostgreSQL, Redis locks) with 1, 2 and 4 processes of
each kind (`--scaled`), the assistant's turns at the highest level: how throughput grows with processes.

Usage: bash scripts/pg.sh run -- .venv/bin/python bench/turns.py [--levels 1,10,50] [--seconds 30]
       [--modes parse,rasa,assistant,telegram] [--scaled 1,2,4] [--no-flood]   (--scaled "" skips scale mode)
"""
from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime as dt
import json
import os
import platform
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from ledger.bootstrap import bootstrap  # noqa: E402
from ops.model_cache import ensure_model  # noqa: E402
from ops.processes import RASA_BIN, Stack, free_port, isolated_settings  # noqa: E402
from ops.progress import Progress  # noqa: E402
from ops.rasa_cli import child_env  # noqa: E402
from ops.scaled import ScaledStack, database_on, scaled_settings  # noqa: E402
from tests.fake_telegram import FakeBotApi  # noqa: E402
from tests.fake_telegram import user as telegram_user  # noqa: E402

TOKEN = "123:BENCH"
RESULTS = REPO / "bench" / "results"
CONVERSATION = ["残高", "convert 2000 JAL miles", "yes", "ブロンズはいつから？", "what's my balance",
                "JALのマイル2000を交換したい", "いいえ", "when does platinum start", "I flew HND to OKA yesterday",
                "プラチナまであと何PP？", "show my flights", "balance"]
TURN_TIMEOUT = 60.0   # a turn that gets no answer by then counts as lost (Telegram mode)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values) or [0.0]
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return 0.0


def bare_rasa(settings, model: Path, stack: Stack) -> tuple[subprocess.Popen, str, str]:
    """Rasa on the same model and action server, with its HTTP API and the plain REST channel."""
    port, token = free_port(), secrets.token_hex(16)
    run = settings.var_dir / "run"
    credentials = run / "bare-credentials.yml"
    credentials.write_text(yaml.safe_dump({"rest": None}))
    endpoints = run / "bare-endpoints.yml"
    endpoints.write_text(yaml.safe_dump({"action_endpoint": {
        "url": f"{settings.action_url}/webhook", "headers": {"Authorization": f"Bearer {settings.actions_token()}"}}}))
    os.chmod(endpoints, 0o600)
    log = open(stack.log_dir / "bare-rasa.log", "w")
    proc = subprocess.Popen([str(RASA_BIN), "run", "--enable-api", "--auth-token", token, "--model", str(model),
                             "-i", "127.0.0.1", "--port", str(port), "--credentials", str(credentials),
                             "--endpoints", str(endpoints)], cwd=REPO, env=child_env(settings, "rasa"),
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{url}/", timeout=2).status_code == 200:
                return proc, url, token
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise RuntimeError("bare Rasa did not start")


def telegram_chat(level: int, index: int) -> int:
    return 7_000_000 + level * 1000 + index


def seed_users(ledger, count: int, prefix: str) -> list[str]:
    users = [f"tg:{telegram_chat(count, n)}" if prefix.startswith("telegram") else f"{prefix}-{n}" for n in range(count)]
    for user in users:
        ledger.sandbox_grant(user, "jal", 10**9)
        ledger.sandbox_link(user, "jal")
    return users


async def load(level: int, seconds: float, turn, pause: float = 0.0) -> dict:
    """`level` users, each talking for `seconds` (`pause` seconds between their turns, none by default);
    `turn(user_index, n)` is one awaited turn."""
    latencies: list[float] = []
    stop_at = time.monotonic() + seconds

    async def talk(index: int) -> None:
        n = 0
        while time.monotonic() < stop_at:
            began = time.perf_counter()
            await turn(index, n)
            latencies.append((time.perf_counter() - began) * 1000)
            n += 1
            if pause:
                await asyncio.sleep(pause)

    began = time.monotonic()
    await asyncio.gather(*(talk(i) for i in range(level)))
    took = time.monotonic() - began
    return {"turns": len(latencies), "per_s": round(len(latencies) / took, 1),
            "p50_ms": round(percentile(latencies, 0.5), 1), "p95_ms": round(percentile(latencies, 0.95), 1),
            "latencies_ms": latencies}


async def measure(args, settings, stack: Stack, bare: str, bare_token: str, fake: FakeBotApi | None) -> dict:
    ledger = bootstrap(settings, migrate=False)
    levels = [int(x) for x in args.levels.split(",")]
    figures: dict = {}
    lost: dict[str, int] = {}
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:
        api = {"Authorization": f"Bearer {settings.api_token()}"}
        for mode in args.modes.split(","):
            for level in levels:
                users = seed_users(ledger, level, f"{mode}-{level}")

                async def turn(index: int, n: int, mode=mode, users=users) -> None:
                    text = CONVERSATION[n % len(CONVERSATION)]
                    if mode == "parse":
                        r = await client.post(f"{bare}/model/parse", params={"token": bare_token}, json={"text": text})
                    elif mode == "rasa":
                        r = await client.post(f"{bare}/webhooks/rest/webhook",
                                              json={"sender": users[index], "message": text})
                    elif mode == "assistant":
                        r = await client.post(f"http://127.0.0.1:{settings.http_port}/v1/messages", headers=api,
                                              json={"user_id": users[index], "text": text})
                    else:
                        chat = telegram_chat(level, index)
                        before = len(fake.sent_to(chat))
                        fake.send_text(telegram_user(chat, f"u{index}", language_code="ja"), text)
                        try:
                            await fake.wait_for("sendMessage", before + 1, chat_id=chat, timeout=TURN_TIMEOUT)
                        except AssertionError:
                            lost[mode] = lost.get(mode, 0) + 1
                        return
                    r.raise_for_status()

                for n in range(3):   # warm-up: the first turns load graphs
                    await turn(0, n)
                figures.setdefault(mode, {})[level] = await load(level, args.seconds, turn)
                print(f"{mode:10} {level:3} users: {figures[mode][level]['per_s']:7.1f}/s "
                      f"p95 {figures[mode][level]['p95_ms']:7.1f} ms", flush=True)
        ops = {}
        for name, call in (("balance_reads", lambda i: ledger.balance(f"ops-{i % 50}")),
                           ("flights_logged", lambda i: ledger.log_flight(f"ops-{i % 50}", dt.date(2016, 5, 1), 1000,
                                                                           f"ops-{i}"))):
            began, count = time.monotonic(), 0
            while time.monotonic() - began < 3:
                call(count)
                count += 1
            ops[name + "_per_s"] = round(count / (time.monotonic() - began), 1)
    ledger.dispose()
    return {"figures": figures, "ledger_ops": ops, "turns_without_answer": lost}


async def warmed_turns(client: httpx.AsyncClient, settings, users: list[str]):
    """`turn(index, n)`: user `index` says the `n`-th sentence of the mix through /v1/messages; the first turns
    (which load Rasa's graphs) are taken before it is handed over."""
    api = {"Authorization": f"Bearer {settings.api_token()}"}
    url = f"http://127.0.0.1:{settings.http_port}/v1/messages"

    async def turn(index: int, n: int) -> None:
        response = await client.post(url, headers=api,
                                     json={"user_id": users[index], "text": CONVERSATION[n % len(CONVERSATION)]})
        response.raise_for_status()
    for n in range(3):
        await turn(0, n)
    return turn


async def assistant_load(settings, level: int, seconds: float) -> dict:
    """`level` users talking to the assistant's HTTP API over the mix for `seconds` (after a warm-up)."""
    ledger = bootstrap(settings, migrate=False)
    users = seed_users(ledger, level, f"scaled-{level}-{secrets.token_hex(3)}")
    ledger.dispose()
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:
        return await load(level, seconds, await warmed_turns(client, settings, users))


async def measure_flood(model: Path, seconds: float, users: int = 10, flooders: int = 30) -> dict:
    """Hostile load: `users` people (a short pause between turns) alone, then the same while one more user floods
    the HTTP API from `flooders` connections at once; the production per-user limit (5 turns/s, burst 20) on.
    Goal: the others' p95 within 1.5 × the quiet run's."""
    base = isolated_settings(Path(tempfile.mkdtemp(prefix="pointsbot-flood-")))
    settings = dataclasses.replace(base, user_rate=5.0, user_burst=20)
    stack = Stack(settings, progress=Progress())
    stack.start(model)
    try:
        await asyncio.to_thread(stack.wait_healthy, 400)
        ledger = bootstrap(settings, migrate=False)
        people = seed_users(ledger, users, "flood-quiet")
        ledger.dispose()
        api = {"Authorization": f"Bearer {settings.api_token()}"}
        url = f"http://127.0.0.1:{settings.http_port}/v1/messages"
        async with httpx.AsyncClient(timeout=120, limits=httpx.Limits(max_connections=200)) as client:
            turn = await warmed_turns(client, settings, people)
            quiet = await load(users, seconds, turn, pause=0.5)
            flood = {"requests": 0, "refused_429": 0}
            stop = asyncio.Event()

            async def flooder(k: int) -> None:
                while not stop.is_set():
                    response = await client.post(url, headers=api, json={"user_id": "flooder", "text": "残高"})
                    flood["requests"] += 1
                    flood["refused_429"] += response.status_code == 429
            flooding = [asyncio.create_task(flooder(k)) for k in range(flooders)]
            await asyncio.sleep(1)
            flooded = await load(users, seconds, turn, pause=0.5)
            stop.set()
            await asyncio.gather(*flooding)
    finally:
        stack.stop()
    ratio = flooded["p95_ms"] / quiet["p95_ms"] if quiet["p95_ms"] else None
    result = {"users": users, "flood_connections": flooders, "quiet_p95_ms": quiet["p95_ms"],
              "flooded_p95_ms": flooded["p95_ms"], "p95_ratio": round(ratio, 2) if ratio else None, "goal_ratio": 1.5,
              "flood_requests": flood["requests"], "flood_refused_429": flood["refused_429"],
              "quiet_turns_per_s": quiet["per_s"], "flooded_turns_per_s": flooded["per_s"]}
    print(f"flood: others' p95 {quiet['p95_ms']} ms quiet → {flooded['p95_ms']} ms flooded ({result['p95_ratio']}×); "
          f"{flood['refused_429']}/{flood['requests']} flood requests refused with 429", flush=True)
    return result


async def measure_scaled(counts: list[int], level: int, seconds: float, model: Path) -> dict:
    """The assistant in scale mode with 1, 2, 4… bot workers, action servers and Rasa servers each."""
    server_url = os.environ.get("POINTSBOT_TEST_PG_URL")
    if not server_url:
        print("scale mode skipped: POINTSBOT_TEST_PG_URL is not set (run under scripts/pg.sh)", flush=True)
        return {}
    grown = {}
    for count in counts:
        base = isolated_settings(Path(tempfile.mkdtemp(prefix=f"pointsbot-scaled-{count}-")))
        name = f"bench_scaled_{count}_{secrets.token_hex(4)}"
        settings = scaled_settings(dataclasses.replace(base, database_url=database_on(server_url, name)), count)
        stack = ScaledStack(settings, workers=count, progress=Progress())
        stack.start(model)
        try:
            await asyncio.to_thread(stack.wait_healthy, 600)
            figures = await assistant_load(settings, level, seconds)
            figures["rss_mb"] = {n: rss_mb(p.pid) for n, p in stack.processes.items()}
        finally:
            stack.stop()
        grown[count] = figures
        print(f"scaled ×{count}: {level} users {figures['per_s']:7.1f}/s p95 {figures['p95_ms']:7.1f} ms", flush=True)
    return grown


def goals(rows: list[dict]) -> list[str]:
    """The issue's speed goals against this run's own figures: at every level the assistant's throughput at least
    0.8 × and its p95 at most 1.3 × bare Rasa REST's; at the highest level at least 0.5 × bare parses."""
    lines = ["", "Goals (same run):", ""]
    for r in rows:
        if not (r["assistant_turns_per_s"] and r["rasa_turns_per_s"] and r["rasa_p95_ms"]):
            continue
        throughput = r["assistant_turns_per_s"] / r["rasa_turns_per_s"]
        p95 = r["assistant_p95_ms"] / r["rasa_p95_ms"]
        lines.append(f"- {r['concurrency']} users: throughput {throughput:.2f} × bare Rasa (goal ≥ 0.8) "
                     f"{'met' if throughput >= 0.8 else 'NOT met'}; p95 {p95:.2f} × (goal ≤ 1.3) "
                     f"{'met' if p95 <= 1.3 else 'NOT met'}")
    top = rows[-1]
    if top["assistant_turns_per_s"] and top["rasa_parse_per_s"]:
        parses = top["assistant_turns_per_s"] / top["rasa_parse_per_s"]
        lines.append(f"- {top['concurrency']} users: throughput {parses:.2f} × bare parses (goal ≥ 0.5) "
                     f"{'met' if parses >= 0.5 else 'NOT met'}")
    return lines


def write(results: dict, levels: list[int]) -> None:
    figures = results["figures"]
    rows = []
    for level in levels:
        def get(mode: str, key: str):
            return figures.get(mode, {}).get(level, {}).get(key)
        rows.append({"concurrency": level, "assistant_turns_per_s": get("assistant", "per_s"),
                     "rasa_turns_per_s": get("rasa", "per_s"), "rasa_parse_per_s": get("parse", "per_s"),
                     "assistant_p95_ms": get("assistant", "p95_ms"), "rasa_p95_ms": get("rasa", "p95_ms"),
                     "telegram_turns_per_s": get("telegram", "per_s"), "telegram_p95_ms": get("telegram", "p95_ms")})
    (RESULTS / "turns.json").write_text(json.dumps(rows, indent=2) + "\n")
    slim = {m: {lv: {k: v for k, v in f.items() if k != "latencies_ms"} for lv, f in by.items()}
            for m, by in figures.items()}
    scaled_slim = {n: {k: v for k, v in f.items() if k != "latencies_ms"} for n, f in (results.get("scaled") or {}).items()}
    (RESULTS / "turns_full.json").write_text(json.dumps(results | {"figures": slim, "scaled": scaled_slim}, indent=2,
                                                        ensure_ascii=False) + "\n")
    lines = ["# Turns under load (bench/turns.py)", "", f"{results['machine']}, {results['when']}; "
             f"{results['seconds']} s a level; every user talks without pause.", "",
             "| users | assistant /s | assistant p95 ms | bare Rasa /s | bare Rasa p95 ms | parse /s | Telegram /s "
             "| Telegram p95 ms |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['concurrency']} | {r['assistant_turns_per_s']} | {r['assistant_p95_ms']} | "
                     f"{r['rasa_turns_per_s']} | {r['rasa_p95_ms']} | {r['rasa_parse_per_s']} | "
                     f"{r['telegram_turns_per_s']} | {r['telegram_p95_ms']} |")
    lines += goals(rows)
    flood = results.get("flood") or {}
    if flood:
        lines += ["", f"Hostile load: {flood['users']} users with a short pause between turns; then the same while one "
                  f"user floods from {flood['flood_connections']} connections (per-user limit 5/s, burst 20 on): the "
                  f"others' p95 {flood['quiet_p95_ms']} ms → {flood['flooded_p95_ms']} ms, **{flood['p95_ratio']}×** "
                  f"(goal ≤ 1.5×); {flood['flood_refused_429']:,} of {flood['flood_requests']:,} flood requests "
                  "refused with 429."]
    scaled = results.get("scaled") or {}
    if scaled:
        lines += ["", f"Scale mode (ops/scaled.py: PostgreSQL, Redis locks), {max(levels)} users:", "",
                  "| processes of each kind | assistant /s | p95 ms |", "|---|---|---|"]
        lines += [f"| {count} | {f['per_s']} | {f['p95_ms']} |" for count, f in scaled.items()]
    lines += ["", "Ledger: " + ", ".join(f"{k} {v}" for k, v in results["ledger_ops"].items()),
              "", "Resident memory (MB): " + ", ".join(f"{k} {v}" for k, v in results["rss_mb"].items()), "",
              "![latency](results/turns_latency.png)", ""]
    (REPO / "bench" / "RESULTS.md").write_text("\n".join(lines))
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(levels), figsize=(4 * len(levels), 4), squeeze=False)
    for ax, level in zip(axes[0], levels):
        modes = [m for m in figures if level in figures[m]]
        ax.boxplot([figures[m][level]["latencies_ms"] for m in modes], tick_labels=modes, showfliers=False)
        ax.set_title(f"{level} users")
        ax.set_ylabel("ms per turn")
    fig.tight_layout()
    fig.savefig(RESULTS / "turns_latency.png", dpi=80)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--levels", default="1,10,50")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--modes", default="parse,rasa,assistant,telegram")
    parser.add_argument("--scaled", default="1,2,4", help="processes of each kind in scale mode; empty skips it")
    parser.add_argument("--no-flood", dest="flood", action="store_false", help="skip the hostile-load run")
    args = parser.parse_args()

    async def run() -> dict:
        async with FakeBotApi(TOKEN) as fake:
            settings = isolated_settings(Path(tempfile.mkdtemp(prefix="pointsbot-turns-")))
            settings = dataclasses.replace(settings, telegram_token=TOKEN, telegram_api_base=fake.base_url)
            stack = Stack(settings, progress=Progress())
            model = ensure_model(settings, stack.progress)
            stack.start(model)
            bare_proc = None
            try:
                await asyncio.to_thread(stack.wait_healthy, 400)
                bare_proc, bare, bare_token = await asyncio.to_thread(bare_rasa, settings, model, stack)
                measured = await measure(args, settings, stack, bare, bare_token, fake)
                rss = {name: rss_mb(p.pid) for name, p in stack.processes.items()} | {"bare_rasa": rss_mb(bare_proc.pid)}
            finally:
                if bare_proc is not None:
                    bare_proc.terminate()
                stack.stop()
            flood = await measure_flood(model, args.seconds) if args.flood else {}
            counts = [int(x) for x in args.scaled.split(",") if x.strip()]
            scaled = await measure_scaled(counts, max(int(x) for x in args.levels.split(",")), args.seconds, model)
            return measured | {"rss_mb": rss, "seconds": args.seconds, "scaled": scaled, "flood": flood,
                               "machine": f"{platform.machine()}, {os.cpu_count()} cores",
                               "when": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}

    results = asyncio.run(run())
    write(results, [int(x) for x in args.levels.split(",")])
    print((REPO / "bench" / "RESULTS.md").read_text())


if __name__ == "__main__":
    main()
