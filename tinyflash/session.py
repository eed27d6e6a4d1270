"""`tinyflash monitor` as a whole: find the stream for a project, read it, show it, judge the result.

Kept out of the CLI so `monitor` and `run` share it, and out of monitor.py so the reading core knows
nothing about projects, runners or terminals.
"""

from __future__ import annotations

import json
import re
import sys
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

from .errors import CheckFailed, Interrupted, TinyflashError
from .monitor import Line, MonitorOptions, MonitorResult, open_url, read_lines
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


def run_monitor(req: MonitorRequest) -> MonitorResult:
    """Monitor and return the result; a failed condition raises with the one-line explanation."""
    from .boards import get_board
    from .build import resolve_project
    from .flash import Target, runner_for

    try:
        pattern = re.compile(req.until) if req.until else None
    except re.error as exc:
        raise TinyflashError(f"--until {req.until!r} is not a valid regex: {exc}", "fix the pattern") from None
    if req.lines is not None and req.lines <= 0:
        raise TinyflashError("--lines must be positive", "pass e.g. --lines 100")
    if req.timeout is not None and req.timeout <= 0:
        raise TinyflashError("--timeout must be positive", "pass seconds, e.g. --timeout 30")

    board = root = None
    try:
        root, info = resolve_project(req.project)
        board = get_board(info["board"])
    except TinyflashError:
        if req.project is not None or req.port is None:
            raise  # with only --port, any port can be monitored without a project
    target = runner_for(root, board).target(req.port) if board and root else Target(req.port or "")
    baud = req.baud or (board.baud if board else DEFAULT_BAUD)
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
        if req.as_json:
            out.write(json.dumps({"t": round(line.time, 6), "line": line.text, "values": line.values}) + "\n")
        elif not isinstance(show, _LiveView):
            out.write(line.text + "\n")
        else:
            show.last = line.text

    with show:
        result = read_lines(lambda: open_url(target.url, baud), options, on_line, target.reopen)
    out.flush()
    if req.plot and not isinstance(show, _LiveView):
        out.write(render_text(series) + "\n")
    if req.plot_png is not None:
        write_png(req.plot_png, series)
    _judge(result, req, target.url)
    return result


def _judge(result: MonitorResult, req: MonitorRequest, url: str) -> None:
    if result.exit_code == 0:
        return
    if result.reason == "interrupted":
        raise Interrupted()
    if result.reason == "disconnected":
        from .ports import PortError

        raise PortError(
            f"{url} disconnected and did not come back ({result.lines} lines received)",
            "check the cable and power; the log keeps every line received",
        )
    waited = f"--until {req.until!r}" if req.until else f"--lines {req.lines}"
    why = f"timed out after {req.timeout:g} s" if result.reason == "timeout" else "the stream ended"
    raise CheckFailed(
        f"{why} before {waited} was met ({result.lines} lines received)",
        "check the board's output above (or the --log file)",
    )


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
