"""The card bridge's loopback page (issue 14 item 7): 127.0.0.1 only, the Origin of browser requests checked, the
pairing code needed — and a whole login in a real headless browser (Debian's chromium, driven by Playwright
through `executable_path`; no browser is downloaded)."""
from __future__ import annotations

import shutil
import socket
import threading
import time

import pytest
import uvicorn
from starlette.testclient import TestClient

from bot.http_api import create_api
from cardbridge.emulator import InProcessTransport, new_card
from cardbridge.page import create_page
from ledger.common.card_trust import sandbox_ca

SERVER = "http://127.0.0.1:8080"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def page_app(ledger):
    """The page on a free loopback port, its agent logging in to the ledger's card endpoints (in process)."""
    card = new_card(sandbox_ca(ledger.settings.var_dir))
    api = TestClient(create_api(None, "x" * 40, {}, card_challenge=ledger.card_challenge,
                                complete_card_login=ledger.complete_card_login), base_url=SERVER)
    port = free_port()
    app = create_page(SERVER, lambda: InProcessTransport(card), port=port, locale="ja", client=api)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield port, card
    server.should_exit = True
    thread.join(timeout=10)
    api.close()


def test_a_whole_login_in_a_headless_browser(ledger, page_app):
    from playwright.sync_api import sync_playwright

    port, card = page_app
    code = ledger.start_card_login("tg:808").code
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{port}/")
            assert "http://127.0.0.1:8080 へのログイン" in page.text_content("#approve"), "what is approved, first"
            page.fill("#code", code)
            page.fill("#pin", "9999")
            page.click("#go")
            page.wait_for_selector("#result:has-text('残り2回')", timeout=30_000)    # the page's own CSP forbids eval
            assert page.input_value("#pin") == "", "the page forgets the PIN once sent"
            page.fill("#pin", "1234")
            page.click("#go")
            page.wait_for_selector("#result:has-text('ログインしました')", timeout=30_000)
        finally:
            browser.close()
    assert ledger.login_session("tg:808").method == "card" and card.tries == 3


def test_requests_from_another_origin_or_without_the_token_are_refused(ledger, page_app):
    import httpx

    port, card = page_app
    base = f"http://127.0.0.1:{port}"
    token = httpx.get(base + "/").text.split('"x-page-token": "')[1].split('"')[0]
    body = {"code": ledger.start_card_login("tg:909").code, "pin": "1234"}
    evil = httpx.post(base + "/login", json=body, headers={"origin": "https://evil.example", "x-page-token": token})
    assert (evil.status_code, evil.json()["code"]) == (403, "forbidden_origin")
    no_origin = httpx.post(base + "/login", json=body, headers={"x-page-token": token})
    assert no_origin.status_code == 403
    no_token = httpx.post(base + "/login", json=body, headers={"origin": base})
    assert (no_token.status_code, no_token.json()["code"]) == (403, "forbidden_token")
    assert card.log == [], "nothing reached the card"
    missing_code = httpx.post(base + "/login", json={"pin": "1234"}, headers={"origin": base, "x-page-token": token})
    assert missing_code.json()["code"] == "bad_code" and card.log == []


def test_the_page_listens_on_loopback_only(page_app):
    port, _ = page_app
    addresses = {info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)}
    outside = sorted(a for a in addresses if not a.startswith("127."))
    for address in outside:
        with socket.socket() as probe:
            probe.settimeout(2)
            assert probe.connect_ex((address, port)) != 0, f"reachable on {address}"
    with socket.create_connection(("127.0.0.1", port), timeout=2):
        pass
