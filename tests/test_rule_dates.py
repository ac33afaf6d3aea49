"""Every rule as the sources state it (issue 13): each rule carries the day its source last confirmed it, an
answer for a later day says the rule may no longer hold, and no message writes a rule value of its own —
change a rule file and the answer says the new value."""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml

from actions import partners, reserved, runtime, status
from ledger.bootstrap import bootstrap
from ledger.rules import RULES_DIR, load_rules
from ledger.shared.clock import parse_moment
from tests.conftest import make_settings
from tests.test_actions import entity, facts, run, tracker, words

USER = "action-test"   # the sender of tests.test_actions.tracker


@pytest.fixture
def ledger(tmp_path):
    the_ledger = bootstrap(make_settings(tmp_path))
    runtime.use_ledger(the_ledger)
    yield the_ledger
    runtime.use_ledger(None)
    the_ledger.dispose()


def at(ledger, moment: str) -> None:
    ledger.set_test_clock(parse_moment(moment))


# ---------------------------------------------------------------- the date each rule was last confirmed

def test_the_sandbox_in_2018_gives_the_2018_answer_with_no_warning(ledger):
    at(ledger, "2018-06-01T10:00")
    ledger.sandbox_grant(USER, "jal", 5_000)
    ledger.sandbox_link(USER, "jal")
    facts_ = ledger.quote_conversion(USER, "jal", 2_000).facts("needs_confirmation")
    assert (facts_["rule_current"], facts_["rule_confirmed_on"]) == (True, "2017-09-27")
    assert "rule_source" not in facts_


def test_more_than_a_year_after_the_source_the_rate_may_no_longer_hold(ledger):
    at(ledger, "2018-10-15T10:00")       # JAL's rate: seed 000 of 2017-09-27
    ledger.sandbox_grant(USER, "jal", 5_000)
    ledger.sandbox_link(USER, "jal")
    facts_ = ledger.quote_conversion(USER, "jal", 2_000).facts("needs_confirmation")
    assert (facts_["rule_current"], facts_["rule_confirmed_on"]) == (False, "2017-09-27")
    assert "seed 000" in facts_["rule_source"] and "rule_ended_on" not in facts_


def test_after_the_scheme_ended_every_points_answer_says_so(ledger):
    at(ledger, "2021-03-01T10:00")       # めいぶつチョイス closed 2020-09-30
    ledger.sandbox_grant(USER, "saison", 1_000)
    ledger.sandbox_link(USER, "saison")
    for facts_ in (ledger.quote_conversion(USER, "saison", 500).facts("needs_confirmation"),
                   ledger.preview_conversion(USER, "saison", 500).facts(),
                   ledger.best_route(USER, "saison", 500).facts(),
                   ledger.link_statuses(USER)["saison"].facts()):
        assert (facts_["rule_current"], facts_["rule_ended_on"]) == (False, "2020-09-30"), facts_


def test_the_campaign_is_current_while_it_runs(ledger):
    at(ledger, "2018-07-31T23:00")
    ledger.sandbox_grant(USER, "saison", 1_000)
    ledger.sandbox_link(USER, "saison")
    facts_ = ledger.quote_conversion(USER, "saison", 500, "笠間市").facts("needs_confirmation")
    assert facts_["to"] == "municipal:kasama" and facts_["rule_current"] is True


def test_status_answers_carry_the_date_of_their_rules(ledger):
    at(ledger, "2026-12-01T10:00")
    ledger.log_flight(USER, dt.date(2026, 11, 30), 1_000, "f-1")
    now = ledger.status_start(USER, "bronze").facts()
    assert (now["rule_current"], now["rule_confirmed_on"]) == (True, "2026-11-22")
    later = ledger.what_if_trip(USER, ["HND", "OKA"], [dt.date(2028, 1, 10)], ["standard"]).facts()
    assert later["rule_current"] is False, "fare tables and status rules of 2026 for a flight in 2028"


