"""The host side of the `validate` protocol over a real stream: requests, replies, retries, deadlines, the log.

One request at a time; a reply that does not come (lost, or dropped for a bad CRC) makes the link send the same
request again, with the same sequence number, which the device answers without repeating its effect. Every byte
in either direction goes to the exchange log; text the device prints between frames is kept for error reports.
"""

from __future__ import annotations

import struct
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Protocol

import serial

from ..errors import DeviceError, TinyflashError
from . import protocol as p

RETRIES = 5
REPLY_TIMEOUT_S = 2.0
#: A RUN's reply waits for the inference itself; a repeated RUN is answered from the device's cache.
RUN_TIMEOUT_S = 60.0
HELLO_INTERVAL_S = 0.5
READ_CHUNK = 65536


class Stream(Protocol):
    def read(self, size: int = 1) -> bytes: ...
    def write(self, data: bytes) -> int | None: ...
    def close(self) -> None: ...


class TransportError(DeviceError):
    """The link failed: no reply after the retries, the port vanished, the device broke the protocol."""


class TimedOut(DeviceError):
    """The overall --timeout ran out."""


@dataclass(frozen=True)
class TensorInfo:
    dtype: str
    shape: tuple[int, ...]
    elements: int
    scale: float
    zero_point: int

    @property
    def nbytes(self) -> int:
        return self.elements * {"float32": 4, "int32": 4, "int16": 2}.get(self.dtype, 1)


@dataclass(frozen=True)
class DeviceInfo:
    """What the device said in the handshake."""

    version: int
    model_sha_prefix: str  # hex, 16 characters
    build_id: int
    runtime: str
    arena_bytes: int
    max_payload: int
    inputs: tuple[TensorInfo, ...]
    outputs: tuple[TensorInfo, ...]


@dataclass(frozen=True)
class RunResult:
    vector: int
    ok: bool
    latency_us: int
    crc: int
    inline: bytes = b""  # every output's bytes, when they fitted in the reply


