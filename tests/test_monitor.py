"""monitor.py over real pyserial: a TCP socket (as the virtual boards use) and a pty (as a USB serial port)."""

from __future__ import annotations

import os
import re
import socket
import threading
import time

import pytest
import serial

from tinyflash.monitor import LineSplitter, MonitorOptions, open_url, parse_values, read_lines


class Server:
    """A loopback TCP server that sends scripted chunks to the first client, then closes."""

    def __init__(self, chunks: list[bytes], pause: float = 0.0, hold_open: float = 0.0) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.port = self.sock.getsockname()[1]
        self.chunks, self.pause, self.hold_open = chunks, pause, hold_open
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"socket://127.0.0.1:{self.port}"

    def _serve(self) -> None:
        conn, _ = self.sock.accept()
        with conn:
            for c in self.chunks:
                conn.sendall(c)
                if self.pause:
                    time.sleep(self.pause)
            time.sleep(self.hold_open)
        self.sock.close()


def run(url: str, options: MonitorOptions, reopen=None):
    got = []
    result = read_lines(lambda: open_url(url, 115200), options, got.append, reopen)
    return result, got


def test_chunks_partial_lines_and_garbage_over_tcp(tmp_path):
    payload = [b"x_value: 0.1 y_", b"value: 0.0998\r\n", b"\xff\xfe bad \xc3(\n", b"plain text\nx_value: 0.2", b"\n"]
    srv = Server(payload, pause=0.01)
    log = tmp_path / "serial.log"
    result, got = run(srv.url, MonitorOptions(log=log, timeout=10))
    assert [line.text for line in got] == ["x_value: 0.1 y_value: 0.0998", "\ufffd\ufffd bad \ufffd(", "plain text",
                                           "x_value: 0.2"]  # fmt: skip
    assert got[0].values == {"x_value": 0.1, "y_value": 0.0998}
    assert result.reason == "closed" and result.exit_code == 4 and result.lines == 4  # an ended stream is no success
    logged = log.read_text().splitlines()
    assert len(logged) == 4 and logged[0].endswith(" x_value: 0.1 y_value: 0.0998")


def test_until_stops_early_with_exit_0():
    srv = Server([b"booting\n", b"tinyflash: ready\n", b"more\n"], pause=0.05, hold_open=2)
    result, got = run(srv.url, MonitorOptions(until=re.compile(r"ready"), timeout=10))
    assert result.reason == "until" and result.exit_code == 0 and result.match == "ready"
    assert [line.text for line in got] == ["booting", "tinyflash: ready"]


def test_lines_limit():
    srv = Server([b"".join(f"n: {i}\n".encode() for i in range(100))], hold_open=2)
    result, got = run(srv.url, MonitorOptions(lines=10, timeout=10))
    assert result.reason == "lines" and len(got) == 10 and got[-1].values == {"n": 9.0}


def test_timeout_before_condition_is_exit_1():
    srv = Server([b"nothing useful\n"], hold_open=3)
    t0 = time.monotonic()
    result, _ = run(srv.url, MonitorOptions(until=re.compile("never"), timeout=0.5))
    assert result.reason == "timeout" and result.exit_code == 1
    assert time.monotonic() - t0 < 2.5


def test_stream_ending_before_condition_is_exit_4_and_keeps_partial_line(tmp_path):
    log = tmp_path / "l.log"
    srv = Server([b"a\n", b"partial without newline"])
    result, got = run(srv.url, MonitorOptions(until=re.compile("never"), timeout=10, log=log))
    assert result.reason == "closed" and result.exit_code == 4
    assert got[-1].text == "partial without newline"
    assert len(log.read_text().splitlines()) == len(got) == 2


def test_reconnect_after_the_port_vanishes():
    first = Server([b"before: 1\n"])
    second = Server([b"after: 2\n"])

    def reopen(wait_s: float):
        return open_url(second.url, 115200)

    result, got = run(first.url, MonitorOptions(lines=2, timeout=10, reconnect_s=5), reopen)
    assert [line.text for line in got] == ["before: 1", "after: 2"] and result.exit_code == 0


def test_port_that_never_comes_back_is_exit_4():
    srv = Server([b"one\n"])
    result, got = run(srv.url, MonitorOptions(lines=5, timeout=10, reconnect_s=0.3), lambda wait: None)
    assert result.reason == "disconnected" and result.exit_code == 4 and len(got) == 1


def test_pty_like_a_usb_serial_port_unplugged(tmp_path):
    """A pty is a real tty device: pyserial opens it by path, as it would /dev/ttyACM0."""
    master, slave = os.openpty()
    path = os.ttyname(slave)
    log = tmp_path / "pty.log"

    def board():
        time.sleep(0.2)
        for i in range(50):
            os.write(master, f"i: {i}\r\n".encode())
        time.sleep(0.3)
        os.close(master)  # unplugged

    threading.Thread(target=board, daemon=True).start()
    got = []
    result = read_lines(lambda: serial.Serial(path, 115200, timeout=0.02), MonitorOptions(timeout=10, log=log),
                        got.append, reopen=lambda wait: None)  # fmt: skip
    os.close(slave)
    assert [line.values["i"] for line in got] == list(range(50))
    assert len(log.read_text().splitlines()) == 50
    assert result.reason in ("closed", "disconnected")


def test_parse_values():
    assert parse_values("x_value: 1.5 y_value: -2e-3 brightness: 255") == {
        "x_value": 1.5, "y_value": -0.002, "brightness": 255.0}  # fmt: skip
    assert parse_values("output0[3]: 0.25 raw: -96") == {"output0[3]": 0.25, "raw": -96.0}
    assert parse_values("time: 12:30 nothing") == {}
    assert parse_values("v=3 w = nan")["v"] == 3.0


def test_splitter_handles_crlf_split_across_chunks():
    s = LineSplitter()
    assert s.feed(b"abc\r") == []
    assert s.feed(b"\ndef\n") == ["abc", "def"]
    assert s.flush() is None


def test_nothing_listening_is_a_clear_error():
    from tinyflash.ports import PortError

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    with pytest.raises(PortError, match="nothing is listening"):
        open_url(f"socket://127.0.0.1:{port}", 115200)
