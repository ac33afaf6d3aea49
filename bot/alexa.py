"""The Alexa skill endpoint, `POST /v1/alexa`, on the Alexa Skills Kit SDK for Python (`ask-sdk-core`,
`ask-sdk-webservice-support`).

Every request is checked before anything runs: its signature (the certificate chain at the SignatureCertChainUrl
must lead to a trusted root, name echo-api.amazon.com and sign the exact body) and its timestamp (within 150 s);
with `ALEXA_SKILL_ID` set, requests for another skill are refused. The checks are on by default and can be
switched off only in sandbox (`ALEXA_VERIFY=0`, `Settings.check_alexa`).

The skill speaks through the same voice channel as `/v1/voice` (`bot.voice`): LaunchRequest greets; the catch-all
QueryIntent (its `query` slot carries what was said) is one conversation turn; AMAZON.YesIntent / NoIntent answer
an open question; Stop and Cancel end the session (cancelling an open confirmation first); Help and Fallback keep
it open with a reprompt; SessionEndedRequest closes. The state between turns (the rest of a long answer, the
buttons of an open question) rides in Alexa's session attributes. Users are `alexa:<hash of Alexa's user id>`.
The interaction model for ja-JP and en-US is generated from the NLU data (`ops/alexa_model.py`).
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
from typing import Callable

import httpx
from ask_sdk_core.dispatch_components import AbstractExceptionHandler, AbstractRequestHandler
from ask_sdk_core.skill_builder import SkillBuilder
from ask_sdk_core.utils import get_slot_value, is_intent_name, is_request_type
from ask_sdk_runtime.exceptions import AskSdkException
from ask_sdk_webservice_support.verifier import RequestVerifier, VerificationException
from ask_sdk_webservice_support.webservice_handler import WebserviceSkillHandler
from asn1crypto import pem
from certvalidator import CertificateValidator, ValidationContext
from certvalidator.errors import PathError, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.voice import VoiceChannel, VoiceSessions
from i18n import t

log = logging.getLogger(__name__)

LOCALES = {"ja-JP": "ja", "en-US": "en"}
MAX_BODY = 64 * 1024
MAX_CHAIN = 64 * 1024
TURN_SECONDS = 7.0             # Alexa waits about 8 s for an answer
YES = {"ja": "はい", "en": "yes"}
NO = {"ja": "いいえ", "en": "no"}


def alexa_user(alexa_user_id: str) -> str:
    """Alexa's user ids are long and opaque: ours is a hash of it (stable, within the 128 characters a user id has)."""
    return "alexa:" + hashlib.sha256(alexa_user_id.encode()).hexdigest()[:40]


def fetch_chain(url: str) -> bytes:
    """The certificate chain at a SignatureCertChainUrl (already checked to be Amazon's S3 echo.api path)."""
    with httpx.Client(timeout=5.0, follow_redirects=False) as client:
        response = client.get(url)
        response.raise_for_status()
        if len(response.content) > MAX_CHAIN:
            raise ValueError("certificate chain too large")
        return response.content


class SignatureVerifier(RequestVerifier):
    """The SDK's signature check, with the chain fetched under a timeout and size limit (cached by URL), and the
    roots it must lead to given: the system's trust store in production, a test root in tests."""

    def __init__(self, fetch: Callable[[str], bytes] = fetch_chain, trust_roots: list[bytes] | None = None) -> None:
        super().__init__()
        self.fetch = fetch
        self.trust_roots = trust_roots

    def _load_cert_chain(self, cert_url):  # noqa: D102 (the SDK's hook)
        if cert_url not in self._cert_cache:
            try:
                self._cert_cache[cert_url] = self.fetch(cert_url)
            except (httpx.HTTPError, ValueError) as exc:
                raise VerificationException("Unable to load certificate from URL", exc) from None
        return self._cert_cache[cert_url]

    def _validate_cert_chain(self, cert_chain):  # noqa: D102 (the SDK's hook)
        try:
            certificates = [der for _, _, der in pem.unarmor(cert_chain, multiple=True)]
            if not certificates:
                raise VerificationException("Certificate chain is empty")
            context = ValidationContext(trust_roots=self.trust_roots) if self.trust_roots else None
            CertificateValidator(certificates[0], certificates[1:], validation_context=context) \
                .validate_usage(key_usage={"digital_signature"})
        except (PathError, ValidationError, ValueError) as exc:
            raise VerificationException("Certificate chain is not valid", exc) from None


def _locale(handler_input) -> str:
    return LOCALES.get(handler_input.request_envelope.request.locale or "", "en")


def _user(handler_input) -> str:
    envelope = handler_input.request_envelope
    user = (envelope.session and envelope.session.user) or envelope.context.system.user
    return alexa_user(user.user_id)


