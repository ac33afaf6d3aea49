"""Sentences nobody trained on, through the whole assistant: for each family of intents and each language, the
first three held-out sentences (in the file's order) reach an answer of the right kind — at once, or after the
user picks the reading they meant when the assistant asks (ops/nlu_e2e.py)."""
from __future__ import annotations

import pytest

from ops.nlu_e2e import FAMILIES, RIGHT_KINDS, drive, kinds_of, prepare_user
from ops.nlu_heldout import load_items

pytestmark = pytest.mark.rasa

ITEMS = load_items()
CASES = [(family, lang, [i for i in ITEMS if i["intent"] in intents and i["lang"] == lang][:3])
         for family, intents in FAMILIES.items() for lang in ("ja", "en")]


@pytest.mark.parametrize("family, lang, items", CASES, ids=[f"{f}-{lang}" for f, lang, _ in CASES])
def test_three_heldout_sentences_of_each_family_get_the_right_kind_of_answer(stack, family, lang, items):
    assert len(items) == 3
    results = [drive(stack.say, stack.ledger, item) for item in items]
    wrong = [{k: r[k] for k in ("text", "kinds", "said")} for r in results if r["outcome"] not in ("right", "right_after_asking")]
    assert wrong == []


VAGUE = ["ポイント", "points?", "えーと ポイント", "hmm points"]


def test_a_vague_message_is_asked_about_and_the_reading_chosen_is_answered(stack):
    """A word that could mean several things gets buttons of its likely readings; pressing one answers it."""
    user = prepare_user(stack.ledger, "vague")
    for text in VAGUE:
        asked = stack.say(user, text)
        readings = [r for m in asked for r in ((m.get("facts") or {}).get("readings") or [])]
        if readings:
            break
    else:
        pytest.fail(f"none of {VAGUE} was asked about")
    buttons = [b["payload"] for m in asked for b in m.get("buttons") or []]
    assert buttons[-1] == '/choose_reading{"reading":"none"}' and len(buttons) == len(readings) + 1
    assert "didn't understand" not in " ".join(m.get("text") or "" for m in asked)
    chosen = readings[0]
    answer = stack.say(user, f'/choose_reading{{"reading":"{chosen}"}}')
    assert RIGHT_KINDS[chosen] & set(kinds_of(answer)), (chosen, answer)
