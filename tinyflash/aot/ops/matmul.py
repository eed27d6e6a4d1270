"""BATCH_MATMUL (float32, int8): an analyzer and TFLM's reference arithmetic.

TFLM transposes an operand in memory for adj_x and (without adj_y) for the right-hand side; here both flags, and
the batch dimensions broadcast numpy-style, are strides the generator works out, so the kernel reads each operand
where it lies and sums over the depth in TFLM's order.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...model import Operator, Tensor
from .. import quant
from ..context import Context, fail
from ..registry import OpSpec, analyzer, implementation
from . import base
from .movement import row_strides

#: Batch dimensions TFLM's kernel takes (ranks 2 to 5).
MAX_BATCH_DIMS = 3


@dataclass(frozen=True)
class BatchMatMulSpec(OpSpec):
    kind: str
    fields: dict  # BatchMatMulParams


def _batch_strides(t: Tensor, batches: tuple[int, ...]) -> list[int]:
    """Element strides of ``t``'s batch dimensions aligned to the output's, 0 where ``t`` broadcasts."""
    own = t.shape[:-2]
    strides = row_strides(t.shape)[:-2]
    padded = [(1, 0)] * (len(batches) - len(own)) + list(zip(own, strides, strict=True))
    return [0 if n == 1 else s for (n, s) in padded]


@analyzer("BATCH_MATMUL")
def analyze(ctx: Context, step: int, op: Operator) -> BatchMatMulSpec:
    ins, out = base.io(ctx, step, op, 2)
    lhs, rhs = ins[0], ins[1]
    assert lhs is not None and rhs is not None
    kind = base.dtype(step, op, lhs, "float32", "int8")
    for t in (rhs, out):
        base.dtype(step, op, t, kind)
    for t in (lhs, rhs):
        base.rank(step, op, t, 2, 3, 4, 5)
        if kind == "int8" and len(t.quant.scales) != 1:
            raise fail(step, op, f"tensor '{t.name}' is quantized per channel (TFLM takes one scale per tensor)")
    adj_x, adj_y = bool(op.options.get("adj_x", False)), bool(op.options.get("adj_y", False))
    rows, depth = lhs.shape[-1:-3:-1] if adj_x else lhs.shape[-2:]
    rhs_depth, columns = rhs.shape[-1:-3:-1] if adj_y else rhs.shape[-2:]
    if depth != rhs_depth:
        raise fail(step, op, f"the left operand's depth {depth} differs from the right one's {rhs_depth}")
    lb, rb = lhs.shape[:-2], rhs.shape[:-2]
    n = max(len(lb), len(rb))
    lb, rb = (1,) * (n - len(lb)) + lb, (1,) * (n - len(rb)) + rb
    if any(a != b and 1 not in (a, b) for a, b in zip(lb, rb, strict=True)):
        raise fail(step, op, f"batch dimensions {list(lb)} and {list(rb)} do not broadcast")
    batches = tuple(max(a, b) for a, b in zip(lb, rb, strict=True))
    if out.shape != (*batches, rows, columns):
        raise fail(step, op, f"the output has shape {list(out.shape)}, the product {[*batches, rows, columns]}")
    pad = [1] * (MAX_BATCH_DIMS - len(batches))
    lhs_rows, rhs_rows = row_strides(lhs.shape)[-2], row_strides(rhs.shape)[-2]
    fields = {
        "batches": [*pad, *batches],
        "lhs_batch_strides": [0] * len(pad) + _batch_strides(lhs, batches),
        "rhs_batch_strides": [0] * len(pad) + _batch_strides(rhs, batches),
        "rows": rows,
        "columns": columns,
        "depth": depth,
        "lhs_row_stride": 1 if adj_x else lhs_rows,
        "lhs_depth_stride": lhs_rows if adj_x else 1,
        "rhs_depth_stride": 1 if adj_y else rhs_rows,
        "rhs_column_stride": rhs_rows if adj_y else 1,
    }
    return BatchMatMulSpec(step, op, kind, fields)


@implementation("BATCH_MATMUL", name="reference", summary="TFLM's reference loops, transposes as strides")
def reference(ctx: Context, s: BatchMatMulSpec) -> list[str]:
    name = base.op_name(s.step)
    ctx.use("reference/batch_matmul.h")
    tensors = ", ".join([*(ctx.pointer(i, True) for i in s.op.inputs[:2]), ctx.pointer(s.op.outputs[0])])
    if s.kind == "float32":
        ctx.params("BatchMatMulParams", name, s.fields)
        return [f"BatchMatMulFloat({name}, {tensors});"]
    lhs, rhs, out = (ctx.tensor(i).quant for i in (*s.op.inputs[:2], s.op.outputs[0]))
    (m,) = quant.fully_connected_multipliers(lhs.scale, rhs.scales, out.scale)
    fields = {
        "shape": s.fields,
        "lhs_offset": -lhs.zero_point,
        "rhs_offset": -rhs.zero_point,
        "output_offset": out.zero_point,
        "multiplier": m.value,
        "shift": m.shift,
    }
    ctx.params("BatchMatMulInt8Params", name, fields)
    return [f"BatchMatMulInt8({name}, {tensors});"]