def build_skill(channel: VoiceChannel, loop: asyncio.AbstractEventLoop, skill_id: str | None = None):
    """The custom skill: each handler runs in a worker thread and speaks through `channel` on the server's loop."""

    def turn(handler_input, text: str):
        user, locale = _user(handler_input), _locale(handler_input)
        attributes = handler_input.attributes_manager.session_attributes
        sessions = VoiceSessions.carrying(user, attributes.get("voice"))
        answer = asyncio.run_coroutine_threadsafe(channel.turn(user, text, locale, sessions=sessions), loop) \
            .result(TURN_SECONDS)
        attributes["voice"] = sessions.state(user)
        builder = handler_input.response_builder.speak(_alexa_ssml(answer.ssml))
        if answer.reprompt:
            builder.ask(answer.reprompt)
        return builder.set_should_end_session(answer.end_session).response

    def say(handler_input, key: str, *, end: bool):
        locale = _locale(handler_input)
        builder = handler_input.response_builder.speak(t(key, locale))
        if not end:
            builder.ask(t("voice.reprompt", locale))
        return builder.set_should_end_session(end).response

    class Launch(AbstractRequestHandler):
        def can_handle(self, handler_input):
            return is_request_type("LaunchRequest")(handler_input)

        def handle(self, handler_input):
            return say(handler_input, "voice.welcome", end=False)

    class Query(AbstractRequestHandler):
        def can_handle(self, handler_input):
            return is_intent_name("QueryIntent")(handler_input)

        def handle(self, handler_input):
            said = (get_slot_value(handler_input, "query") or "").strip()
            return turn(handler_input, said) if said else say(handler_input, "voice.help", end=False)

    class YesNo(AbstractRequestHandler):
        def can_handle(self, handler_input):
            return is_intent_name("AMAZON.YesIntent")(handler_input) or is_intent_name("AMAZON.NoIntent")(handler_input)

        def handle(self, handler_input):
            words = YES if is_intent_name("AMAZON.YesIntent")(handler_input) else NO
            return turn(handler_input, words[_locale(handler_input)])

    class StopCancel(AbstractRequestHandler):
        def can_handle(self, handler_input):
            return any(is_intent_name(name)(handler_input) for name in ("AMAZON.StopIntent", "AMAZON.CancelIntent"))

        def handle(self, handler_input):
            pending = (handler_input.attributes_manager.session_attributes.get("voice") or {}).get("buttons") or []
            if any(isinstance(b, dict) and b.get("payload") == "/deny" for b in pending):
                turn(handler_input, NO[_locale(handler_input)])   # an open confirmation is cancelled, not left open
            handler_input.attributes_manager.session_attributes["voice"] = None
            return say(handler_input, "voice.goodbye", end=True)

    class Help(AbstractRequestHandler):
        def can_handle(self, handler_input):
            return is_intent_name("AMAZON.HelpIntent")(handler_input) or is_intent_name("AMAZON.FallbackIntent")(
                handler_input) or is_intent_name("AMAZON.NavigateHomeIntent")(handler_input)

        def handle(self, handler_input):
            return say(handler_input, "voice.help", end=False)

    class SessionEnded(AbstractRequestHandler):
        def can_handle(self, handler_input):
            return is_request_type("SessionEndedRequest")(handler_input)

        def handle(self, handler_input):
            return handler_input.response_builder.response

    class Failed(AbstractExceptionHandler):
        def can_handle(self, handler_input, exception):
            return True

        def handle(self, handler_input, exception):
            log.exception("alexa turn failed", exc_info=exception)
            return say(handler_input, "turn_failed", end=False)

    builder = SkillBuilder()
    builder.skill_id = skill_id
    for handler in (Launch(), Query(), YesNo(), StopCancel(), Help(), SessionEnded()):
        builder.add_request_handler(handler)
    builder.add_exception_handler(Failed())
    return builder.create()


def _alexa_ssml(ssml: str) -> str:
    """Alexa adds <speak> itself and speaks in the skill's locale: our SSML without those wrappers."""
    return re.sub(r"<speak[^>]*>|</speak>|<lang[^>]*>|</lang>", "", ssml)


def alexa_route(channel: VoiceChannel, *, verify: bool = True, skill_id: str | None = None,
                fetch: Callable[[str], bytes] = fetch_chain, trust_roots: list[bytes] | None = None) -> Route:
    """`POST /v1/alexa`. `verify=False` (sandbox only, checked by `Settings.check_alexa`) skips the signature and
    timestamp checks; `fetch` and `trust_roots` are where the signing chain comes from and what it must lead to."""
    state: dict = {}

    def handler() -> WebserviceSkillHandler:
        if "handler" not in state:
            skill = build_skill(channel, asyncio.get_running_loop(), skill_id)
            verifiers = [SignatureVerifier(fetch, trust_roots)] if verify else []
            state["handler"] = WebserviceSkillHandler(skill, verify_signature=False, verify_timestamp=verify,
                                                      verifiers=verifiers)
        return state["handler"]

    async def alexa(request: Request) -> Response:
        declared = request.headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY):
            return JSONResponse({"error": {"reason": "body_too_large"}}, status_code=413)
        body = await request.body()
        if len(body) > MAX_BODY:
            return JSONResponse({"error": {"reason": "body_too_large"}}, status_code=413)
        try:
            text = body.decode("utf-8")
            parsed = json.loads(text)
        except (UnicodeDecodeError, ValueError):
            return JSONResponse({"error": {"reason": "bad_json"}}, status_code=400)
        if not isinstance(parsed, dict) or not isinstance(parsed.get("request"), dict):   # `null`, a list …
            return JSONResponse({"error": {"reason": "not_an_alexa_request"}}, status_code=400)
        skill_handler = handler()
        try:
            answer = await asyncio.to_thread(skill_handler.verify_request_and_dispatch, dict(request.headers), text)
        except VerificationException as exc:
            log.warning("alexa request refused: %s", exc)
            return JSONResponse({"error": {"reason": "not_verified"}}, status_code=400)
        except (AskSdkException, AttributeError, TypeError, KeyError, ValueError) as exc:
            # another skill's id, or a request the SDK cannot read (its parts of the wrong types)
            log.warning("alexa request refused: %s: %s", type(exc).__name__, str(exc)[:200])
            return JSONResponse({"error": {"reason": "refused"}}, status_code=400)
        return JSONResponse(answer)

    return Route("/v1/alexa", alexa, methods=["POST"])