def test_a_rule_without_its_source_date_does_not_load(tmp_path):
    rules_dir = tmp_path / "rules"
    shutil.copytree(RULES_DIR, rules_dir)
    raw = yaml.safe_load((rules_dir / "partners.yml").read_text(encoding="utf-8"))
    del raw["partners"]["jal"]["rates"][0]["confirmed_on"]
    (rules_dir / "partners.yml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValueError, match="jal rate has no confirmed_on"):
        load_rules(rules_dir)


@pytest.mark.parametrize("locale, stale, ended", [
    ("en", "last confirmed on 2017-09-27", "ended on 2020-09-30"),
    ("ja", "最終確認日は2017年9月27日（水）", "2020年9月30日（水）に終了"),
])
async def test_the_answer_says_plainly_that_the_rule_may_no_longer_hold(ledger, locale, stale, ended):
    ledger.sandbox_grant(USER, "jal", 9_000)
    at(ledger, "2018-06-01T10:00")
    ledger.sandbox_link(USER, "jal")
    text = "link JAL" if locale == "en" else "JALを連携"
    ask = tracker(text, "link_partner", slots={"partner": "jal"}, form="link_form", requested="confirm", locale=locale)
    said, _ = await run(partners.ActionLinkStatus(), ask)
    assert "may no longer" not in words(said) and "可能性があります" not in words(said)

    at(ledger, "2018-11-01T10:00")
    said, _ = await run(partners.ActionLinkStatus(), ask)
    assert stale in words(said) and facts(said, "link_status")["rule_current"] is False
    assert facts(said, "link_status")["links"]["jal"]["rule_current"] is False

    at(ledger, "2021-01-10T10:00")
    said, _ = await run(partners.ActionLinkStatus(), ask)
    assert ended in words(said)


# ---------------------------------------------------------------- rule values come from the rules files

def _edited_rules(tmp_path: Path):
    """The packaged rules with every value a message says changed."""
    rules_dir = tmp_path / "rules"
    shutil.copytree(RULES_DIR, rules_dir)

    def edit(name: str, change) -> None:
        path = rules_dir / name
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        change(raw)
        path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")

    def partners_(raw):
        raw["partners"]["jal"]["linkage"]["activation_days"] = 10

    def places(raw):
        raw["reserved_points"]["auto_move_after_days"] = 10

    def status_(raw):
        raw["crediting"]["partner_days_after_flight"] = [5, 45]
        raw["status"]["days_after_crediting"] = 2
        raw["status"]["card_weeks"] = [3, 4]
        raw["status"]["early_months_official"] = {"month": 4, "part": "late"}
        raw["pp_formula"]["since"] = dt.date(2010, 1, 1)

    edit("partners.yml", partners_)
    edit("municipalities.yml", places)
    edit("status.yml", status_)
    return load_rules(rules_dir)


@pytest.fixture
def edited(tmp_path):
    the_ledger = bootstrap(make_settings(tmp_path), rules=_edited_rules(tmp_path))
    runtime.use_ledger(the_ledger)
    yield the_ledger
    runtime.use_ledger(None)
    the_ledger.dispose()


@pytest.mark.parametrize("locale, delay, move_after", [("en", "up to 10 days", "within 10 days"),
                                                       ("ja", "最大10日", "10日以内")])
async def test_changed_points_rules_are_what_the_answers_say(edited, locale, delay, move_after):
    at(edited, "2018-06-01T10:00")
    asked, _ = await run(partners.ActionAskLinkFormConfirm(),
                         tracker("link JAL", "link_partner", slots={"partner": "jal"}, form="link_form",
                                 requested="confirm", locale=locale))
    assert delay in words(asked) and ("a week" not in words(asked) and "1週間" not in words(asked))
    linked, _ = await run(partners.ActionLinkPartner(),
                          tracker("yes", "affirm", slots={"partner": "jal", "confirm": True}, locale=locale))
    assert facts(linked, "link")["active_from"] == "2018-06-11"

    home, _ = await run(reserved.ActionSetHomeMunicipality(),
                        tracker("Kasama", "inform", slots={"municipality": "kasama"}, locale=locale))
    assert move_after in words(home) and "14" not in words(home)


@pytest.mark.parametrize("locale, after, card, late", [
    ("en", "from 2 days after crediting", "about 3–4 weeks", "late April"),
    ("ja", "積算の2日後", "約3〜4週間", "4月下旬"),
])
async def test_changed_status_rules_are_what_the_answers_say(edited, locale, after, card, late):
    at(edited, "2016-06-20T10:00")
    edited.log_flight(USER, dt.date(2016, 6, 8), 30_000, "f-1")
    said, _ = await run(status.ActionStatusStart(),
                        tracker("bronze?", "ask_status_start", slots={"tier": "bronze"}, locale=locale))
    assert facts(said)["advance_service_from"] == "2016-06-11", "credited 06-09, shown 2 days after"
    assert after in words(said) and card in words(said)

    at(edited, "2017-03-10T10:00")
    edited.log_flight(USER, dt.date(2017, 2, 1), 30_000, "f-2")   # reached in February: April, 「4月下旬」 now
    early, _ = await run(status.ActionStatusStart(),
                         tracker("bronze?", "ask_status_start", slots={"tier": "bronze"}, locale=locale))
    assert facts(early)["official_advance_service_from"] == "late April" and late in words(early)

    text = "what if I fly 2009-05-01 for 1000 PP"
    old, _ = await run(status.ActionWhatIf(), tracker(text, "ask_what_if", locale=locale,
                                                     entities=[entity("date", "2009-05-01", text),
                                                               entity("amount", "1000", text)]))
    assert "2010" in words(old) and "2008" not in words(old)
