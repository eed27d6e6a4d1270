"""Read a board's serial output as lines: chunked, lenient, logged, matched, and robust to unplugging.

The stream is anything with pyserial's interface (a real port, or ``socket://`` for a virtual board),
so the same code serves a desk, CI and the emulators. Reads are chunked — pyserial's ``readline`` reads
one byte per call — and bytes that are not UTF-8 are replaced, never fatal.
"""

from __future__ import annotations

import contextlib
import re
import select
import signal
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import IO, Protocol

import serial
from serial.urlhandler import protocol_socket

from .errors import Interrupted, TinyflashError
from .signals import shielded

CHUNK = 65536
#: Reads smaller than this make the reader pause BATCH_WAIT_S before the next one: at most that much added
#: latency, and a fast stream costs a few hundred wake-ups a second instead of one per line.
BATCH_BYTES = 4096
BATCH_WAIT_S = 0.005
READ_TIMEOUT_S = 0.02
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?(?:nan|inf)"
_PAIR = re.compile(rf"([A-Za-z_][\w.\[\]]*)\s*[:=]\s*({_NUMBER})(?![\w.:])")


class Stream(Protocol):
    def read(self, size: int = 1) -> bytes: ...
    def close(self) -> None: ...


@dataclass(frozen=True)
class Line:
    text: str
    time: float  # seconds since the epoch, when the chunk holding the line's last byte arrived

    @cached_property
    def values(self) -> dict[str, float]:
        """Parsed on first use only: most consumers (counting, matching, logging) never need it."""
        return parse_values(self.text)


@dataclass(frozen=True)
class MonitorOptions:
    until: re.Pattern[str] | None = None
    timeout: float | None = None
    lines: int | None = None
    log: Path | None = None
    #: How long to wait for a vanished port to come back (USB re-enumeration); 0 = don't.
    reconnect_s: float = 0.0


#: Exit codes by how monitoring ended (the project-wide table is in tinyflash/errors.py).
EXIT_OK, EXIT_CHECK, EXIT_DEVICE = 0, 1, 4


@dataclass(frozen=True)
class MonitorResult:
    lines: int
    #: until | lines | timeout | silent | closed | disconnected | interrupted
    reason: str
    exit_code: int
    match: str | None = None

    @property
    def message(self) -> str:
        return {
            "until": f"matched after {self.lines} lines",
            "lines": f"received {self.lines} lines",
            "timeout": f"timed out after {self.lines} lines",
            "silent": "no output before the timeout",
            "closed": f"the stream ended after {self.lines} lines",
            "interrupted": f"interrupted after {self.lines} lines",
            "disconnected": f"the port went away after {self.lines} lines",
        }[self.reason]


def parse_values(text: str) -> dict[str, float]:
    """Numbers in ``key: value`` (or ``key=value``) pairs, e.g. ``x_value: 0.31 y_value: 0.30``."""
    return {k: float(v) for k, v in _PAIR.findall(text)}


class LineSplitter:
    """Turns arbitrary chunks into complete lines; keeps the partial tail for the next chunk."""

    def __init__(self) -> None:
        self._tail = b""

    def feed(self, chunk: bytes) -> list[str]:
        data = self._tail + chunk if self._tail else chunk
        end = data.rfind(b"\n")
        if end < 0:
            self._tail = data
            return []
        self._tail = data[end + 1 :]
        # One decode per chunk, not per line; a multi-byte character never straddles a newline.
        text = data[:end].decode("utf-8", "replace")
        return [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]

    def flush(self) -> str | None:
        """The partial last line, if any (used when the stream ends or is interrupted)."""
        tail, self._tail = self._tail, b""
        return tail.rstrip(b"\r").decode("utf-8", "replace") if tail else None


class LineLog:
    """Every received line, timestamped, flushed per chunk so an abrupt end loses nothing."""

    def __init__(self, path: Path | None) -> None:
        self._file: IO[str] | None = None
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                self._file = path.open("a", encoding="utf-8")
            except OSError as exc:
                raise TinyflashError(
                    f"cannot write the log {path}: {exc.strerror}", "choose another --log path"
                ) from None

    def write_many(self, lines: list[Line]) -> None:
        if self._file and lines:
            stamp = datetime.fromtimestamp(lines[0].time).isoformat(timespec="milliseconds")
            self._file.write("".join(f"{stamp} {line.text}\n" for line in lines))

    def flush(self) -> None:
        if self._file:
            self._file.flush()

    def close(self) -> None:
        if self._file:
            self._file.close()


