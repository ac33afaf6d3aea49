"""The only module that talks to PC/SC (pyscard, imported when first needed): readers, card presence, and a
transport that maps every PC/SC condition to the bridge's codes (reference/jpki-cardbridge.md §2)."""
from __future__ import annotations

from dataclasses import dataclass

from cardbridge.errors import CardError

REMOVED, RESET, SHARING = 0x80100069, 0x80100068, 0x8010000B
NO_SERVICE, NO_SMARTCARD = 0x8010001D, 0x8010000C


@dataclass(frozen=True)
class Reader:
    name: str
    card_present: bool


def _smartcard():
    try:
        import smartcard.Exceptions
        import smartcard.pcsc.PCSCExceptions
        import smartcard.System
    except ImportError:
        raise CardError("no_service") from None
    return smartcard


def _mapped(exc: Exception) -> CardError:
    code = getattr(exc, "hresult", None)
    if code is not None:
        code &= 0xFFFFFFFF
    if code == REMOVED:
        return CardError("card_removed")
    if code == RESET:
        return CardError("card_reset")
    if code == SHARING:
        return CardError("sharing_violation")
    if code == NO_SERVICE:
        return CardError("no_service")
    name = type(exc).__name__
    if name == "CardConnectionException" and "no valid response" in str(exc):
        return CardError("card_removed")          # the reader lost the card mid-APDU (vpcd: the card left)
    if name == "NoCardException" or code == NO_SMARTCARD:
        return CardError("no_card")
    if name in ("EstablishContextException", "CardServiceNotFoundException"):
        return CardError("no_service")
    return CardError("card_error", sw=name)


def readers() -> list[Reader]:
    """Every reader pcscd knows, with whether a card is in it."""
    smartcard = _smartcard()
    try:
        found = smartcard.System.readers()
    except Exception as exc:                      # BaseSCardException is not a SmartcardException
        raise _mapped(exc) from None
    result = []
    for reader in found:
        connection = reader.createConnection()
        try:
            connection.connect()
            present = True
        except Exception:
            present = False
        finally:
            try:
                connection.disconnect()
            except Exception:
                pass
        result.append(Reader(name=str(reader), card_present=present))
    return result


class PyscardTransport:
    """One reader's card, held exclusively from connect to close — an exclusive share and one PC/SC transaction
    (SCardBeginTransaction) — so no other program can come between VERIFY and SIGN; a program that holds the card
    already is a sharing violation, said at once, never waited on."""

    def __init__(self, reader_name: str | None = None) -> None:
        smartcard = _smartcard()
        from smartcard.ExclusiveTransmitCardConnection import ExclusiveTransmitCardConnection
        from smartcard.scard import SCARD_SHARE_EXCLUSIVE
        try:
            found = smartcard.System.readers()
        except Exception as exc:
            raise _mapped(exc) from None
        if not found:
            raise CardError("no_reader")
        chosen = [r for r in found if reader_name is None or str(r) == reader_name]
        if not chosen:
            raise CardError("no_reader")
        last: CardError | None = None
        for reader in chosen:
            connection = ExclusiveTransmitCardConnection(reader.createConnection())
            try:
                connection.connect(mode=SCARD_SHARE_EXCLUSIVE)
            except Exception as exc:
                mapped = _mapped(exc)
                if last is None or last.code == "no_card":   # an empty reader says less than a busy card
                    last = mapped
                continue
            self.connection = connection
            self.reader = str(reader)
            try:
                connection.lock()
            except Exception as exc:
                raise _mapped(exc) from None
            return
        raise last or CardError("no_card")

    def transmit(self, apdu: bytes) -> tuple[bytes, int, int]:
        try:
            data, sw1, sw2 = self.connection.transmit(list(apdu))
        except Exception as exc:
            raise _mapped(exc) from None
        return bytes(data), sw1, sw2

    def close(self) -> None:
        try:
            self.connection.unlock()
        except Exception:
            pass
        try:
            self.connection.disconnect()
        except Exception:
            pass
