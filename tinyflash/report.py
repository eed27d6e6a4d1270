"""The `inspect` report: everything a user needs to know about a model before putting it on a board.

Pure data in, data out: the CLI renders it as a table or JSON; tests read it directly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .arena import ArenaEstimate, estimate_arena
from .boards import Board
from .fit import Fit, check_fit, check_fit_aot
from .model import ModelInfo, Tensor
from .project import choose_app
from .runtimes import AotSupport, aot_support, choose_runtime
from .tflm_ops import needs_vendor_kernel, unsupported_ops


@dataclass(frozen=True)
class InspectReport:
    model: ModelInfo
    arena: ArenaEstimate
    unsupported_ops: tuple[str, ...]
    vendor_ops: tuple[str, ...]
    aot: AotSupport
    runtime: str  # what `build` would use with the same --runtime
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


def inspect_model(
    model: ModelInfo,
    board: Board | None = None,
    *,
    runtime: str = "auto",
    app: str = "auto",
    use_runtime: bool = True,
    progress: Callable[[str], None] | None = None,
) -> InspectReport:
    """The report; with a board, the fit assumes ``runtime`` and ``app`` (auto: what `build` would use)."""
    aot = aot_support(model, board)
    chosen = choose_runtime(runtime, aot)  # the same rule `build` applies
    arena = estimate_arena(model, use_runtime=use_runtime, progress=progress)
    fit = None
    if board is not None:
        chosen_app = choose_app(model, app)  # the same rule `build` applies
        fit = (
            check_fit_aot(model, aot.arena_bytes, board, chosen_app, aot.flash_bytes or None)
            if chosen == "aot"
            else check_fit(model, arena.bytes, board, chosen_app)
        )
    return InspectReport(
        model=model,
        arena=arena,
        unsupported_ops=tuple(unsupported_ops(model)),
        vendor_ops=tuple(needs_vendor_kernel(model)),
        aot=aot,
        runtime=chosen,
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
        "runtime": r.runtime,
        "aot": {
            "supported": r.aot.supported,
            "reason": r.aot.reason,
            "arena_bytes": r.aot.arena_bytes,
            "lower_bound_bytes": r.aot.lower_bound_bytes,
            "scratch_bytes": r.aot.scratch_bytes,
            "scratch_peak_bytes": r.aot.scratch_peak_bytes,
            "unsupported_ops": list(r.aot.unsupported_ops),
            "problems": [{"step": s, "op": op, "reason": reason} for s, op, reason in r.aot.problems],
            "folded": [{"step": s, "op": op} for s, op in r.aot.folded],
            "target": r.aot.target,
            "implementations": [{"step": s, "op": op, "implementation": impl} for s, op, impl in r.aot.implementations],
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
