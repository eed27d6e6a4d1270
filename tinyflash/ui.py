"""Rendering for people: rich tables and bars. The library never prints; the CLI calls these."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .boards import Board, UnsupportedBoard
from .model import Tensor
from .report import InspectReport

# soft_wrap: long lines (paths) are never broken at 80 columns in CI logs, where there is no terminal.
console = Console(highlight=False, emoji=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, emoji=False, soft_wrap=True)
# Piped with no COLUMNS (CI logs, `| grep`), rich assumes 80 columns and squeezes tables into truncated cells.
for _c in (console, err_console):
    if not _c.is_terminal and "COLUMNS" not in os.environ:
        _c.width = 200

# C0/C1 controls (ESC starts ANSI and OSC sequences), zero-width and bidirectional formatting characters
# (which can make text read differently from what it is), and the BOM.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


def clean(text: object) -> str:
    """Text from a user, a model or a state file made inert for a terminal: unsafe characters shown as escapes."""
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", str(text))


def esc(text: object) -> str:
    """:func:`clean`, and rich markup in it shown literally (``[bold]`` in a model description is just text)."""
    return escape(clean(text))


def bar(used: int, limit: int, width: int = 24) -> str:
    frac = used / limit if limit else 1.0
    filled = min(width, round(frac * width))
    colour = "green" if frac <= 0.8 else "yellow" if frac <= 1.0 else "red"
    return f"[{colour}]{'█' * filled}{'░' * (width - filled)}[/] {frac:6.1%}  {used:,} / {limit:,} B"


def _quant_text(t: Tensor) -> str:
    q = t.quant
    if q is None:
        return "—"
    if q.per_channel:
        return f"per-channel (axis {q.axis}, {len(q.scales)} scales {min(q.scales):.6g}…{max(q.scales):.6g})"
    return f"scale {q.scale:.7g}, zero point {q.zero_point}"


def render_inspect(r: InspectReport) -> None:
    m = r.model
    console.print(
        f"[bold]{esc(m.path)}[/]  {m.size_bytes:,} bytes, schema v{m.schema_version}, "
        f"{len(m.subgraphs)} subgraph{'s' if len(m.subgraphs) != 1 else ''}"
        + (f", “{esc(m.description)}”" if m.description else "")
    )
    ops = Table(title="Operators", title_justify="left", show_edge=False, pad_edge=False)
    ops.add_column("op")
    ops.add_column("count", justify="right")
    ops.add_column("TFLM")
    ops.add_column("AOT")
    for o in m.ops:
        name = f"{esc(o.name)} (custom)" if o.custom else esc(o.name)
        status = (
            "[red]missing[/]"
            if o.name in r.unsupported_ops
            else "[yellow]needs NPU[/]"
            if (o.name in r.vendor_ops)
            else "[green]ok[/]"
        )
        ops.add_row(name, str(o.count), status, _aot_status(r, o.name, o.count))
    console.print(ops)
    io = Table(title="Inputs and outputs", title_justify="left", show_edge=False, pad_edge=False)
    for col in ("", "name", "shape", "dtype", "quantization"):
        io.add_column(col)
    for kind, tensors in (("in", m.inputs), ("out", m.outputs)):
        for t in tensors:
            io.add_row(kind, esc(t.name), "×".join(map(str, t.shape)) or "scalar", esc(t.dtype), _quant_text(t))
    console.print(io)
    console.print(f"parameters  {m.parameter_bytes:,} B")
    a = r.arena
    console.print(
        f"arena       [bold]{a.bytes:,} B[/] = {a.minimum_bytes:,} B {a.method} + {a.margin_bytes:,} B "
        f"margin  ({esc(a.detail)})"
    )
    if r.aot.supported:
        scratch = (
            f"; op scratch {r.aot.scratch_bytes:,} B in all, {r.aot.scratch_peak_bytes:,} B at most at a time"
            if r.aot.scratch_bytes
            else ""
        )
        console.print(f"AOT runtime [bold]{r.aot.arena_bytes:,} B[/] arena (live-bytes lower bound "
                      f"{r.aot.lower_bound_bytes:,} B{scratch}); `build --runtime auto` uses it")  # fmt: skip
        console.print(f"  kernels for {esc(r.aot.target)}: " + _implementations(r.aot.implementations))
    else:
        console.print("AOT runtime not available; `build --runtime auto` uses TFLM:")
        for step, op, reason in r.aot.problems or ((-1, "", r.aot.reason),):
            where = f"operator {step} ({esc(op)}): " if step >= 0 else f"{esc(op)}: " if op else ""
            console.print(f"  [red]AOT:[/] {where}{esc(reason)}")
    for name in r.unsupported_ops:
        console.print(
            f"[red]unsupported:[/] {esc(name)} has no TFLM kernel; the model will not run under TFLM "
            "(re-convert without it, or register your own kernel)"
        )
    for name in r.vendor_ops:
        console.print(
            f"[yellow]vendor op:[/] {esc(name)} runs only on an Arm Ethos-U NPU; none of the "
            "supported boards has one (convert the model without Vela)"
        )
    if r.board and r.fit:
        f = r.fit
        what = "TFLM" if f.runtime == "tflm" else "AOT code"
        console.print(f"\n[bold]Fit on {esc(r.board.name)}[/] ({esc(r.board.id)}), {f.runtime} runtime")
        console.print(f"  flash  {bar(f.flash_bytes, f.flash_limit)}   (model + {what} + framework, estimated)")
        console.print(f"  RAM    {bar(f.ram_bytes, f.ram_limit)}   (arena + framework, estimated)")
        verdict = "[green]fits[/]" if r.ok else "[red]does not fit[/]" if not f.fits else "[red]cannot run[/]"
        console.print(f"  {verdict}")


def _aot_status(r: InspectReport, name: str, count: int) -> str:
    """The AOT column of the operator table: no kernel, some cases refused, all folded at generation time, ok."""
    if name in r.aot.unsupported_ops:
        return "[red]no kernel[/]"
    refused = sum(1 for _, op, _ in r.aot.problems if op == name)
    if refused:
        return f"[red]{refused} refused[/]"
    folded = sum(1 for _, op in r.aot.folded if op == name)
    return "[green]folded[/]" if folded == count else "[green]ok[/]"


def _implementations(choices: tuple[tuple[int, str, str], ...]) -> str:
    """``CONV_2D: conv_1x1_dsp x13, reference x1; SOFTMAX: reference``: each op's implementations with counts."""
    per_op: dict[str, dict[str, int]] = {}
    for _, op, impl in choices:
        counts = per_op.setdefault(op, {})
        counts[impl] = counts.get(impl, 0) + 1
    return "; ".join(
        f"{op}: " + ", ".join(f"{impl} x{n}" if n > 1 else impl for impl, n in counts.items())
        for op, counts in per_op.items()
    )