def read_lines(
    open_stream: Callable[[], Stream],
    options: MonitorOptions,
    on_line: Callable[[Line], None],
    reopen: Callable[[float], Stream | None] | None = None,
) -> MonitorResult:
    """Read until a stop condition; call ``on_line`` for every line. Never raises for stream trouble.

    ``reopen(deadline_s)`` is tried when a real port vanishes; it returns a new stream, or None when the
    board did not come back in time. A stream that ends, vanishes or stays silent is never a success:
    only ``--until``/``--lines`` being met, or a ``--timeout`` that ran out with output flowing, is.
    """
    log = LineLog(options.log)
    splitter = LineSplitter()
    count = 0
    deadline = time.monotonic() + options.timeout if options.timeout else None
    wants_condition = options.until is not None or options.lines is not None
    stream: Stream | None = None

    def emit(texts: list[str]) -> MonitorResult | None:
        """Log, then deliver, one chunk's lines up to the first that meets a condition (the rest are not shown).

        Shielded from signals, so every line delivered is also logged, however the run is interrupted.
        """
        nonlocal count
        result = None
        for n, text in enumerate(texts, count + 1):
            if options.until is not None and (m := options.until.search(text)):
                result = MonitorResult(n, "until", EXIT_OK, m.group(0))
            elif options.lines is not None and n >= options.lines:
                result = MonitorResult(n, "lines", EXIT_OK)
            if result:
                texts = texts[: n - count]
                break
        now = time.time()
        lines = [Line(text, now) for text in texts]
        with shielded():
            log.write_many(lines)
            log.flush()
            for line in lines:
                count += 1
                on_line(line)
        return result

    def finish(reason: str, signum: int = signal.SIGINT) -> MonitorResult:
        tail = splitter.flush()
        if tail is not None:
            done = emit([tail])
            if done:
                return done
        if reason == "timeout" and not wants_condition:
            reason, code = ("timeout", EXIT_OK) if count else ("silent", EXIT_DEVICE)
        elif reason == "timeout":
            code = EXIT_CHECK if count else EXIT_DEVICE
            reason = "timeout" if count else "silent"
        elif reason == "interrupted":
            code = 128 + signum
        else:  # closed, disconnected
            code = EXIT_DEVICE
        return MonitorResult(count, reason, code)

    try:
        stream = open_stream()
        while True:
            if deadline is not None and time.monotonic() >= deadline:
                return finish("timeout")
            try:
                chunk = stream.read(CHUNK)
            except (serial.SerialException, OSError):
                stream = _close_quietly(stream)
                if reopen is None or options.reconnect_s <= 0:
                    return finish("closed" if reopen is None else "disconnected")
                stream = reopen(options.reconnect_s)
                if stream is None:
                    return finish("disconnected")
                continue
            if not chunk:
                continue
            done = emit(splitter.feed(chunk))
            if done:
                return done
            if len(chunk) < BATCH_BYTES:
                # A trickle: let a few milliseconds of output accumulate instead of waking per line.
                time.sleep(BATCH_WAIT_S)
    except (KeyboardInterrupt, Interrupted) as exc:
        return finish("interrupted", getattr(exc, "signum", signal.SIGINT))
    finally:
        _close_quietly(stream)
        log.close()


def _close_quietly(stream: Stream | None) -> None:
    if stream is not None:
        with contextlib.suppress(serial.SerialException, OSError):
            stream.close()
    return None


class _LosslessSocket(protocol_socket.Serial):
    """pyserial's ``socket://`` port, made lossless for virtual boards.

    Upstream ``open()`` flushes input that already arrived (a virtual board's first lines: QEMU starts
    the CPU the moment we connect), and ``read()`` drops the bytes it read in the same call that saw the
    peer close (a program's last lines). Here nothing is flushed, and a read returns what arrived as soon
    as anything did; end-of-stream is raised on the next read, with nothing left behind.
    """

    _eof = False

    def open(self) -> None:
        super().open()
        # Requests and replies are small: without this, Nagle's algorithm and delayed ACKs hold each one
        # back ~40 ms, which turns a validate round trip into a crawl.
        self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def reset_input_buffer(self) -> None:
        pass

    def close(self) -> None:
        """Close without upstream's 0.3 s pause "for quick reconnects": nothing here reconnects to a socket
        it just closed, and every run and test would pay it."""
        if self.is_open and self._socket is not None:
            with contextlib.suppress(OSError):
                self._socket.shutdown(socket.SHUT_RDWR)
            self._socket.close()
            self._socket = None
        self.is_open = False

    def read(self, size: int = 1) -> bytes:
        if not self.is_open:
            raise serial.PortNotOpenError()
        if self._eof:
            raise serial.SerialException("socket disconnected")
        ready, _, _ = select.select([self._socket], [], [], self._timeout)
        data = bytearray()
        while ready and len(data) < size:
            try:
                buf = self._socket.recv(size - len(data))
            except BlockingIOError:
                break
            except OSError as exc:
                raise serial.SerialException(f"read failed: {exc}") from exc
            if not buf:
                self._eof = True
                break
            data.extend(buf)
            ready, _, _ = select.select([self._socket], [], [], 0)
        if not data and self._eof:
            raise serial.SerialException("socket disconnected")
        return bytes(data)


def open_url(url: str, baud: int) -> Stream:
    """Open a port or ``socket://host:port`` for chunked reading, with errors that say what to do."""
    from .ports import DIALOUT_HINT, PortError

    try:
        if url.startswith("socket://"):
            return _LosslessSocket(url, baudrate=baud, timeout=READ_TIMEOUT_S)
        return serial.serial_for_url(url, baudrate=baud, timeout=READ_TIMEOUT_S)
    except serial.SerialException as exc:
        text = str(exc)
        if "Permission denied" in text or "Errno 13" in text:
            raise PortError(f"no permission to open {url}", DIALOUT_HINT) from None
        if "Errno 16" in text or "busy" in text.lower():
            raise PortError(f"{url} is busy", "close the other program using it (another monitor?)") from None
        if url.startswith("socket://"):
            raise PortError(
                f"nothing is listening on {url}", "start the virtual board with `tinyflash flash`"
            ) from None
        raise PortError(f"cannot open {url}: {text}", "check the cable and --port") from None
