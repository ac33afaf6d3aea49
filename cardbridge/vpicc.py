"""The emulated card in a virtual reader: a client of vsmartcard's vpcd (Debian `vsmartcard-vpcd`), so pyscard and
OpenSC reach the emulator through the real pcscd.

vpcd listens on TCP 35963 (slot 1). Every message is a 2-byte big-endian length and a payload: one control byte
(00 power off, 01 power on, 02 reset, 04 get ATR — answered with the ATR), or a command APDU, answered with the
response APDU (data and SW1 SW2). Closing the socket is pulling the card; connecting again is inserting it.
"""
from __future__ import annotations

import socket
import struct
import threading
import time

from cardbridge.emulator import CardRemoved, CardWasReset, EmulatedJpkiCard

VPCD_PORT = 35963


class VirtualCard:
    """Runs `card` in vpcd's reader until `remove()`; a thread answers vpcd's frames."""

    def __init__(self, card: EmulatedJpkiCard, host: str = "127.0.0.1", port: int = VPCD_PORT) -> None:
        self.card = card
        self.address = (host, port)
        self.sock: socket.socket | None = None
        self.thread: threading.Thread | None = None
        self.stopped = threading.Event()

    def insert(self, timeout: float = 10.0) -> "VirtualCard":
        self.sock = socket.create_connection(self.address, timeout=timeout)
        self.sock.settimeout(None)
        self.stopped.clear()
        self.thread = threading.Thread(target=self._serve, name="vpicc", daemon=True)
        self.thread.start()
        return self

    def remove(self) -> None:
        self.stopped.set()
        if self.sock is not None:
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.sock.close()
            self.sock = None
        if self.thread is not None:
            self.thread.join(timeout=5)
        time.sleep(1.0)   # vpcd takes a moment before it accepts the next card on the same slot

    def __enter__(self) -> "VirtualCard":
        return self.insert()

    def __exit__(self, *exc) -> None:
        self.remove()

    def _recv(self, size: int) -> bytes | None:
        data = b""
        while len(data) < size:
            chunk = self.sock.recv(size - len(data)) if self.sock else b""
            if not chunk:
                return None
            data += chunk
        return data

    def _send(self, payload: bytes) -> None:
        self.sock.sendall(struct.pack(">H", len(payload)) + payload)

    def _serve(self) -> None:
        try:
            while not self.stopped.is_set():
                head = self._recv(2)
                if head is None:
                    return
                payload = self._recv(struct.unpack(">H", head)[0])
                if payload is None:
                    return
                if len(payload) == 1:
                    control = payload[0]
                    if control in (0x00, 0x01, 0x02):
                        self.card.power_on()
                    elif control == 0x04:
                        self._send(self.card.atr)
                    continue
                try:
                    data, sw1, sw2 = self.card.transmit(payload)
                except CardRemoved:
                    self.stopped.set()
                    self.sock.shutdown(socket.SHUT_RDWR)
                    return
                except CardWasReset:
                    data, sw1, sw2 = b"", 0x6F, 0x00
                self._send(bytes(data) + bytes([sw1, sw2]))
        except OSError:
            return