def render_boards(boards: tuple[Board, ...]) -> None:
    t = Table(show_edge=False, pad_edge=False)
    t.add_column("id", no_wrap=True)
    for col in ("name", "core", "flash", "RAM", "kind", "aliases"):
        t.add_column(col)
    for b in boards:
        t.add_row(
            esc(b.id),
            esc(b.name),
            esc(b.core),
            f"{b.flash_limit // 1024:,} KB",
            f"{b.ram_bytes // 1024:,} KB",
            b.kind,
            esc(", ".join(b.aliases)),
        )
    console.print(t)


def render_unsupported_boards(boards: tuple[UnsupportedBoard, ...]) -> None:
    console.print("\nKnown, not supported (`build` refuses them and says why):")
    t = Table(show_edge=False, pad_edge=False)
    t.add_column("id", no_wrap=True)
    for col in ("name", "core", "why not", "would need", "aliases"):
        t.add_column(col)
    for b in boards:
        t.add_row(esc(b.id), esc(b.name), esc(b.core), esc(b.reason), esc(b.needs), esc(", ".join(b.aliases)))
    console.print(t)


@contextmanager
def status(enabled: bool = True) -> Iterator[Callable[[str], None]]:
    """A spinner on stderr while long steps run; yields a function that updates its text."""
    if not enabled or not err_console.is_terminal:
        yield lambda text: None
        return
    with err_console.status("working") as st:
        yield lambda text: st.update(esc(text))


