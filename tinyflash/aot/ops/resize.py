"""RESIZE_NEAREST_NEIGHBOR and RESIZE_BILINEAR: analyzers, kernels, and a generation-time folder for the first.

Which input rows and columns each output row and column reads, and with which weights, depends only on the sizes
and the two flags. So the generator works it out once per axis, with TFLM's own arithmetic (float32 products for
nearest and float32 bilinear, 1/1024ths for int8 bilinear), into small tables in flash; the device only copies
or weighs values. Raw values are used, as TFLM does, whatever the quantization.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...model import Operator
from ..context import Context, fail
from ..fold import constant
from ..registry import OpSpec, analyzer, folder, implementation
from . import base

#: The types TFLM's kernels take.
NEAREST_TYPES = ("float32", "int8", "int16")
BILINEAR_TYPES = ("float32", "int8")
#: int8 bilinear positions and weights are in units of 1/2^10 (TFLM's ResizeBilinearInteger).
ONE = 1 << 10


@dataclass(frozen=True)
class Axis:
    """Per output row (or column): the input rows it reads and, for bilinear, the weight of the second one."""

    lower: tuple[int, ...]
    upper: tuple[int, ...] = ()
    weights: tuple[float, ...] | tuple[int, ...] = ()


def nearest(output_size: int, input_size: int, align_corners: bool, half_pixel_centers: bool) -> Axis:
    """TFLM's GetNearestNeighbor for every output index: float32 products, std::round (half away from zero) with
    align_corners, else floor; at most the last input index, and at least 0 with half-pixel centers."""
    f32 = np.float32
    if align_corners and output_size > 1:
        scale = f32(input_size - 1) / f32(output_size - 1)
    else:
        scale = f32(input_size) / f32(output_size)
    at = (np.arange(output_size, dtype=f32) + f32(0.5 if half_pixel_centers else 0.0)) * scale
    # float32 -> float64 is exact, and so is adding 0.5 there: no double rounding.
    picked = np.floor(at.astype(np.float64) + 0.5) if align_corners else np.floor(at)
    picked = np.minimum(picked.astype(np.int64), input_size - 1)
    return Axis(tuple(int(i) for i in (np.maximum(picked, 0) if half_pixel_centers else picked)))


def bilinear_float(output_size: int, input_size: int, align_corners: bool, half_pixel_centers: bool) -> Axis:
    """TFLM's ComputeInterpolationValues in float32: the rows around each position and the position's distance
    from the first (the kernel's weights are that and 1 minus it)."""
    f32 = np.float32
    if align_corners and output_size > 1:
        scale = f32(input_size - 1) / f32(output_size - 1)
    else:
        scale = f32(input_size) / f32(output_size)
    at = np.arange(output_size, dtype=f32)
    at = (at + f32(0.5)) * scale - f32(0.5) if half_pixel_centers else at * scale
    lower = np.maximum(np.floor(at).astype(np.int64), 0)
    upper = np.minimum(np.ceil(at).astype(np.int64), input_size - 1)
    fractions = at - lower.astype(f32)
    return Axis(tuple(int(i) for i in lower), tuple(int(i) for i in upper), tuple(float(f) for f in fractions))


def bilinear_int8(output_size: int, input_size: int, align_corners: bool, half_pixel_centers: bool) -> Axis:
    """TFLM's ComputeInterpolationValuesInteger: positions in 1/1024ths, C's division truncating toward zero; the
    weight of the second row is the position's distance from the first."""
    if align_corners and output_size > 1:
        scale = (ONE * (input_size - 1) + (output_size - 1) // 2) // (output_size - 1)
    else:
        scale = (ONE * input_size + output_size // 2) // output_size
    lower, upper, weights = [], [], []
    for i in range(output_size):
        at = i * scale + scale // 2 - ONE // 2 if half_pixel_centers else i * scale
        first = max(_c_div(at, ONE), 0)
        lower.append(first)
        upper.append(min(_c_div(at + ONE - 1, ONE), input_size - 1))
        weights.append(at - ONE * first)
    return Axis(tuple(lower), tuple(upper), tuple(weights))


def _c_div(a: int, b: int) -> int:
    """C's integer division (toward zero) for a positive ``b``."""
    return a // b if a >= 0 else -(-a // b)


@dataclass(frozen=True)
class ResizeSpec(OpSpec):
    kind: str
    shape: dict[str, int]  # ResizeShape
    rows: Axis
    columns: Axis


def _analyze(ctx: Context, step: int, op: Operator, types: tuple[str, ...]) -> ResizeSpec:
    inp, out, kind = base.same_type(ctx, step, op, 2, *types)
    base.rank(step, op, inp, 4)
    size = base.const_ints(ctx, step, op, op.inputs[1], "the size")
    if len(size) != 2 or min(size) < 1:
        raise fail(step, op, f"the size must be two positive values (height, width), not {size}")
    batches, height, width, depth = inp.shape
    if out.shape != (batches, *size, depth):
        raise fail(step, op, f"the output has shape {list(out.shape)}, resizing gives {[batches, *size, depth]}")
    flags = bool(op.options.get("align_corners", False)), bool(op.options.get("half_pixel_centers", False))
    if op.opcode == "RESIZE_NEAREST_NEIGHBOR":
        axes = nearest
    elif all(flags):
        raise fail(step, op, "align_corners and half_pixel_centers together are not supported (TFLM refuses them)")
    else:
        axes = bilinear_float if kind == "float32" else bilinear_int8
    rows, columns = axes(size[0], height, *flags), axes(size[1], width, *flags)
    for axis, n in ((rows, height), (columns, width)):
        if max(axis.lower) >= n:
            raise fail(step, op, f"an output position maps past the input's {n} rows or columns (TFLM reads outside)")
    names = ("batches", "input_height", "input_width", "depth", "output_height", "output_width")
    return ResizeSpec(step, op, kind, dict(zip(names, (batches, height, width, depth, *size), strict=True)), rows,
                      columns)  # fmt: skip


@analyzer("RESIZE_NEAREST_NEIGHBOR")
def analyze_nearest(ctx: Context, step: int, op: Operator) -> ResizeSpec:
    return _analyze(ctx, step, op, NEAREST_TYPES)


@analyzer("RESIZE_BILINEAR")
def analyze_bilinear(ctx: Context, step: int, op: Operator) -> ResizeSpec:
    return _analyze(ctx, step, op, BILINEAR_TYPES)


def _taps(ctx: Context, s: ResizeSpec, per_row: int) -> dict[str, object]:
    """ResizeParams: the shape and the rows and columns tables (``per_row`` input rows each: 1 nearest, 2 bilinear)."""
    name = base.op_name(s.step)
    fields: dict[str, object] = {"shape": s.shape}
    for axis, plural in ((s.rows, "rows"), (s.columns, "columns")):
        taps = (axis.lower, axis.upper)[:per_row]
        fields[plural] = ctx.array(
            "int32_t", f"{name}{plural.title()}", [i for t in zip(*taps, strict=True) for i in t]
        )
    return fields


def _call(ctx: Context, s: ResizeSpec, function: str) -> list[str]:
    return [f"{function}({base.op_name(s.step)}, {ctx.pointer(s.op.inputs[0], True)}, {ctx.pointer(s.op.outputs[0])});"]


@implementation("RESIZE_NEAREST_NEIGHBOR", name="reference", summary="one memcpy per output pixel")
def resize_nearest(ctx: Context, s: ResizeSpec) -> list[str]:
    ctx.use("reference/resize_nearest_neighbor.h")
    ctx.params("ResizeParams", base.op_name(s.step), _taps(ctx, s, 1))
    return _call(ctx, s, "ResizeNearestNeighbor")


@implementation("RESIZE_BILINEAR", name="reference", summary="TFLM's reference interpolation, positions in tables")
def resize_bilinear(ctx: Context, s: ResizeSpec) -> list[str]:
    name = base.op_name(s.step)
    suffix, ctype, weights = ("Float", "float", "fractions") if s.kind == "float32" else ("Int8", "int32_t", "weights")
    ctx.use("reference/resize_bilinear.h")
    fields: dict[str, object] = {"taps": _taps(ctx, s, 2)}
    for axis, singular in ((s.rows, "row"), (s.columns, "column")):
        fields[f"{singular}_{weights}"] = ctx.array(ctype, f"{name}{singular.title()}{weights.title()}", axis.weights)
    ctx.params(f"ResizeBilinear{suffix}Params", name, fields)
    return _call(ctx, s, f"ResizeBilinear{suffix}")


@folder("RESIZE_NEAREST_NEIGHBOR")
def fold_nearest(ctx: Context, step: int, op: Operator) -> dict[int, np.ndarray]:
    """The kernel's copies, in numpy."""
    s = analyze_nearest(ctx, step, op)
    image = constant(ctx, op.inputs[0])
    return {op.outputs[0]: image[:, list(s.rows.lower)][:, :, list(s.columns.lower)].reshape(-1)}
