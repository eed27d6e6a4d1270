"""How many bytes of tensor arena a model needs under TFLM, and how that number was found.

``arena_used_bytes()`` after ``AllocateTensors()`` under-reports (allocation needs temporary space
beyond it), so the only trustworthy figure is the smallest arena that really works. We find it by
bisection with the ``tflite-micro`` Python runtime, each probe in its own subprocess because an
undersized arena can crash the runtime. The runtime is 64-bit, whose structs are bigger than a 32-bit
MCU's, so the measured minimum is already an upper bound for the device; on top of it we add
:data:`MARGIN_FRACTION` (at least :data:`MARGIN_MIN_BYTES`) for the scratch buffers that optimized
kernels (CMSIS-NN, ESP-NN) request and the reference kernels measured here do not.

Without the runtime we fall back to a deliberately pessimistic static estimate from tensor lifetimes
and say so in :attr:`ArenaEstimate.method`.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from .model import ModelInfo, Operator, Subgraph

ALIGN = 16
MARGIN_FRACTION = 0.05
MARGIN_MIN_BYTES = 512
#: Largest arena the bisection will try: beyond any microcontroller's RAM.
PROBE_CEILING = 64 * 1024 * 1024
PROBE_TIMEOUT_S = 60
_CACHE_VERSION = "arena-v1"

METHOD_PROBED = "probed"
METHOD_STATIC = "static-estimate"


@dataclass(frozen=True)
class ArenaEstimate:
    """``bytes`` is what to allocate; ``minimum_bytes`` what was measured (or estimated) before margin."""

    bytes: int
    minimum_bytes: int
    margin_bytes: int
    method: str
    detail: str
    probes: int = 0


def align(n: int, to: int = ALIGN) -> int:
    return (n + to - 1) // to * to


def with_margin(minimum: int, method: str, detail: str, probes: int = 0) -> ArenaEstimate:
    margin = align(max(MARGIN_MIN_BYTES, int(minimum * MARGIN_FRACTION)))
    return ArenaEstimate(align(minimum) + margin, minimum, margin, method, detail, probes)


def runtime_available() -> bool:
    return importlib.util.find_spec("tflite_micro") is not None


def estimate_arena(
    model: ModelInfo,
    *,
    use_runtime: bool = True,
    cache: bool = True,
    progress: Callable[[str], None] | None = None,
) -> ArenaEstimate:
    """The arena to allocate for ``model``: probed when the TFLM runtime is installed, else estimated."""
    static = static_estimate(model)
    if not use_runtime or not runtime_available():
        return with_margin(
            static,
            METHOD_STATIC,
            "tflite-micro runtime not installed; pessimistic "
            "estimate from tensor lifetimes (install tflite-micro to measure)",
        )
    cached = _cache_load(model.sha256) if cache else None
    if cached is not None:
        return cached
    if static > PROBE_CEILING:  # no microcontroller has that much RAM: probing would only try to allocate it
        return with_margin(static, METHOD_STATIC, "larger than any board's RAM; estimate from tensor lifetimes")
    try:
        minimum, probes = probe_minimum_arena(model.data, start=static, progress=progress)
    except ProbeFailed as exc:
        return with_margin(
            static,
            METHOD_STATIC,
            f"the TFLM runtime could not run this model ({exc}); pessimistic estimate from tensor lifetimes",
        )
    result = with_margin(
        minimum,
        METHOD_PROBED,
        f"bisection with the tflite-micro runtime ({probes} probes; 64-bit host, an upper bound for 32-bit MCUs)",
        probes,
    )
    if cache:
        _cache_store(model.sha256, result)
    return result


class ProbeFailed(Exception):
    """The runtime cannot run the model at any arena size (unsupported op, bad model)."""


def probe_minimum_arena(
    data: bytes, start: int = 4096, progress: Callable[[str], None] | None = None
) -> tuple[int, int]:
    """Smallest arena (bytes) with which the TFLM runtime allocates and invokes the model.

    Returns ``(minimum, probes)``. Assumes monotonicity: if an arena of n bytes works, so does n+1.
    """
    with tempfile.NamedTemporaryFile(suffix=".tflite", delete=False) as f:
        f.write(data)
        path = f.name
    try:
        probes = 0

        def works(size: int) -> bool:
            nonlocal probes
            probes += 1
            if progress:
                progress(f"measuring the arena with the TFLM runtime: probe {probes}, {size:,} bytes")
            return _probe(path, size)[0]

        hi = max(align(start), 1024)
        while not works(hi):
            if hi >= PROBE_CEILING:
                _, why = _probe(path, PROBE_CEILING)
                raise ProbeFailed(why or "allocation fails even with 64 MiB")
            hi = min(hi * 4, PROBE_CEILING)
        lo = 0  # largest size known (or assumed) to fail
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if works(mid):
                hi = mid
            else:
                lo = mid
        return hi, probes
    finally:
        os.unlink(path)


def _probe_model(data: bytes, size: int) -> tuple[bool, str]:
    """One probe of in-memory model bytes (writes them to a temporary file for the subprocess)."""
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "model.tflite"
        path.write_bytes(data)
        return _probe(str(path), size)


def _probe(model_path: str, size: int) -> tuple[bool, str]:
    """Run one allocation+invoke in a fresh interpreter process; a crash counts as a failure."""
    cmd = [sys.executable, "-m", "tinyflash._arena_probe", model_path, str(size)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=PROBE_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return False, f"probe timed out after {PROBE_TIMEOUT_S} s"
    if proc.returncode == 0:
        return True, ""
    lines = [ln for ln in (proc.stdout + proc.stderr).splitlines() if ln.strip()]
    return False, lines[-1] if lines else f"runtime exited with {proc.returncode}"


def static_estimate(model: ModelInfo) -> int:
    """A pessimistic arena estimate without the runtime: planned activations plus runtime overhead.

    Activations are placed greedily by size (as TFLM's GreedyMemoryPlanner does) using tensor
    lifetimes; the overhead terms are deliberately generous per-tensor and per-op allowances for
    TFLM's persistent structures (eval tensors, node data, per-channel requantization tables).
    Tests check it is never below the probed minimum for the shared models.
    """
    sg = model.main
    overhead = 2048 + 96 * len(sg.tensors)
    for op in sg.operators:
        overhead += 320
        if op.opcode in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "TRANSPOSE_CONV"):
            overhead += 16 * output_channels(sg, op)  # per-channel multiplier + shift (+ scratch allowance)
    return plan_activations(sg) + overhead


def output_channels(sg: Subgraph, op: Operator) -> int:
    """The last dimension of an op's first output (1 when it has none, or is a scalar)."""
    if not op.outputs or op.outputs[0] < 0:
        return 1
    shape = sg.tensors[op.outputs[0]].shape
    return max(shape[-1], 1) if shape else 1


def plan_activations(sg: Subgraph) -> int:
    """Bytes needed to hold every non-constant tensor during its lifetime, greedily packed."""
    n_ops = len(sg.operators)
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    for i in sg.inputs:
        first[i] = 0
        last[i] = max(last.get(i, 0), 0)
    for step, op in enumerate(sg.operators):
        for t in op.inputs:
            if t >= 0 and not sg.tensors[t].is_constant:
                first.setdefault(t, step)
                last[t] = max(last.get(t, step), step)
        for t in op.outputs:
            if t >= 0:
                first.setdefault(t, step)
                last[t] = max(last.get(t, step), step)
    for t in sg.outputs:
        last[t] = n_ops
    items = sorted(
        ((align(sg.tensors[t].nbytes), first[t], last[t]) for t in first if not sg.tensors[t].is_constant),
        reverse=True,
    )
    placed: list[tuple[int, int, int, int]] = []  # offset, size, first, last
    high = 0
    for size, f, la in items:
        overlapping = sorted((o, s) for o, s, pf, pl in placed if not (pl < f or la < pf))
        offset = 0
        for o, s in overlapping:
            if offset + size <= o:
                break
            offset = max(offset, o + s)
        placed.append((offset, size, f, la))
        high = max(high, offset + size)
    return high


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "tinyflash" / _CACHE_VERSION


def _cache_load(sha: str) -> ArenaEstimate | None:
    try:
        return ArenaEstimate(**json.loads((_cache_dir() / f"{sha}.json").read_text()))
    except (OSError, ValueError, TypeError):
        return None


def _cache_store(sha: str, est: ArenaEstimate) -> None:
    """Best effort: a read-only home only costs the next run a re-probe."""
    try:
        d = _cache_dir()
        d.mkdir(parents=True, exist_ok=True)
        tmp = d / f"{sha}.json.tmp{os.getpid()}"
        tmp.write_text(json.dumps(asdict(est)))
        tmp.replace(d / f"{sha}.json")
    except OSError:
        pass