def build_json(r: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "project": str(r.project),
        "board": r.board.id,
        "app": r.plan.app,
        "runtime": r.plan.runtime,
        "arena_bytes": r.plan.arena_bytes,
        "written": list(r.written.written),
        "unchanged": list(r.written.unchanged),
        "kept_edits": list(r.written.kept_edits),
        "removed": list(r.written.removed),
        "moved": [{"file": rel, "to": dest} for rel, dest in r.written.moved],
        "warnings": [*r.plan.warnings, *r.written.warnings],
        "compiled": r.compiled,
    }
    if r.compiled:
        out["firmware"] = str(r.firmware) if r.firmware else None
        out["log"] = str(r.log)
        out["seconds"] = round(r.seconds, 2)
        if r.size:
            out["size"] = {
                "flash_used": r.size.flash_used,
                "flash_limit": r.size.flash_limit,
                "ram_used": r.size.ram_used,
                "ram_limit": r.size.ram_limit,
            }
    return out


def render_build(r: Any, out: Console = console) -> None:
    """The build summary; `run` sends it to stderr so stdout carries only the board's output."""
    w = r.written
    out.print(
        f"[bold]{esc(r.board.name)}[/]: {r.plan.app} app on the {r.plan.runtime} runtime, "
        f"arena {r.plan.arena_bytes:,} B → {esc(r.project)}"
    )
    out.print(
        f"  files: {len(w.written)} written, {len(w.unchanged)} unchanged"
        + (f", {len(w.removed)} removed" if w.removed else "")
    )
    for warning in (*r.plan.warnings, *w.warnings):
        err_console.print(f"  [yellow]warning:[/] {esc(warning)}")
    for rel, dest in w.moved:
        why = "overwritten by --force" if rel in w.written else "this build no longer uses it"
        out.print(f"  [yellow]saved your edited {esc(rel)}[/] as {esc(dest)} ({why})")
    for rel in w.kept_edits:
        out.print(f"  [yellow]kept your edit:[/] {esc(rel)} (use --force to regenerate it)")
    if not r.compiled:
        out.print(f"  not compiled (--no-compile); build with: pio run -d {esc(r.project)}")
        return
    done = f"built in {r.seconds:.1f} s" if r.seconds else "up to date"
    out.print(f"  [green]{done}[/]: {esc(r.firmware)}")
    if r.size:
        out.print(f"  flash  {bar(r.size.flash_used, r.size.flash_limit)}")
        out.print(f"  RAM    {bar(r.size.ram_used, r.size.ram_limit)}")


def print_error(message: str, hint: str) -> None:
    """``error: <what> — <what to do>`` on stderr, with the text shown exactly as it is (never as markup)."""
    err_console.print(f"[red]error:[/] {esc(message)}" + (f" — {esc(hint)}" if hint else ""), soft_wrap=True)


def print_note(message: str) -> None:
    err_console.print(f"[yellow]note:[/] {esc(message)}", soft_wrap=True)


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def render_convert(r: Any, report: InspectReport) -> None:
    """What was written, the check's numbers and warnings, then what `inspect` says and the next command."""
    kind = "float32" if r.quantize == "none" else r.quantize
    cal = f", calibrated on {r.calibration.samples:,} samples ({r.calibration.source})" if r.calibration else ""
    console.print(f"[green]converted[/] {esc(r.source)} → [bold]{esc(r.out)}[/]: {kind}, {r.io} input/output{esc(cal)}")
    c = r.check
    console.print(
        f"\n[bold]Check[/]: float model (TensorFlow) vs {kind} model ({c.runtime}, what the device computes), "
        f"{c.samples:,} samples ({c.data})"
    )
    t = Table(show_edge=False, pad_edge=False)
    for col in ("output", "MAE", "max abs", "RMSE", "cosine", "top-1", "range", "pinned"):
        t.add_column(col, justify="left" if col in ("output", "range") else "right")
    for o in c.outputs:
        t.add_row(
            esc(o.name),
            f"{o.mae:.4g}",
            f"{o.max_abs_error:.4g}",
            f"{o.rmse:.4g}",
            f"{o.cosine:.5f}",
            _share(o.top1_agreement),
            "—" if o.range is None else esc(f"[{o.range[0]:.4g}, {o.range[1]:.4g}]"),
            _share(o.saturation),
        )
    console.print(t)
    for i in c.inputs:
        if i.range is not None:
            console.print(f"input {esc(i.name)}: range {esc(f'[{i.range[0]:.4g}, {i.range[1]:.4g}]')}, "
                          f"{_share(i.saturation)} of the check values outside")  # fmt: skip
    for w in c.warnings:
        console.print(f"[yellow]warning:[/] {esc(w)}")
    if c.ok:
        console.print("[green]check passed[/]")
    console.print()
    render_inspect(report)
    console.print(
        f"\nnext: tinyflash build --board BOARD {esc(r.out)}   "
        f"(no hardware: tinyflash run --board virtual-m4 {esc(r.out)})"
    )


