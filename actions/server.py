"""The action server (`python -m actions.server`): rasa_sdk's app, closed to everyone but Rasa, with each action
call run off the event loop.

- Every route but /health needs the install's secret (`Authorization: Bearer …`, var/actions-token, 0600),
  which Rasa sends through the endpoints.yml the supervisor writes. Without it, any process on the machine
  could post a hand-made tracker and act as any user.
- Actions do blocking work (the database, a partner's HTTP API). Each call runs in a worker thread with its
  own event loop, so one slow partner call stalls nobody else; up to `ACTION_THREADS` calls at once.
"""
from __future__ import annotations

import asyncio
import hmac
import logging
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, Optional

from rasa_sdk.endpoint import create_app
from rasa_sdk.executor import ActionExecutor
from sanic import Sanic, response
from sanic.request import Request

from ledger.config import Settings, listening_socket

log = logging.getLogger(__name__)

ACTION_THREADS = 32


_QUESTION = re.compile(r"^action_ask_(?P<form>[a-z_]+?_form)_(?P<slot>[a-z_]+)$")
_VALIDATION = re.compile(r"^validate_(?P<form>[a-z_]+_form)$")


class ThreadedActionExecutor(ActionExecutor):
    """Runs each action call in a worker thread, on an event loop of its own."""

    async def run(self, action_call: Dict[str, Any]) -> Optional[Any]:
        call = super().run(action_call)  # a coroutine, not started: it runs on the worker's loop
        return with_question_facts(action_call, await asyncio.to_thread(asyncio.run, call))


def with_question_facts(action_call: Dict[str, Any], result: Optional[Any]) -> Optional[Any]:
    """What a form says while asking (its `action_ask_<form>_<slot>`, or its validation asking again) carries facts
    `{"kind": "question", "form", "slot"}` unless it has its own (a confirmation states its quote, a refusal its
    reason), so clients know what is being asked."""
    action = action_call.get("next_action") or ""
    asked = _QUESTION.match(action)
    validating = _VALIDATION.match(action)
    responses = result.get("responses") if isinstance(result, dict) else getattr(result, "responses", None)
    if not (asked or validating) or not responses:
        return result
    slots = ((action_call.get("tracker") or {}).get("slots") or {})
    question = ({"kind": "question", **asked.groupdict()} if asked else
                {"kind": "question", "form": validating["form"], "slot": slots.get("requested_slot")})
    for message in responses:
        custom = message.get("custom") or {}
        if not custom.get("facts"):
            message["custom"] = {**custom, "facts": dict(question)}
    return result


def build_app(token: str, package: str = "actions") -> Sanic:
    executor = ThreadedActionExecutor()
    executor.register_package(package)
    app = create_app(executor, cors_origins=None)
    expected = f"Bearer {token}".encode()

    @app.on_request
    async def require_secret(request: Request):
        if request.path == "/health":
            return None
        if not hmac.compare_digest((request.headers.get("authorization") or "").encode(), expected):
            return response.json({"error": "unauthorized"}, status=401)
        return None

    @app.before_server_start
    async def worker_threads(app: Sanic, loop: asyncio.AbstractEventLoop) -> None:
        loop.set_default_executor(ThreadPoolExecutor(max_workers=ACTION_THREADS, thread_name_prefix="action"))

    return app


def main() -> None:
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
    settings = Settings.from_env()
    app = build_app(settings.actions_token())
    log.info("action server on 127.0.0.1:%s%s", settings.action_port, " (port shared)" if settings.reuse_port else "")
    if settings.reuse_port:   # scale mode: N action servers behind one port
        app.run(sock=listening_socket(settings.action_port, reuse_port=True), single_process=True,
                access_log=False, motd=False)
    else:
        app.run(host="127.0.0.1", port=settings.action_port, single_process=True, access_log=False, motd=False)


if __name__ == "__main__":
    main()
