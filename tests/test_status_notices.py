"""Status notices written with their cause (issue 15, items 1, 2 and 5): logging a flight writes the notices its
status calls for in the same transaction; deleting it withdraws them, editing it moves them; the test clock
decides what is due."""
from __future__ import annotations

import datetime as dt

import pytest

from bot.notices import render
from ledger.shared.clock import TOKYO, parse_moment
from ledger.shared.refusals import Refusal
from tests.conftest import with_wall

USER = "tg:31342"
D = dt.date


def tokyo_day(notice: dict) -> dt.date:
    return dt.datetime.fromisoformat(notice["due_at"]).astimezone(TOKYO).date()


def status_notices(ledger, user=USER) -> dict[str, dict]:
    return {n["kind"] + ":" + n.get("tier", str(n.get("flown_on"))): n for n in ledger.notices_for(user)
            if not n["sent"]}


def crossing(ledger) -> int:
    """Seed 004: 31,342 PP with the flight of 2016-06-08 (Bronze from 2016-06-10)."""
    ledger.set_test_clock(parse_moment("2016-06-09T10:00"))
    ledger.log_flight(USER, D(2016, 4, 10), 15_000, "f1")
    ledger.log_flight(USER, D(2016, 5, 20), 14_000, "f2")
    facts, _ = ledger.log_flight(USER, D(2016, 6, 8), 2_342, "f3")
    return facts["flight_id"]


def test_logging_the_crossing_flight_writes_the_status_notices(ledger):
    crossing(ledger)
    found = status_notices(ledger)
    assert set(found) == {"advance_service_starts:bronze", "main_status_starts:bronze", "status_card_due:bronze"}
    starts = found["advance_service_starts:bronze"]
    assert dt.datetime.fromisoformat(starts["due_at"]) == dt.datetime(2016, 6, 10, 8, tzinfo=TOKYO)
    assert tokyo_day(found["main_status_starts:bronze"]) == D(2017, 4, 1)
    assert found["status_card_due:bronze"]["card_expected_by"] == "2016-07-01", "the end of ANA's 2-3 weeks"
    ja = render(ledger, starts | {"locale": "ja"})
    en = render(ledger, starts | {"locale": "en"})
    assert "ブロンズ" in ja and "2016年6月10日" in ja
    assert "Bronze starts today" in en and "2016-06-10" in en


def test_deleting_the_flight_withdraws_them_and_editing_it_moves_them(ledger):
    flight_id = crossing(ledger)
    ledger.edit_flight(USER, flight_id, "e1", flown_on=D(2016, 6, 9))
    moved = status_notices(ledger)["advance_service_starts:bronze"]
    assert tokyo_day(moved) == D(2016, 6, 11), "moved with the flight"
    assert len([n for n in ledger.notices_for(USER) if n["kind"] == "advance_service_starts"]) == 1

    live = [f for f in ledger.list_flights(USER, 2016) if f.flown_on == D(2016, 6, 9)][0]
    ledger.delete_flight(USER, live.flight_id, "d1")
    assert status_notices(ledger) == {}, "below 30,000 PP again: nothing to announce"


def test_the_test_clock_decides_what_is_due_in_order(ledger):
    ledger, wall = with_wall(ledger)
    crossing(ledger)
    ledger.log_flight(USER, D(2016, 6, 5), 900, "p1", ana_group=False)       # a partner flight: 3 days to a month
    ledger.set_test_clock(parse_moment("2016-06-09T10:00") + dt.timedelta(days=7))
    due = ledger.claim_due_notices("test", 50, "")
    assert [n["kind"] for n in due] == ["advance_service_starts"], "a week: only the start is due"
    ledger.notice_sent(due[0]["id"])
    ledger.set_test_clock(parse_moment("2016-07-06T09:00"))
    assert ledger.claim_due_notices("test", 50, "") == [], "one message a second to a chat"
    wall.advance(1.1)
    due = ledger.claim_due_notices("test", 50, "")
    assert [n["kind"] for n in due] == ["status_card_due", "partner_pp_credited"]
    assert due[1]["flown_on"] == "2016-06-05"


def test_a_flight_logged_years_later_announces_nothing_that_is_over(ledger):
    ledger.set_test_clock(parse_moment("2026-12-01T10:00"))
    ledger.log_flight(USER, D(2016, 6, 8), 31_342, "old")
    assert status_notices(ledger) == {}


# ---------------------------------------------------------------- points and login notices, with their cause

