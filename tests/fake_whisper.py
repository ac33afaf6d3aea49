"""A local stand-in for an OpenAI-compatible speech-to-text server (`POST /v1/audio/transcriptions`, as local
Whisper servers serve it): it answers with the words a test says an audio file holds (`hears`), records each call
(the multipart fields and the audio's bytes), and can be told to fail."""
from __future__ import annotations

import asyncio
import hashlib
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ops.processes import free_port


def _form(content_type: str, body: bytes) -> dict[str, Any]:
    message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
    fields: dict[str, Any] = {}
    for part in message.iter_parts():
        data = part.get_payload(decode=True) or b""
        fields[part.get_param("name", header="content-disposition")] = (
            data if part.get_filename() is not None else data.decode())
    return fields


class FakeWhisper:
    def __init__(self, token: str | None = None) -> None:
        self.token = token
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self.words: dict[str, str] = {}
        self.calls: list[dict[str, Any]] = []
        self.fail_next = 0
        app = Starlette(routes=[Route("/v1/audio/transcriptions", self._transcribe, methods=["POST"])])
        self._server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                                     lifespan="off"))
        self._task: asyncio.Task | None = None

    def hears(self, audio: bytes, words: str) -> None:
        self.words[hashlib.sha256(audio).hexdigest()] = words

    async def _transcribe(self, request: Request) -> JSONResponse:
        if self.token and request.headers.get("authorization") != f"Bearer {self.token}":
            return JSONResponse({"error": {"message": "bad key"}}, status_code=401)
        form = _form(request.headers.get("content-type", ""), await request.body())
        self.calls.append(form)
        if self.fail_next:
            self.fail_next -= 1
            return JSONResponse({"error": {"message": "overloaded"}}, status_code=503)
        audio = form.get("file") or b""
        return JSONResponse({"text": self.words.get(hashlib.sha256(audio).hexdigest(), "")})

    async def __aenter__(self) -> "FakeWhisper":
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            await asyncio.sleep(0.01)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._server.should_exit = True
        await asyncio.wait_for(self._task, timeout=10)
