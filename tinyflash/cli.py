"""The `tinyflash` command line: parse options, call one library function, render the result.

Errors from the library are :class:`~tinyflash.errors.TinyflashError`; :func:`main` turns them into
``error: <what> — <what to do>`` and the error's exit code. Tracebacks only with ``--debug``.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict, replace
from pathlib import Path
from typing import Annotated

import typer

from . import __version__, signals
from .errors import CheckFailed, OutputClosed, TinyflashError
from .signals import shielded

app = typer.Typer(
    help="Take a trained TensorFlow Lite model to a microcontroller and prove it runs there.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
_state = {"debug": bool(os.environ.get("TINYFLASH_DEBUG"))}


def _version(value: bool) -> None:
    if value:
        typer.echo(f"tinyflash {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool | None, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
) -> None:
    _state["debug"] = _state["debug"] or debug


ModelArg = Annotated[Path, typer.Argument(help="The .tflite model file.", show_default=False)]
BoardOpt = Annotated[str | None, typer.Option("--board", "-b", help="Board id or alias (see `tinyflash boards`).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of tables.")]


@app.command()
def inspect(
    model: ModelArg,
    board: BoardOpt = None,
    runtime: Annotated[str, typer.Option("--runtime", help="Runtime the fit assumes: tflm, aot or auto.")] = "auto",
    app_name: Annotated[
        str, typer.Option("--app", help="App the fit assumes: sine, inference, validate or auto (as build).")
    ] = "auto",
    as_json: JsonOpt = False,
) -> None:
    """Report a model's ops, tensors, quantization and arena; with --board, whether it fits."""
    from .boards import get_board
    from .model import load_model
    from .report import inspect_model, report_json
    from .ui import status

    b = get_board(board) if board else None
    with status(enabled=not as_json) as show:
        report = inspect_model(load_model(model), b, runtime=runtime, app=app_name, progress=show)
    if as_json:
        typer.echo(json.dumps(report_json(report), indent=2))
    else:
        from .ui import render_inspect

        render_inspect(report)
    if not report.ok:
        assert b is not None and report.fit is not None
        why = []
        if not report.fit.flash_ok:
            why.append(f"flash {report.fit.flash_bytes:,} > {report.fit.flash_limit:,} B")
        if not report.fit.ram_ok:
            why.append(f"RAM {report.fit.ram_bytes:,} > {report.fit.ram_limit:,} B")
        if report.fit.runtime == "tflm" and (report.unsupported_ops or report.vendor_ops):
            why.append("ops without a kernel: " + ", ".join(report.unsupported_ops + report.vendor_ops))
        raise CheckFailed(
            f"{model.name} cannot run on {b.id}: {'; '.join(why)}",
            "shrink or quantize the model, or pick a bigger board",
        )


BoardReq = Annotated[str, typer.Option("--board", "-b", help="Board id or alias (see `tinyflash boards`).")]
AppOpt = Annotated[str, typer.Option("--app", help="sine, inference or validate; default: sine for a scalar model.")]
RuntimeOpt = Annotated[str, typer.Option("--runtime", help="tflm, aot, or auto (aot when it supports the model).")]
OutOpt = Annotated[Path | None, typer.Option("--out", "-o", help="Project folder. Default: ./tinyflash-build/BOARD.")]
ArenaOpt = Annotated[str, typer.Option("--arena", help="Tensor arena bytes (TFLM), or auto (from inspect).")]
TflmDirOpt = Annotated[
    Path | None,
    typer.Option("--tflm-dir", help="A TFLM tree from create_tflm_tree.py (reference or CMSIS-NN kernels) to build."),
]
ForceOpt = Annotated[bool, typer.Option("--force", help="Overwrite generated files you have edited.")]


