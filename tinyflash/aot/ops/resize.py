"""RESIZE_NEAREST_NEIGHBOR: an analyzer, its kernel, and a generation-time folder.

Which input row and column each output row and column copies depends only on the sizes and the two flags, so the
generator works it out once, with the float32 arithmetic of TFLM's ``GetNearestNeighbor``, into two small tables;
the device (and the folder) only copy. Raw values are copied, as TFLM does, whatever the quantization.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...model import Operator
from ..context import Context, fail
from ..fold import constant
from ..registry import OpSpec, analyzer, folder, implementation
from . import base

#: The types TFLM's RESIZE_NEAREST_NEIGHBOR takes.
NEAREST_TYPES = ("float32", "int8", "int16")


def nearest(output_size: int, input_size: int, align_corners: bool, half_pixel_centers: bool) -> np.ndarray:
    """TFLM's GetNearestNeighbor for every output index: float32 products, std::round (half away from zero) with
    align_corners, else floor; at most the last input index, and at least 0 with half-pixel centers."""
    f32 = np.float32
    if align_corners and output_size > 1:
        scale = f32(input_size - 1) / f32(output_size - 1)
    else:
        scale = f32(input_size) / f32(output_size)
    offset = f32(0.5 if half_pixel_centers else 0.0)
    at = (np.arange(output_size, dtype=f32) + offset) * scale
    # float32 -> float64 is exact, and so is adding 0.5 there: no double rounding.
    picked = np.floor(at.astype(np.float64) + 0.5) if align_corners else np.floor(at)
    picked = np.minimum(picked.astype(np.int64), input_size - 1)
    return np.maximum(picked, 0) if half_pixel_centers else picked


@dataclass(frozen=True)
class ResizeSpec(OpSpec):
    kind: str
    shape: tuple[int, int, int, int]  # the input's batches, height, width, depth
    rows: tuple[int, ...]
    columns: tuple[int, ...]


@analyzer("RESIZE_NEAREST_NEIGHBOR")
def analyze_nearest(ctx: Context, step: int, op: Operator) -> ResizeSpec:
    inp, out, kind = base.same_type(ctx, step, op, 2, *NEAREST_TYPES)
    base.rank(step, op, inp, 4)
    size = base.const_ints(ctx, step, op, op.inputs[1], "the size")
    if len(size) != 2 or min(size) < 1:
        raise fail(step, op, f"the size must be two positive values (height, width), not {size}")
    batches, height, width, depth = inp.shape
    if out.shape != (batches, *size, depth):
        raise fail(step, op, f"the output has shape {list(out.shape)}, resizing gives {[batches, *size, depth]}")
    flags = bool(op.options.get("align_corners", False)), bool(op.options.get("half_pixel_centers", False))
    rows, columns = (tuple(int(i) for i in nearest(n, m, *flags)) for n, m in ((size[0], height), (size[1], width)))
    return ResizeSpec(step, op, kind, (batches, height, width, depth), rows, columns)


@implementation("RESIZE_NEAREST_NEIGHBOR", name="reference", summary="one memcpy per output pixel")
def resize_nearest(ctx: Context, s: ResizeSpec) -> list[str]:
    name = base.op_name(s.step)
    ctx.use("reference/resize_nearest_neighbor.h")
    batches, height, width, depth = s.shape
    fields = {
        "batches": batches,
        "input_height": height,
        "input_width": width,
        "depth": depth,
        "output_height": len(s.rows),
        "output_width": len(s.columns),
        "rows": ctx.array("int32_t", f"{name}Rows", s.rows),
        "columns": ctx.array("int32_t", f"{name}Columns", s.columns),
    }
    ctx.params("ResizeNearestNeighborParams", name, fields)
    return [f"ResizeNearestNeighbor({name}, {ctx.pointer(s.op.inputs[0], True)}, {ctx.pointer(s.op.outputs[0])});"]


@folder("RESIZE_NEAREST_NEIGHBOR")
def fold_nearest(ctx: Context, step: int, op: Operator) -> dict[int, np.ndarray]:
    """The kernel's copies, in numpy."""
    s = analyze_nearest(ctx, step, op)
    image = constant(ctx, op.inputs[0])
    return {op.outputs[0]: image[:, list(s.rows)][:, :, list(s.columns)].reshape(-1)}