def test_a_link_that_waits_announces_itself_and_unlinking_withdraws_it(ledger):
    ledger.set_test_clock(parse_moment("2018-06-01T10:00"))
    ledger.request_link(USER, "jal")                      # up to a week
    ledger.request_link(USER, "saison")                   # assumed 7 days; its Kasama campaign ends 2018-07-31
    kinds = sorted((n["kind"], n.get("partner")) for n in ledger.notices_for(USER))
    assert kinds == [("campaign_ends", "saison"), ("link_active", "jal"), ("link_active", "saison")]
    campaign = next(n for n in ledger.notices_for(USER) if n["kind"] == "campaign_ends")
    assert tokyo_day(campaign) == D(2018, 7, 24) and campaign["days"] == 7, "N days before, from partners.yml"
    assert "7日" in render(ledger, campaign | {"locale": "ja"}) and "2018-07-31" in render(ledger, campaign | {"locale": "en"})

    ledger.set_test_clock(parse_moment("2018-06-08T10:00"))
    due = ledger.claim_due_notices("test", 50, "")
    assert [(n["kind"], n["partner"]) for n in due] == [("link_active", "jal"), ("link_active", "saison")]
    assert "JAL" in render(ledger, due[0] | {"locale": "en"})
    for notice in due:
        ledger.notice_sent(notice["id"])
    ledger.unlink(USER, "saison")
    assert [n["kind"] for n in ledger.notices_for(USER) if not n["sent"]] == [], "the campaign notice is withdrawn"
    assert ledger.request_link(USER, "docomo").status == "active"
    assert not [n for n in ledger.notices_for(USER) if n.get("partner") == "docomo"], "at once: nothing to announce"


def test_a_session_warns_before_it_expires_and_logging_out_withdraws_it(ledger):
    from starlette.testclient import TestClient

    from bot.http_api import create_api
    from cardbridge import agent
    from cardbridge.emulator import InProcessTransport, new_card
    from ledger.common.card_trust import sandbox_ca

    ledger.set_test_clock(parse_moment("2018-06-01T10:00"))
    app = create_api(None, "x" * 40, {}, card_challenge=ledger.card_challenge,
                     complete_card_login=ledger.complete_card_login)
    with TestClient(app, base_url="http://127.0.0.1:8080") as client:
        agent.login("http://127.0.0.1:8080", ledger.start_card_login(USER).code,
                    InProcessTransport(new_card(sandbox_ca(ledger.settings.var_dir))), ask_pin=lambda a: "1234",
                    confirm_last_try=lambda: False, client=client)
    expiring = [n for n in ledger.notices_for(USER) if n["kind"] == "session_expiring"]
    assert len(expiring) == 1
    due = dt.datetime.fromisoformat(expiring[0]["due_at"])
    assert due == parse_moment("2018-06-01T10:00") + dt.timedelta(hours=12, minutes=-30)
    assert "ログイン" in render(ledger, expiring[0] | {"locale": "ja"})
    ledger.logout(USER)
    assert not [n for n in ledger.notices_for(USER) if n["kind"] == "session_expiring"]


# ---------------------------------------------------------------- users choose (issue 15 item 4)

def test_a_muted_kind_is_never_sent_and_unmuting_sends_the_next(ledger):
    crossing(ledger)
    assert ledger.mute_notices(USER, "advance_service_starts") == ["advance_service_starts"]
    ledger.set_test_clock(parse_moment("2016-06-16T10:00"))
    assert [n["kind"] for n in ledger.claim_due_notices("test", 50, "")] == [], "muted: closed unsent"
    assert ledger.unmute_notices(USER, "advance_service_starts") == []
    ledger.set_test_clock(parse_moment("2017-04-01T10:00"))
    assert "main_status_starts" in [n["kind"] for n in ledger.claim_due_notices("test", 50, "")]
    with pytest.raises(Refusal) as unknown:
        ledger.mute_notices(USER, "spam")
    assert unknown.value.reason == "unknown_notice_kind"


def test_notices_due_in_quiet_hours_wait_for_the_morning(ledger):
    crossing(ledger)                                          # due 2016-06-10 08:00 Tokyo
    assert ledger.set_quiet_hours(USER, "21:00", "09:30")["quiet_from"] == "21:00"
    ledger.set_test_clock(parse_moment("2016-06-10T08:30"))
    assert ledger.claim_due_notices("test", 50, "") == [], "08:30 is inside 21:00-09:30"
    ledger.set_test_clock(parse_moment("2016-06-10T09:30"))
    assert [n["kind"] for n in ledger.claim_due_notices("test", 50, "")] == ["advance_service_starts"]
    for bad in (("25:00", "07:00"), ("22:00", None), ("ten", "seven")):
        with pytest.raises(Refusal) as refused:
            ledger.set_quiet_hours(USER, *bad)
        assert refused.value.reason == "bad_quiet_hours"
    assert ledger.set_quiet_hours(USER, None, None)["quiet_from"] is None