def render_test(r: Any) -> None:
    """`tinyflash test`'s summary: what ran where, how it compared, where the time went, and the verdict."""
    device = r.device
    where = f"{esc(Path(r.model).name)} on {esc(r.board)}"
    if r.runtime:
        where += f" ({r.runtime} runtime)"
    console.print(f"[bold]tinyflash test[/]: {where}" + (f", reference {esc(r.reference)}" if r.reference else ""))
    if r.reference_note:
        console.print(f"  [yellow]note:[/] {esc(r.reference_note)}")
    if r.vector_source:
        console.print(f"  vectors    {esc(r.vector_source)}: {r.vectors_sent} run on the board")
    if r.tolerance:
        console.print(f"  tolerance  {esc(r.tolerance)}" + (f"; gates: {esc(', '.join(r.gates))}" if r.gates else ""))
    if r.metrics:
        t = Table(show_edge=False, pad_edge=False)
        for col in ("output", "exact", "max |diff|", "mean |diff|", "RMSE", "cosine", "top-1"):
            t.add_column(col, justify="left" if col == "output" else "right")
        for m in r.metrics:
            lsb = f" ({m.max_lsb} LSB)" if m.max_lsb is not None else ""
            t.add_row(
                esc(m.name),
                f"{m.exact}/{len(r.vectors)}",
                f"{m.max_abs_error:.4g}{lsb}",
                f"{m.mean_abs_error:.4g}",
                f"{m.rmse:.4g}",
                f"{m.cosine:.6f}",
                "—" if m.top1 is None else f"{m.top1:.1%}",
            )
        console.print(t)
    if r.vectors:
        latencies = sorted(v.latency_us for v in r.vectors)
        console.print(
            f"  latency    {latencies[0]:,} / {latencies[len(latencies) // 2]:,} / {latencies[-1]:,} µs "
            "(min / median / max, measured on the device)"
        )
    if device is not None:
        size = f"; firmware {r.firmware_flash:,} B flash, {r.firmware_ram:,} B RAM" if r.firmware_flash else ""
        console.print(f"  device     arena {device.arena_bytes:,} B used{size}")
    if r.retries or r.bad_frames:
        console.print(f"  [yellow]transport[/]  {r.retries} request(s) resent, {r.bad_frames} damaged frame(s) dropped")
    if r.flash_skipped:
        console.print("  flash      skipped: the board already runs this build")
    if r.timings:
        spent = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in r.timings.items())
        console.print(f"  time       {spent}")
    for problem in r.problems:
        err_console.print(f"[yellow]warning:[/] {esc(problem)}")
    if r.status == "passed":
        console.print(f"[green]PASSED[/] {esc(r.message)}")
    else:
        failed = [c for c in r.cases if c.status in ("failed", "error")]
        for case in failed[:5]:
            console.print(f"  [red]{esc(case.name)}[/]: {esc(case.message)}")
        if len(failed) > 5:
            console.print(f"  … and {len(failed) - 5} more")
        if r.log:
            console.print(f"  exchange log: {esc(r.log)}")


def render_scan(found: list) -> None:
    if not found:
        console.print("no supported board is connected (see `tinyflash boards` for their USB ids)")
        return
    t = Table(show_edge=False, pad_edge=False)
    for col in ("port", "board", "USB id", "serial", "location", "rack name"):
        t.add_column(col, no_wrap=True)
    for f in found:
        t.add_row(esc(f.port.device), esc(f.board.id), f.port.usb_id, esc(f.port.serial_number or "—"),
                  esc(f.port.location or "—"), esc(f.entry.name if f.entry else "—"))  # fmt: skip
    console.print(t)
