"""The card bridge's JPKI logic against the emulated card, in process (reference/jpki-cardbridge.md §1–§2)."""
from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.hashes import SHA256

from cardbridge.emulator import EmulatedCa, InProcessTransport, new_card
from cardbridge.errors import CardError
from cardbridge.jpki import AID, JpkiCard, digest_info


@pytest.fixture(scope="module")
def pki():
    return EmulatedCa.create()


@pytest.fixture
def card(pki):
    return new_card(pki)


def test_reads_the_auth_certificate_in_chunks_and_signs_what_it_verifies(card):
    jpki = JpkiCard(InProcessTransport(card))
    der = jpki.read_auth_certificate()
    assert der == card.auth_cert
    reads = [a for a in card.log if a[1] == 0xB0]
    assert len(reads) >= 4 and all(a[4] <= 0xFF for a in reads), "chunks of at most 255 bytes"
    assert not any(a[1] == 0xA4 and a[5:7] == b"\x00\x01" for a in card.log), "the signature certificate is never read"
    jpki.verify_pin("1234")
    signature = jpki.sign(b"login message")
    x509.load_der_x509_certificate(der).public_key().verify(signature, b"login message", PKCS1v15(), SHA256())


def test_the_application_is_selected_by_its_aid_not_the_atr(card):
    JpkiCard(InProcessTransport(card)).tries_left()
    assert card.log[0] == bytes([0x00, 0xA4, 0x04, 0x0C, len(AID)]) + AID


def test_tries_left_spends_nothing_and_a_wrong_pin_counts_down(card):
    jpki = JpkiCard(InProcessTransport(card))
    assert jpki.tries_left() == 3 and jpki.tries_left() == 3
    with pytest.raises(CardError) as wrong:
        jpki.verify_pin("0000")
    assert (wrong.value.code, wrong.value.details) == ("wrong_pin", {"tries_left": 2})
    assert "残り2回" in wrong.value.message("ja") and "2 tries left" in wrong.value.message("en")
    jpki.verify_pin("1234")
    assert jpki.tries_left() == 3, "a good PIN resets the counter"


@pytest.mark.parametrize("pin", ["123", "12345", "12a4", "", "１２３４", " 1234", None])
def test_a_malformed_pin_never_spends_a_try(card, pin):
    jpki = JpkiCard(InProcessTransport(card))
    with pytest.raises(CardError) as refused:
        jpki.verify_pin(pin)
    assert refused.value.code == "pin_malformed"
    assert card.tries == 3 and not any(a[1] == 0x20 and len(a) > 4 for a in card.log)


def test_the_last_try_needs_an_explicit_yes(card):
    card.tries = 1
    jpki = JpkiCard(InProcessTransport(card))
    with pytest.raises(CardError) as declined:
        jpki.verify_pin("0000", confirm_last_try=lambda: False)
    assert declined.value.code == "last_try_declined" and card.tries == 1
    with pytest.raises(CardError) as locked:
        jpki.verify_pin("0000", confirm_last_try=lambda: True)
    assert locked.value.code == "pin_locked" and card.tries == 0


@pytest.mark.parametrize("locked_sw", [(0x69, 0x83), (0x63, 0xC0), (0x69, 0x84)])
def test_a_locked_pin_is_said_whatever_the_card_answers(pki, locked_sw):
    card = new_card(pki, locked_sw=locked_sw)
    card.tries = 0
    jpki = JpkiCard(InProcessTransport(card))
    assert jpki.tries_left() == 0
    with pytest.raises(CardError) as locked:
        jpki.verify_pin("1234")
    assert locked.value.code == "pin_locked"


def test_signing_before_the_pin_is_refused_by_the_card(card):
    jpki = JpkiCard(InProcessTransport(card))
    jpki.select_ap()
    with pytest.raises(CardError) as refused:
        jpki.sign(b"x")
    assert refused.value.details["sw"] == "6982"


def test_a_card_without_jpki_and_a_pulled_or_reset_card(pki):
    with pytest.raises(CardError) as none:
        JpkiCard(InProcessTransport(new_card(pki, no_auth_cert=True))).read_auth_certificate()
    assert none.value.code == "not_jpki"
    with pytest.raises(CardError) as pulled:
        JpkiCard(InProcessTransport(new_card(pki, remove_after=4))).read_auth_certificate()
    assert pulled.value.code == "card_removed"
    with pytest.raises(CardError) as reset:
        JpkiCard(InProcessTransport(new_card(pki, reset_after=4))).read_auth_certificate()
    assert reset.value.code == "card_reset"
    with pytest.raises(CardError) as empty:
        JpkiCard(InProcessTransport(None)).tries_left()
    assert empty.value.code == "no_card"


def test_digest_info_is_sha256_with_its_prefix():
    info = digest_info(b"abc")
    assert len(info) == 51 and info.startswith(bytes.fromhex("3031300d0609608648016503040201050004 20".replace(" ", "")))
