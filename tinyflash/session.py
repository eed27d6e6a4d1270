"""`tinyflash monitor` as a whole: find the stream for a project, read it, show it, judge the result.

Kept out of the CLI so `monitor` and `run` share it, and out of monitor.py so the reading core knows
nothing about projects, runners or terminals.
"""

from __future__ import annotations

import json
import math
import re
import sys
import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

from .errors import CheckFailed, DeviceError, Interrupted, OutputClosed, TinyflashError
from .files import check_writable
from .monitor import Line, MonitorOptions, MonitorResult, Stream, open_url, read_lines
from .plot import Series, render_text, write_png

DEFAULT_BAUD = 115200
RECONNECT_S = 10.0


@dataclass(frozen=True)
class MonitorRequest:
    project: Path | None = None
    port: str | None = None
    baud: int | None = None
    until: str | None = None
    timeout: float | None = None
    lines: int | None = None
    log: Path | None = None
    as_json: bool = False
    plot: bool = False
    plot_png: Path | None = None

    def validate(self) -> re.Pattern[str] | None:
        """Check every option before anything is built, flashed or opened; returns the compiled --until."""
        try:
            pattern = re.compile(self.until) if self.until else None
        except re.error as exc:
            raise TinyflashError(f"--until {self.until!r} is not a valid regex: {exc}", "fix the pattern") from None
        if self.lines is not None and self.lines <= 0:
            raise TinyflashError("--lines must be positive", "pass e.g. --lines 100")
        if self.timeout is not None and not (math.isfinite(self.timeout) and self.timeout > 0):
            raise TinyflashError(
                f"--timeout {self.timeout} is not a positive number of seconds", "pass e.g. --timeout 30"
            )
        if self.baud is not None and not 0 < self.baud <= MAX_BAUD:
            raise TinyflashError(f"--baud {self.baud} is not a baud rate", "pass e.g. --baud 115200, or leave it out")
        for option, path in (("--plot-png", self.plot_png), ("--log", self.log)):
            if path is not None:
                check_writable(option, path)
        return pattern


MAX_BAUD = 20_000_000


def run_monitor(req: MonitorRequest, stream: Stream | None = None, reset: bool = False) -> MonitorResult:
    """Monitor and return the result; a failed condition raises with the one-line explanation.

    ``stream``: a console opened before the upload (see `Board.console`); ``reset``: reset the board once
    attached where its console can (right after flashing, so its boot output is read from the first line).
    """
    from .boards import get_board
    from .build import resolve_project
    from .flash import Target, runner_for

    pattern = req.validate()
    board = root = None
    try:
        root, info = resolve_project(req.project)
        board = get_board(info["board"])
    except TinyflashError:
        if req.project is not None or req.port is None:
            raise  # with only --port, any port can be monitored without a project
    from . import labgrid

    if labgrid.parse_port_spec(req.port) is not None:
        return _monitor_place(req, board, pattern, stream)
    runner = runner_for(root, board) if board and root else None
    target = runner.target(req.port) if runner else Target(req.port or "")
    baud = req.baud or (board.baud if board else DEFAULT_BAUD)
    with _board_held(board, req.port):
        return _monitor(req, target, baud, pattern, stream, runner, board, reset)