class ExchangeLog:
    """Every byte exchanged, timestamped: ``>`` host to device, ``<`` device to host (frames in hex, text as text)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._file: IO[str] | None = None
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                self._file = path.open("w", encoding="utf-8")
            except OSError as exc:
                raise TinyflashError(f"cannot write the log {path}: {exc.strerror}", "choose another --log") from None

    def record(self, direction: str, what: str) -> None:
        if self._file is not None:
            stamp = datetime.now().isoformat(timespec="microseconds")
            self._file.write(f"{stamp} {direction} {what}\n")

    def frame(self, direction: str, frame: p.Frame) -> None:
        if self._file is not None:
            self.record(direction, f"{frame.name} #{frame.seq} {frame.encode().hex()}")

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


class Link:
    def __init__(self, stream: Stream, log: ExchangeLog, deadline: float | None = None) -> None:
        self.stream = stream
        self.log = log
        self.deadline = deadline
        self.reader = p.FrameReader()
        self.retries = 0  # requests that had to be sent again
        self.lines: deque[str] = deque(maxlen=40)  # the device's last text lines, for error reports
        self.on_line: Callable[[str], None] | None = None  # every text line, as it completes
        self._text = b""
        self._seq = 0
        self._waiting: list[p.Frame] = []

    # --- transport ---

    def _remaining(self, limit: float) -> float:
        """``limit``, cut to what is left of the overall deadline (TimedOut once nothing is)."""
        if self.deadline is None:
            return limit
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimedOut("the --timeout ran out while the board was answering", "raise --timeout")
        return min(limit, left)

    def _send(self, frame: p.Frame) -> None:
        self.log.frame(">", frame)
        try:
            self.stream.write(frame.encode())
        except (serial.SerialException, OSError) as exc:
            raise TransportError(f"writing to the board failed: {exc}", "check the cable and the port") from None

    def pump(self, wait_s: float) -> None:
        """Read what arrives within ``wait_s``; frames go to the queue, text to the device's lines."""
        end = time.monotonic() + wait_s
        while True:
            try:
                chunk = self.stream.read(READ_CHUNK)
            except (serial.SerialException, OSError) as exc:
                raise TransportError(f"the board's port went away: {exc}", "check the cable and power") from None
            if chunk:
                frames, text = self.reader.feed(chunk)
                self._take_text(text)
                for frame in frames:
                    self.log.frame("<", frame)
                self._waiting.extend(frames)
                if frames:
                    return
            if time.monotonic() >= end:
                return

    def _take_text(self, text: bytes) -> None:
        if not text:
            return
        self._text += text
        *complete, self._text = self._text.split(b"\n")
        for raw in complete:
            line = raw.rstrip(b"\r").decode("utf-8", "replace")
            self.lines.append(line)
            self.log.record("<", f"text {line}")
            if self.on_line is not None:
                self.on_line(line)

    # --- requests ---

    def request(self, kind: int, payload: bytes = b"", timeout: float = REPLY_TIMEOUT_S) -> p.Frame:
        """Send a request and return its reply, resending the same request while no good reply comes."""
        seq = self._seq
        self._seq = (self._seq + 1) & 0xFF
        frame = p.Frame(kind, seq, payload)
        for attempt in range(RETRIES + 1):
            if attempt:
                self.retries += 1
            self._send(frame)
            reply = self._await(seq, self._remaining(timeout))
            if reply is None:
                self.reader.abandon_partial()  # a partial frame that never completed was noise
                continue
            if reply.type == p.NAK:
                reason = reply.payload[0] if reply.payload else 0
                if reason == p.NAK_BAD_CRC:
                    continue  # the line corrupted our request: send it again
                text = reply.payload[1:].decode("utf-8", "replace")
                raise TransportError(f"the board refused {frame.name}: {text or f'reason {reason}'}",
                                     "is the board running this build's validate firmware? (see the log)")  # fmt: skip
            if reply.type != p.REPLY[kind]:
                raise TransportError(f"the board answered {frame.name} with {reply.name}",
                                     "it does not speak this protocol version; rebuild and flash it")  # fmt: skip
            return reply
        raise TransportError(
            f"no answer to {frame.name} after {RETRIES + 1} tries",
            "the board stopped answering (reset, crash, or the port was lost); see the last lines in the log",
        )

    def _await(self, seq: int, wait_s: float) -> p.Frame | None:
        """The reply to request ``seq``, or None when it did not come in time or came damaged (a frame that
        failed its CRC is most likely that reply: waiting out the timeout would only delay the resend)."""
        end = time.monotonic() + wait_s
        damaged = self.reader.bad_frames
        while True:
            while self._waiting:
                frame = self._waiting.pop(0)
                if frame.seq == seq:
                    return frame
                # A late reply to an earlier attempt of an older request: its answer was already used.
            left = end - time.monotonic()
            if left <= 0 or self.reader.bad_frames != damaged:
                return None
            self.pump(min(left, 0.05))

    def hello(self, wait_s: float) -> DeviceInfo:
        """Handshake, repeated while the board boots (it cannot answer before its firmware runs). Waiting for
        a booting board is not a transport retry: the retry count starts after the handshake."""
        end = time.monotonic() + wait_s
        while True:
            try:
                reply = self.request(p.HELLO, timeout=HELLO_INTERVAL_S)
                break
            except TransportError as exc:
                if "no answer" not in exc.message or time.monotonic() >= end:
                    raise TransportError(
                        f"the board did not answer the handshake within {wait_s:g} s",
                        "is it running the validate firmware? (tinyflash test flashes it; see the log's last lines)",
                    ) from None
                self._remaining(1.0)
        self.retries = 0
        return parse_info(reply.payload)

    def load(self, index: int, data: bytes, chunk: int) -> None:
        for offset in range(0, len(data), chunk):
            self.request(p.LOAD, struct.pack("<BI", index, offset) + data[offset : offset + chunk])

    def run(self, vector: int, inputs: bytes = b"") -> RunResult:
        """Run one vector; ``inputs`` (all of them, back to back) ride along when they fit in the frame."""
        reply = self.request(p.RUN, struct.pack("<I", vector) + inputs, timeout=RUN_TIMEOUT_S)
        got, status, latency, crc = struct.unpack_from("<IBII", reply.payload)
        if got != vector:
            raise TransportError(f"the board answered RUN {vector} for vector {got}", "see the log")
        return RunResult(vector, status == 0, latency, crc, reply.payload[13:])

    def read(self, index: int, nbytes: int, chunk: int) -> bytes:
        data = bytearray()
        while len(data) < nbytes:
            want = min(chunk, nbytes - len(data))
            reply = self.request(p.READ, struct.pack("<BIH", index, len(data), want))
            got_index, offset = struct.unpack_from("<BI", reply.payload)
            part = reply.payload[5:]
            if got_index != index or offset != len(data) or not part:
                raise TransportError(f"the board sent output {got_index} at {offset} for {index} at {len(data)}",
                                     "see the log")  # fmt: skip
            data += part
        return bytes(data)

    def end(self) -> tuple[int, int]:
        reply = self.request(p.END)
        count, checksum = struct.unpack_from("<II", reply.payload)
        return count, checksum


def parse_info(payload: bytes) -> DeviceInfo:
    """The INFO payload (docs/validate-protocol.md); a truncated one is a protocol error."""
    try:
        version = payload[0]
        sha = payload[1:9].hex()
        build_id, runtime, arena, max_payload, n_in, n_out = struct.unpack_from("<IBIHBB", payload, 9)
        pos = 9 + 13
        tensors = []
        for _ in range(n_in + n_out):
            dtype, rank = struct.unpack_from("<BB", payload, pos)
            pos += 2
            dims = struct.unpack_from(f"<{rank}I", payload, pos)
            pos += 4 * rank
            elements, scale, zero_point = struct.unpack_from("<Ifi", payload, pos)
            pos += 12
            tensors.append(TensorInfo(p.DTYPES.get(dtype, f"type{dtype}"), tuple(dims), elements, scale, zero_point))
    except (struct.error, IndexError):
        raise TransportError("the board's handshake is truncated", "rebuild and flash the validate app") from None
    return DeviceInfo(version, sha, build_id, {0: "tflm", 1: "aot"}.get(runtime, f"runtime {runtime}"), arena,
                      max_payload, tuple(tensors[:n_in]), tuple(tensors[n_in:]))  # fmt: skip
