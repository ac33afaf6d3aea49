"""What people call things (ledger/rules/lexicon.yml) reaches both the NLU and the ledger."""
from __future__ import annotations

import pytest
from test_nlu_data import extract, value_of

from ledger.rules import default_rules
from ops.lexicon import GENERATED, load_lexicon, program_names, render

LEXICON = load_lexicon()
NAMES = [(pid, name) for pid, names in program_names(LEXICON).items() for name in names]


def test_the_generated_nlu_data_is_current():
    assert GENERATED.read_text(encoding="utf-8") == render(LEXICON), "run `pointsbot nlu lexicon`"


@pytest.mark.parametrize("pid, name", NAMES)
def test_every_name_of_a_program_is_found_in_a_sentence_and_means_that_program(pid, name):
    assert value_of(f"{name}のポイントを交換したい", "partner") == pid
    assert value_of(f"convert my {name} points please", "partner") == pid


@pytest.mark.parametrize("pid, name", NAMES)
def test_the_ledger_finds_a_program_by_every_name(pid, name):
    assert default_rules().find_partner(name).id == pid


@pytest.mark.parametrize("tier, names", LEXICON["tiers"].items())
def test_every_name_of_a_tier_means_that_tier(tier, names):
    for name in names:
        assert value_of(f"{name}はいつから?", "tier") == tier
        assert value_of(f"when does my {name} start", "tier") == tier


@pytest.mark.parametrize("text", ["どこも連携していない", "I'm banana about Canada", "what's the plan", "platform fees",
                                  "ANA 123 on June 8", "ANA-7K3M-9QXD-4", "the diamonds in my ring"])
def test_ordinary_words_codes_and_flight_numbers_are_not_programs_or_tiers(text):
    assert {e for e, _, _ in extract(text)} & {"partner", "tier"} == set()


@pytest.mark.parametrize("text, pid", [("ANA 2000 miles to reserved points", "ana"), ("ｼﾞｬﾙのﾏｲﾙ", "jal"),
                                       ("ＪＡＬ２０００マイル", "jal"), ("中電のポイント", "katene")])
def test_programs_in_full_width_half_width_and_beside_numbers(text, pid):
    assert value_of(text, "partner") == pid


def test_the_command_writes_the_generated_file(tmp_path, monkeypatch):
    from test_cli import pointsbot

    import ops.lexicon

    target = tmp_path / "lexicon.yml"
    monkeypatch.setattr(ops.lexicon, "GENERATED", target)
    result = pointsbot(tmp_path, "nlu", "lexicon")
    assert result.returncode == 0, result.stderr
    assert target.read_text(encoding="utf-8") == render(LEXICON)