@app.command()
def build(
    model: ModelArg,
    board: BoardReq,
    app_name: AppOpt = "auto",
    runtime: RuntimeOpt = "auto",
    out: OutOpt = None,
    arena: ArenaOpt = "auto",
    tflm_dir: TflmDirOpt = None,
    no_compile: Annotated[bool, typer.Option("--no-compile", help="Render the project only.")] = False,
    force: ForceOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Render a PlatformIO firmware project for MODEL and compile it."""
    from .build import build as run_build
    from .ui import render_build, status

    options = _build_options(app_name, runtime, arena, tflm_dir)
    with status(enabled=not as_json) as show:
        result = run_build(model, board, options, out=out, compile=not no_compile, force=force, progress=show)
    if as_json:
        from .ui import build_json

        typer.echo(json.dumps(build_json(result), indent=2))
    else:
        render_build(result)


def _build_options(app_name: str, runtime: str, arena: str, tflm_dir: Path | None):
    from .project import BuildOptions

    if tflm_dir is not None:
        from .tflm_tree import load_tree

        load_tree(tflm_dir)  # before the model is read: a wrong tree is the first thing to hear about
    return BuildOptions(app=app_name, runtime=runtime, arena_bytes=_parse_arena(arena), tflm_dir=tflm_dir)


#: No microcontroller has more RAM than this; a bigger --arena is a typo, and would not even be valid C.
MAX_ARENA = 1 << 31


def _parse_arena(text: str) -> int | None:
    if text == "auto":
        return None
    try:
        value = int(text.replace("_", ""), 0)
    except ValueError:
        raise TinyflashError(f"--arena {text!r} is not a number of bytes", "pass e.g. --arena 4096, or auto") from None
    if not 0 < value < MAX_ARENA:
        raise TinyflashError(f"--arena {text} is out of range", "pass a positive number of bytes (e.g. 4096), or auto")
    return value


ProjectOpt = Annotated[
    Path | None, typer.Option("--project", "-p", help="Project folder. Default: the last build in this directory.")
]
PortOpt = Annotated[str | None, typer.Option("--port", help="Serial port. Default: found by the board's USB id.")]


@app.command()
def flash(project: ProjectOpt = None, port: PortOpt = None) -> None:
    """Upload the last build to its board (virtual boards: start the emulator in the background)."""
    from .boards import get_board
    from .build import resolve_project
    from .flash import runner_for
    from .ui import console, esc, status

    root, info = resolve_project(project)
    board = get_board(info["board"])
    with status() as show:
        show(f"flashing {board.name}")
        result = runner_for(root, board).flash(port)
    console.print(f"[green]flashed[/] {esc(board.name)}: {esc(result.detail)}")


@app.command()
def stop(
    project: ProjectOpt = None,
    all_boards: Annotated[
        bool, typer.Option("--all", help="Stop every virtual board you started, in any project.")
    ] = False,
) -> None:
    """Stop a virtual board started by `tinyflash flash` (or all of them)."""
    from .ui import console, esc, print_note

    if all_boards:
        from .flash import stop_all

        ended = stop_all()
        for proc in ended:
            console.print(f"stopped {esc(proc.command)} (pid {proc.pid}) of {esc(proc.project)}")
        console.print(f"stopped {len(ended)} process(es)" if ended else "nothing was running")
        return
    from .boards import get_board
    from .build import resolve_project
    from .flash import runner_for

    root, info = resolve_project(project)
    stopped = runner_for(root, get_board(info["board"])).stop()
    if stopped.note:
        print_note(stopped.note)
    console.print("stopped" if stopped.ended else "nothing was running")


MonitorUntil = Annotated[str | None, typer.Option("--until", help="Stop with exit 0 when a line matches this regex.")]
MonitorTimeout = Annotated[float | None, typer.Option("--timeout", help="Give up after this many seconds (exit 1).")]
MonitorLines = Annotated[int | None, typer.Option("--lines", help="Stop with exit 0 after this many lines.")]
MonitorLog = Annotated[Path | None, typer.Option("--log", help="Append every received line, timestamped, here.")]
MonitorJson = Annotated[bool, typer.Option("--json", help="Print JSON lines with parsed `key: value` numbers.")]
MonitorPlot = Annotated[bool, typer.Option("--plot", help="Plot the numeric fields live in the terminal.")]
MonitorPng = Annotated[Path | None, typer.Option("--plot-png", help="Write a plot of the numeric fields here.")]
MonitorBaud = Annotated[int | None, typer.Option("--baud", help="Baud rate. Default: the board's.")]


@app.command()
def monitor(
    project: ProjectOpt = None,
    port: PortOpt = None,
    baud: MonitorBaud = None,
    until: MonitorUntil = None,
    timeout: MonitorTimeout = None,
    lines: MonitorLines = None,
    log: MonitorLog = None,
    as_json: MonitorJson = False,
    plot: MonitorPlot = False,
    plot_png: MonitorPng = None,
) -> None:
    """Stream the board's serial output (works without a terminal, e.g. in CI)."""
    from .session import MonitorRequest, run_monitor

    request = MonitorRequest(project, port, baud, until, timeout, lines, log, as_json, plot, plot_png)
    run_monitor(request)


@app.command()
def run(
    model: ModelArg,
    board: BoardReq,
    app_name: AppOpt = "auto",
    runtime: RuntimeOpt = "auto",
    out: OutOpt = None,
    arena: ArenaOpt = "auto",
    tflm_dir: TflmDirOpt = None,
    force: ForceOpt = False,
    port: PortOpt = None,
    baud: MonitorBaud = None,
    until: MonitorUntil = None,
    timeout: MonitorTimeout = None,
    lines: MonitorLines = None,
    log: MonitorLog = None,
    as_json: MonitorJson = False,
    plot: MonitorPlot = False,
    plot_png: MonitorPng = None,
) -> None:
    """Build, flash and monitor in one go."""
    from .boards import get_board
    from .build import build as run_build
    from .build import default_project_dir
    from .files import project_lock
    from .flash import runner_for
    from .project import make_project_dir
    from .session import MonitorRequest, run_monitor
    from .ui import err_console, esc, render_build, status

    options = _build_options(app_name, runtime, arena, tflm_dir)
    request = MonitorRequest(None, port, baud, until, timeout, lines, log, as_json, plot, plot_png)
    request.validate()  # before a minute of building, not after
    folder = (out or default_project_dir(get_board(board))).resolve()
    make_project_dir(folder)
    with project_lock(folder, "tinyflash run"):
        with status() as show:
            result = run_build(model, board, options, out=folder, force=force, progress=show)
        if not as_json:
            render_build(result, err_console)
        runner = runner_for(result.project, result.board)
        try:
            console = None if result.board.is_virtual else runner.console_before_upload(port)
            flashed = runner.flash(port)
            err_console.print(f"[green]flashed[/] {esc(result.board.name)}: {esc(flashed.detail)}")
            run_monitor(replace(request, project=result.project), stream=console, reset=True)
        finally:
            if result.board.is_virtual:
                with shielded():
                    runner.stop()


@app.command()
def convert(
    model: Annotated[
        Path, typer.Argument(help="A Keras model (.keras, .h5) or a SavedModel directory.", show_default=False)
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="The .tflite file to write.", show_default=False)],
    quantize: Annotated[str, typer.Option("--quantize", help="int8 (full integer), float16 or none.")] = "int8",
    calibration: Annotated[
        Path | None,
        typer.Option("--calibration", help="Representative inputs: .npz, an array per input (axis 0 = sample)."),
    ] = None,
    calibration_range: Annotated[
        str | None, typer.Option("--calibration-range", help="One-input models: calibrate on LO:HI (see README).")
    ] = None,
    samples: Annotated[
        int, typer.Option("--samples", help="Samples drawn from the range / most used from a file.")
    ] = 500,
    io: Annotated[str | None, typer.Option("--io", help="Input/output type of an int8 model: int8 or float.")] = None,
    check: Annotated[
        Path | None,
        typer.Option("--check", help="Held-out inputs (.npz) for the check. Default: the calibration data."),
    ] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Exit 1 when the check warns.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Convert a trained Keras/SavedModel model to a device-ready .tflite (int8) and check it against the float one."""
    from .convert import ConvertOptions, parse_range, result_json
    from .convert import convert as run_convert
    from .report import inspect_model, report_json
    from .ui import render_convert, status

    value_range = parse_range(calibration_range) if calibration_range is not None else None
    options = ConvertOptions(quantize, io, calibration, value_range, samples, check)
    with status(enabled=not as_json) as show:
        show(f"converting {model.name}")
        result = run_convert(model, out, options)
        report = inspect_model(result.model)
    if as_json:
        typer.echo(json.dumps({**result_json(result), "inspect": report_json(report)}, indent=2))
    else:
        render_convert(result, report)
    if strict and not result.check.ok:
        raise CheckFailed(f"the check found {len(result.check.warnings)} problem(s) ({out} was written)",
                          "see the warnings above; --strict makes them fail")  # fmt: skip


@app.command("test")
def test_command(
    model: ModelArg,
    board: BoardReq,
    port: PortOpt = None,
    runtime: RuntimeOpt = "auto",
    vectors: Annotated[
        Path | None, typer.Option("--vectors", help="Inputs (.npz, an array per input, axis 0 = vector).")
    ] = None,
    random: Annotated[int | None, typer.Option("--random", help="Test N random vectors (default 100).")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed for --random.")] = 0,
    tolerance: Annotated[
        str | None, typer.Option("--tolerance", help="exact (default), lsb:K, abs:X or rel:X.")
    ] = None,
    metric: Annotated[
        list[str] | None, typer.Option("--metric", help="Also require NAME:THRESHOLD (cosine, top1, rmse, mae).")
    ] = None,
    timeout: Annotated[
        float | None, typer.Option("--timeout", help="Stop after this many seconds; reports are still written.")
    ] = None,
    junit: Annotated[Path | None, typer.Option("--junit", help="Write a JUnit XML report here.")] = None,
    json_report: Annotated[Path | None, typer.Option("--json", help="Write the full report as JSON here.")] = None,
    log: Annotated[Path | None, typer.Option("--log", help="Log every byte exchanged, timestamped, here.")] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Project folder. Default: ./tinyflash-build/BOARD-test.")
    ] = None,
    tflm_dir: TflmDirOpt = None,
) -> None:
    """Prove on the board, vector by vector, that it computes what the model computes."""
    from .testing.run import TestRequest, run_test
    from .ui import render_test, status

    _build_options("validate", runtime, "auto", tflm_dir)  # the same checks as build
    request = TestRequest(model, board, port, runtime, vectors, random, seed, tolerance, tuple(metric or ()),
                          timeout, junit, json_report, log, out, tflm_dir)  # fmt: skip
    with status() as show:
        report = run_test(request, progress=show)
    render_test(report)
    if report.exit_code:
        error = TinyflashError(report.message, report.hint)
        error.exit_code = report.exit_code
        raise error


boards_app = typer.Typer(
    help="List the supported boards (`boards scan`: the ones connected).",
    invoke_without_command=True,
    no_args_is_help=False,
)
app.add_typer(boards_app, name="boards")


@boards_app.callback()
def boards(
    ctx: typer.Context,
    as_json: JsonOpt = False,
    show_all: Annotated[
        bool, typer.Option("--all", help="Also list the boards tinyflash knows and cannot build for, and why.")
    ] = False,
) -> None:
    """List the supported boards, real and virtual."""
    if ctx.invoked_subcommand is not None:
        return
    from .boards import all_boards, unsupported_boards

    found = all_boards()
    refused = unsupported_boards() if show_all else ()
    if as_json:
        rows = []
        for b in found:
            d = asdict(b)
            d["source"] = b.source.name
            d["usb_ids"] = b.usb_ids_text
            d["supported"] = True
            rows.append(d)
        for u in refused:
            rows.append({**asdict(u), "source": u.source.name, "supported": False})
        typer.echo(json.dumps(rows, indent=2))
    else:
        from .ui import render_boards, render_unsupported_boards

        render_boards(found)
        if refused:
            render_unsupported_boards(refused)


@boards_app.command("scan")
def boards_scan(
    write: Annotated[
        Path | None, typer.Option("--write", help="Add the boards found to this rack file (tinyflash-rack.toml).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Find connected boards by USB id, with their serial numbers and USB locations."""
    from .rack import load_rack, merge, rack_path, render_rack, scan
    from .ui import console, esc, render_scan

    path = rack_path(write)
    entries = load_rack(path)
    found = scan(entries)
    if as_json:
        typer.echo(json.dumps([{"port": f.port.device, "board": f.board.id, "usb_id": f.port.usb_id,
                                "serial": f.port.serial_number, "location": f.port.location,
                                "name": f.entry.name if f.entry else None} for f in found], indent=2))  # fmt: skip
    else:
        render_scan(found)
    if write is not None:
        from .files import write_file

        merged = merge(entries, found)
        write_file(path.resolve().parent, path.name, render_rack(merged))
        added = len(merged) - len(entries)
        console.print(f"{esc(path)}: {len(merged)} board(s), {added} added")


@app.command("udev-rules")
def udev_rules() -> None:
    """Print udev rules: supported boards' ports usable by the dialout group, with stable names by serial number."""
    from .boards import all_boards
    from .ports import udev_rules as render

    typer.echo(render(all_boards()), nl=False)


def main() -> None:
    """Console-script entry point: one clean error line unless --debug; exit codes in tinyflash/errors.py."""
    debug = _state["debug"] or "--debug" in sys.argv[1:]
    signals.install()
    try:
        app()
    except OutputClosed as exc:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing left to flush at exit
        sys.exit(exc.exit_code)
    except TinyflashError as exc:
        if debug:
            raise
        _print_error(exc.message, exc.hint)
        sys.exit(exc.exit_code)
    except Exception as exc:  # a bug of ours: still one line, and the way to get the details
        if debug:
            raise
        _print_error(f"internal error: {type(exc).__name__}: {exc}", "rerun with --debug and report the traceback")
        sys.exit(70)


def _print_error(message: str, hint: str) -> None:
    from .ui import print_error

    print_error(message, hint)


if __name__ == "__main__":
    main()