def _monitor(req: MonitorRequest, target, baud: int, pattern, stream: Stream | None, runner, board,
             reset: bool) -> MonitorResult:  # fmt: skip
    """Read, show and judge: the part of `monitor` that does not care where the board is."""
    options = MonitorOptions(
        until=pattern,
        timeout=req.timeout,
        lines=req.lines,
        log=req.log,
        reconnect_s=RECONNECT_S if target.reopen else 0.0,
    )
    series = Series()
    show = _LiveView(series) if req.plot and sys.stdout.isatty() else nullcontext()
    out = sys.stdout
    plotting = req.plot or req.plot_png is not None

    def on_line(line: Line) -> None:
        if plotting and line.values:  # parsing costs more than reading: only when something uses it
            series.add(line.values)
        try:
            if req.as_json:
                out.write(json.dumps({"t": round(line.time, 6), "line": line.text, "values": line.values}) + "\n")
            elif not isinstance(show, _LiveView):
                out.write(line.text + "\n")
            else:
                show.last = line.text
        except BrokenPipeError:
            raise OutputClosed() from None

    def opener() -> Stream:
        if stream is not None:
            return stream
        if runner is not None and not board.is_virtual and req.baud is None:
            return runner.open_console(target, reset)
        return open_url(target.url, baud)

    with show:
        result = read_lines(opener, options, on_line, target.reopen)
    try:
        out.flush()
    except BrokenPipeError:
        raise OutputClosed() from None
    if req.plot and not isinstance(show, _LiveView):
        out.write(render_text(series) + "\n")
    if req.plot_png is not None:
        write_png(req.plot_png, series)
    _judge(result, req, target.url)
    return result


def _monitor_place(req: MonitorRequest, board, pattern, stream: Stream | None) -> MonitorResult:
    """Monitor a board on another host through its labgrid place, held for as long as the monitor runs."""
    from . import labgrid
    from .flash import BOARD_WAIT_S, Target

    place = labgrid.parse_port_spec(req.port)
    assert place is not None
    with labgrid.acquire(place, wait_s=BOARD_WAIT_S, command="tinyflash monitor") as remote:
        baud = req.baud or (board.baud if board else DEFAULT_BAUD)

        def reopen(wait_s: float) -> Stream | None:
            deadline = time.monotonic() + wait_s
            while time.monotonic() < deadline:
                try:
                    return open_url(remote.url, baud)
                except TinyflashError:
                    time.sleep(0.25)
            return None

        return _monitor(req, Target(remote.url, reopen), baud, pattern, stream, None, board, reset=False)


def _board_held(board, port: str | None):
    """A real board is held while it is monitored, so a test run elsewhere does not flash it under us."""
    if board is None or board.is_virtual:
        return nullcontext()
    from .flash import BOARD_WAIT_S
    from .rack import board_lock, key_for

    return board_lock(key_for(board, port), "tinyflash monitor", BOARD_WAIT_S)


def _judge(result: MonitorResult, req: MonitorRequest, url: str) -> None:
    """Turn anything but success into the error that says what happened (exit codes: tinyflash/errors.py)."""
    if result.exit_code == 0:
        return
    got = f"{result.lines} lines received"
    if result.reason == "interrupted":
        raise Interrupted(result.exit_code - 128)
    if result.reason == "disconnected":
        raise DeviceError(f"{url} disconnected and did not come back ({got})",
                          "check the cable and power; the log keeps every line received")  # fmt: skip
    if result.reason == "closed":
        raise DeviceError(f"the board's output ended ({got}): it closed its serial port, or the emulator exited",
                          "check the board's output above (or the --log file)")  # fmt: skip
    if result.reason == "silent":
        raise DeviceError(f"no output from the board in {req.timeout:g} s",
                          "check that it is running the firmware and the baud rate (--baud)")  # fmt: skip
    waited = f"--until {req.until!r}" if req.until else f"--lines {req.lines}"
    raise CheckFailed(f"timed out after {req.timeout:g} s before {waited} was met ({got})",
                      "check the board's output above (or the --log file)")  # fmt: skip


class _LiveView:
    """A live terminal plot, redrawn a few times a second, with the latest line under it."""

    def __init__(self, series: Series) -> None:
        self.series = series
        self.last = ""
        self._live = None

    def _render(self):
        from rich.text import Text

        return Text(render_text(self.series) + "\n" + self.last)

    def __enter__(self) -> _LiveView:
        from rich.live import Live

        self._live = Live(get_renderable=self._render, refresh_per_second=8, transient=False)
        self._live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._live is not None
        self._live.__exit__(None, None, None)
