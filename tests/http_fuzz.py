"""Hypothesis strategies for fuzzing the HTTP API from outside: any route, method, token, header and body a
client (or an attacker) could send. Shared by the fast in-process fuzz (tests/test_http_fuzz.py) and the one
against scale mode (tests/test_scaled.py).

What must hold for every request: the answer is a documented status (never 500, never a hang), every error body
is JSON with a reason, and the service is still healthy after.
"""
from __future__ import annotations

import json

from hypothesis import strategies as st

ROUTES = [("POST", "/v1/messages"), ("POST", "/v1/voice"), ("GET", "/v1/notices"), ("GET", "/v1/status/chart"),
          ("POST", "/telegram/webhook"), ("POST", "/v1/alexa"), ("POST", "/v1/card-login/challenge"),
          ("POST", "/v1/card-login/complete"), ("GET", "/healthz"), ("PUT", "/v1/messages"), ("GET", "/v1/../etc")]
# what the API may answer; 500 and anything else is a failure
DOCUMENTED = {200, 400, 401, 403, 404, 405, 409, 413, 415, 422, 429, 503}

nasty_text = st.one_of(
    st.text(max_size=300),
    st.sampled_from(["残高", "convert 2000 JAL miles", "はい", "yes", "", " ", "\u0000", "\ud7ff" * 3, "🙂" * 50,
                     "'; DROP TABLE journal; --", "<script>alert(1)</script>", "{{7*7}}", "%s%s%n", "../../etc/passwd",
                     "/affirm", '/inform{"partner":"jal","amount":-5}', "９９９９９９９９９９９９マイル"]),
    st.text(alphabet="0123456789万千百十億兆", min_size=1, max_size=60),
)
json_scalar = st.one_of(st.none(), st.booleans(), st.integers(min_value=-2**70, max_value=2**70),
                        st.floats(allow_nan=True, allow_infinity=True), nasty_text)
json_value = st.recursive(json_scalar, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                               st.dictionaries(st.text(max_size=12), inner, max_size=4)),
                          max_leaves=12)
message_body = st.fixed_dictionaries(
    {}, optional={"user_id": st.one_of(nasty_text, json_scalar), "text": st.one_of(nasty_text, json_value),
                  "locale": st.one_of(st.sampled_from(["ja", "en", "fr", "", "ja-JP"]), json_scalar),
                  "request_id": st.one_of(nasty_text, json_scalar), "extra": json_value})

# well-formed turns with odd words, so the fuzz also reaches the conversation, not only the checks at the door
good_message = st.fixed_dictionaries(
    {"user_id": st.sampled_from(["fuzz-1", "fuzz-2", "tg:1", "ユーザー"]), "text": nasty_text.filter(lambda t: t.strip())},
    optional={"locale": st.sampled_from(["ja", "en"]), "request_id": st.text(min_size=1, max_size=20)})


def _encode(body) -> bytes:
    try:
        return json.dumps(body, ensure_ascii=False, allow_nan=True).encode("utf-8", "surrogatepass")
    except (TypeError, ValueError):
        return b"{"


@st.composite
def requests(draw, token: str) -> dict:
    """One request: method, path, headers and raw body (bytes, maybe not JSON at all)."""
    method, path = draw(st.sampled_from(ROUTES + ROUTES[:2] * 3))   # the turns most often
    auth = draw(st.sampled_from([f"Bearer {token}"] * 6 + [f"Bearer {token}x", "Bearer", "", "Basic Zm9vOmJhcg==",
                                 f"bearer {token}", f"Bearer {token}\xa0"]))
    headers = {"Authorization": auth} if auth else {}
    headers["Content-Type"] = draw(st.sampled_from(["application/json", "text/plain", "application/json; charset=shift_jis",
                                                    "multipart/form-data", ""]))
    if draw(st.booleans()):
        headers["X-Telegram-Bot-Api-Secret-Token"] = draw(st.text(alphabet="abc-_", max_size=40))
    kind = draw(st.sampled_from(["good", "good", "message", "json", "bytes", "empty"]))
    body = {"good": lambda: _encode(draw(good_message)), "message": lambda: _encode(draw(message_body)),
            "json": lambda: _encode(draw(json_value)), "bytes": lambda: draw(st.binary(max_size=400)),
            "empty": lambda: b""}[kind]()
    params = {}
    if method == "GET" and draw(st.booleans()):
        params = {"user_id": draw(st.text(max_size=40)), "year": draw(st.text(max_size=6)),
                  "locale": draw(st.sampled_from(["ja", "en", "xx"]))}
    return {"method": method, "url": path, "headers": {k: v.encode("latin-1") for k, v in headers.items() if v},
            "content": body if method != "GET" else None, "params": params}


def check(response) -> None:
    """A documented status, and an error that says why in JSON."""
    assert response.status_code in DOCUMENTED, (response.status_code, response.text[:300])
    if response.status_code >= 400 and response.status_code != 405 and response.status_code != 404:
        assert "application/json" in response.headers.get("content-type", ""), response.text[:200]
        assert response.json(), response.text[:200]
