"""The `inspect` report: everything a user needs to know about a model before putting it on a board.

Pure data in, data out: the CLI renders it as a table or JSON; tests read it directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .arena import ArenaEstimate, estimate_arena
from .boards import Board
from .errors import ModelError, TinyflashError
from .fit import Fit, check_fit, check_fit_aot
from .model import ModelInfo, Tensor
from .tflm_ops import needs_vendor_kernel, unsupported_ops


@dataclass(frozen=True)
class AotSummary:
    """What the AOT runtime would make of the model: its planned arena, or why it cannot."""

    supported: bool
    arena_bytes: int = 0
    lower_bound_bytes: int = 0
    unsupported_ops: tuple[str, ...] = ()


@dataclass(frozen=True)
class InspectReport:
    model: ModelInfo
    arena: ArenaEstimate
    unsupported_ops: tuple[str, ...]
    vendor_ops: tuple[str, ...]
    aot: AotSummary
    board: Board | None = None
    fit: Fit | None = None

    @property
    def ok(self) -> bool:
        """False when a board was given and the model cannot run on it (with the runtime the fit assumed)."""
        if self.board is None or self.fit is None:
            return True
        if self.fit.runtime == "tflm" and (self.unsupported_ops or self.vendor_ops):
            return False
        return self.fit.fits


def aot_summary(model: ModelInfo) -> AotSummary:
    from .aot import generate
    from .aot import unsupported_ops as aot_unsupported

    missing = tuple(aot_unsupported(model))
    if missing:
        return AotSummary(False, unsupported_ops=missing)
    try:
        result = generate(model)
    except ModelError:  # supported ops in a form the generator does not handle (dtype, rank, subgraphs)
        return AotSummary(False)
    return AotSummary(True, result.arena_bytes, result.lower_bound_bytes)


def inspect_model(
    model: ModelInfo, board: Board | None = None, *, runtime: str = "auto", use_runtime: bool = True
) -> InspectReport:
    """The report; with a board, the fit assumes ``runtime`` (auto: what `build --runtime auto` would use)."""
    if runtime not in ("auto", "tflm", "aot"):
        raise TinyflashError(f"unknown runtime '{runtime}'", "choose tflm, aot or auto")
    arena = estimate_arena(model, use_runtime=use_runtime)
    aot = aot_summary(model)
    if runtime == "aot" and not aot.supported:
        raise ModelError(
            f"the AOT runtime does not support {', '.join(aot.unsupported_ops) or 'this model'}",
            "inspect with --runtime tflm",
        )
    fit = None
    if board is not None:
        use_aot = runtime == "aot" or (runtime == "auto" and aot.supported)
        fit = check_fit_aot(model, aot.arena_bytes, board) if use_aot else check_fit(model, arena.bytes, board)
    return InspectReport(
        model=model,
        arena=arena,
        unsupported_ops=tuple(unsupported_ops(model)),
        vendor_ops=tuple(needs_vendor_kernel(model)),
        aot=aot,
        board=board,
        fit=fit,
    )


def tensor_json(t: Tensor) -> dict[str, Any]:
    q = t.quant
    if q is None:
        scale: Any = None
        zero_point: Any = None
    elif q.per_channel:
        scale, zero_point = list(q.scales), list(q.zero_points)
    else:
        scale, zero_point = q.scale, q.zero_point
    out: dict[str, Any] = {
        "name": t.name,
        "shape": list(t.shape),
        "dtype": t.dtype,
        "scale": scale,
        "zero_point": zero_point,
    }
    if q is not None and q.per_channel:
        out["quantized_dimension"] = q.axis
    return out


def report_json(r: InspectReport) -> dict[str, Any]:
    m = r.model
    out: dict[str, Any] = {
        "path": str(m.path),
        "size_bytes": m.size_bytes,
        "sha256": m.sha256,
        "schema_version": m.schema_version,
        "description": m.description,
        "subgraphs": len(m.subgraphs),
        "ops": [{"name": o.name, "count": o.count, "custom": o.custom} for o in m.ops],
        "inputs": [tensor_json(t) for t in m.inputs],
        "outputs": [tensor_json(t) for t in m.outputs],
        "parameter_bytes": m.parameter_bytes,
        "arena_bytes": r.arena.bytes,
        "arena_minimum_bytes": r.arena.minimum_bytes,
        "arena_margin_bytes": r.arena.margin_bytes,
        "arena_method": r.arena.method,
        "arena_detail": r.arena.detail,
        "unsupported_ops": list(r.unsupported_ops),
        "vendor_ops": list(r.vendor_ops),
        "aot": {
            "supported": r.aot.supported,
            "arena_bytes": r.aot.arena_bytes,
            "lower_bound_bytes": r.aot.lower_bound_bytes,
            "unsupported_ops": list(r.aot.unsupported_ops),
        },
    }
    if r.board and r.fit:
        out["board"] = r.board.id
        out["fit"] = {
            "runtime": r.fit.runtime,
            "flash_bytes": r.fit.flash_bytes,
            "flash_limit": r.fit.flash_limit,
            "ram_bytes": r.fit.ram_bytes,
            "ram_limit": r.fit.ram_limit,
            "fits": r.ok,
        }
    return out
