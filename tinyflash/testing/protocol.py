"""The `validate` protocol's frames (docs/validate-protocol.md): encoding, and finding them in a noisy stream.

Pure bytes in, frames and text out: no ports, no timing. The link (link.py) drives it over a real stream.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field

MARKER = b"\xa5\x5a"
HEADER = struct.Struct("<2sBBH")  # marker, type, sequence, payload length
CRC = struct.Struct("<I")
VERSION = 1
#: The largest payload any device may announce; a header claiming more is noise.
MAX_PAYLOAD = 4096

# Requests (host -> device) and replies (device -> host).
HELLO, LOAD, RUN, READ, END = 0x01, 0x02, 0x03, 0x04, 0x05
INFO, ACK, RESULT, OUTPUT, SUMMARY, NAK = 0x81, 0x82, 0x83, 0x84, 0x85, 0x8F
NAMES = {HELLO: "HELLO", LOAD: "LOAD", RUN: "RUN", READ: "READ", END: "END", INFO: "INFO", ACK: "ACK",
         RESULT: "RESULT", OUTPUT: "OUTPUT", SUMMARY: "SUMMARY", NAK: "NAK"}  # fmt: skip
#: The reply each request expects.
REPLY = {HELLO: INFO, LOAD: ACK, RUN: RESULT, READ: OUTPUT, END: SUMMARY}
NAK_BAD_CRC, NAK_UNKNOWN, NAK_RANGE, NAK_NOT_READY = 1, 2, 3, 4

#: Wire type codes of tensor element types, and their numpy names.
DTYPES = {0: "float32", 1: "int8", 2: "uint8", 3: "int16", 4: "int32"}


def crc32(data: bytes, start: int = 0) -> int:
    return zlib.crc32(data, start) & 0xFFFFFFFF


@dataclass(frozen=True)
class Frame:
    type: int
    seq: int
    payload: bytes = b""

    @property
    def name(self) -> str:
        return NAMES.get(self.type, f"0x{self.type:02x}")

    def encode(self) -> bytes:
        body = bytes((self.type, self.seq)) + struct.pack("<H", len(self.payload)) + self.payload
        return MARKER + body + CRC.pack(crc32(body))


@dataclass
class FrameReader:
    """Feed it bytes as they arrive; it returns whole frames and the text between them.

    A marker starts a candidate frame. A candidate with an impossible length or a wrong CRC is dropped and
    the search resumes one byte after its marker; ``bad_frames`` counts them (each costs the host a retry).
    """

    max_payload: int = MAX_PAYLOAD
    bad_frames: int = 0
    _buffer: bytearray = field(default_factory=bytearray)

    def feed(self, data: bytes) -> tuple[list[Frame], bytes]:
        self._buffer += data
        frames: list[Frame] = []
        text = bytearray()
        while True:
            start = self._buffer.find(MARKER)
            if start < 0:
                # Keep a trailing first marker byte: the second may be in the next chunk.
                keep = 1 if self._buffer.endswith(MARKER[:1]) else 0
                text += self._buffer[: len(self._buffer) - keep]
                del self._buffer[: len(self._buffer) - keep]
                break
            text += self._buffer[:start]
            del self._buffer[:start]
            if len(self._buffer) < HEADER.size:
                break
            _, kind, seq, length = HEADER.unpack_from(self._buffer)
            if length > self.max_payload:
                self._skip_marker()
                continue
            end = HEADER.size + length + CRC.size
            if len(self._buffer) < end:
                break
            body = bytes(self._buffer[2 : HEADER.size + length])
            (expected,) = CRC.unpack_from(self._buffer, HEADER.size + length)
            if crc32(body) != expected:
                self._skip_marker()
                continue
            frames.append(Frame(kind, seq, body[4:]))
            del self._buffer[:end]
        return frames, bytes(text)

    def abandon_partial(self) -> None:
        """Give up on a frame that never completed (its length was noise); the next feed rescans after it."""
        if self._buffer.startswith(MARKER):
            self._skip_marker()

    @property
    def pending(self) -> int:
        """Bytes held back: a frame (or a marker) still incomplete."""
        return len(self._buffer)

    def _skip_marker(self) -> None:
        self.bad_frames += 1
        del self._buffer[:1]
