"""Data-movement ops as strided copies: STRIDED_SLICE, SLICE, TRANSPOSE, PACK, UNPACK, SPLIT, SPLIT_V,
CONCATENATION, and the pure reshapes RESHAPE, SQUEEZE, EXPAND_DIMS.

Each analysis says which elements go where as a list of :class:`Copy` (one per input or output). The
generator folds an op with constant inputs by applying its copies with numpy; on the device the same
copies, their contiguous dimensions merged, run through one kernel (``reference/strided_copy.h``). So the
arithmetic of indices (TFLM's clamping of slice bounds, negative strides, masks) is written once, here.
Pure copies are bit-exact by construction, whatever the tensors' quantization (TFLM copies raw values too).
CONCATENATION runs through its own kernel (shape.py); RESHAPE, SQUEEZE and EXPAND_DIMS are aliased by the
planner.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...model import Operator, Tensor
from .. import quant
from ..context import Context, fail
from ..fold import NUMPY, constant
from ..registry import OpSpec, analyzer, folder, implementation
from . import base

#: Dimensions a copy may keep after merging the contiguous ones (TFLM's data-movement ops take up to 6).
MAX_DIMS = 6


@dataclass(frozen=True)
class Copy:
    """For every index ``i`` of ``shape``: ``dst[dst_offset + i . dst_strides] = src[src_offset + i . src_strides]``
    (in elements of tensors ``src`` and ``dst``)."""

    src: int
    dst: int
    shape: tuple[int, ...]
    src_strides: tuple[int, ...]
    dst_strides: tuple[int, ...]
    src_offset: int = 0
    dst_offset: int = 0


def row_strides(shape: tuple[int, ...]) -> tuple[int, ...]:
    """Row-major strides, in elements."""
    return tuple(int(np.prod(shape[i + 1 :], dtype=np.int64)) for i in range(len(shape)))


def whole(src: int, dst: int, t: Tensor) -> Copy:
    return Copy(src, dst, (t.elements,), (1,), (1,))


def apply(ctx: Context, copies: list[Copy]) -> dict[int, np.ndarray]:
    """The copies' destinations, computed with numpy from constant sources (the generation-time fold)."""
    out: dict[int, np.ndarray] = {}
    for c in copies:
        dst = ctx.tensor(c.dst)
        target = out.setdefault(c.dst, np.zeros(dst.elements, dtype=NUMPY[dst.dtype]))
        index = np.indices(c.shape or (1,)).reshape(max(len(c.shape), 1), -1)
        src = c.src_offset + (np.asarray(c.src_strides or (0,))[:, None] * index).sum(axis=0)
        dst_at = c.dst_offset + (np.asarray(c.dst_strides or (0,))[:, None] * index).sum(axis=0)
        target[dst_at] = constant(ctx, c.src).reshape(-1)[src]
    return out


def _axis(step: int, op: Operator, axis: int, rank: int) -> int:
    resolved = axis + rank if axis < 0 else axis
    if not 0 <= resolved < rank:
        raise fail(step, op, f"axis {axis} is outside the tensor's {rank} dimensions")
    return resolved


def _const_axis(ctx: Context, step: int, op: Operator, index: int, rank: int) -> int:
    values = base.const_ints(ctx, step, op, index, "axis")
    if len(values) != 1:
        raise fail(step, op, "the axis must be one value")
    return _axis(step, op, values[0], rank)


def _outputs(ctx: Context, step: int, op: Operator) -> list[Tensor]:
    if not op.outputs or any(i < 0 for i in op.outputs):
        raise fail(step, op, "it has a missing output")
    return [ctx.tensor(i) for i in op.outputs]


def reshape_copies(ctx: Context, step: int, op: Operator) -> list[Copy]:
    """RESHAPE, SQUEEZE, EXPAND_DIMS: the same elements in the same order."""
    if not op.inputs or op.inputs[0] < 0 or len(op.outputs) != 1:
        raise fail(step, op, "expected an input and one output")
    inp, out = ctx.tensor(op.inputs[0]), ctx.tensor(op.outputs[0])
    if inp.dtype != out.dtype or inp.elements != out.elements:
        raise fail(step, op, "input and output must have the same type and size")
    return [whole(op.inputs[0], op.outputs[0], inp)]


def strided_slice_copies(ctx: Context, step: int, op: Operator) -> list[Copy]:
    """TFLM's StridedSlice: per axis a start and stop clamped as StridedSliceStartForAxis/EndForAxis do. TFLM
    ignores the ellipsis and new-axis masks (TensorFlow's meaning differs): refused, as is ``offset``."""
    if len(op.inputs) != 4 or len(op.outputs) != 1 or min(op.inputs) < 0:
        raise fail(step, op, "expected input, begin, end, strides and one output")
    for mask in ("ellipsis_mask", "new_axis_mask"):
        if int(op.options.get(mask, 0)):
            raise fail(step, op, f"{mask} is not supported (TFLM ignores it)")
    if op.options.get("offset", False):
        raise fail(step, op, "offset = true is not supported")
    inp, out = ctx.tensor(op.inputs[0]), ctx.tensor(op.outputs[0])
    shape, rank = inp.shape, len(inp.shape)
    begin, end, strides = (base.const_ints(ctx, step, op, op.inputs[i], n) for i, n in ((1, "begin"), (2, "end"),
                                                                                         (3, "strides")))  # fmt: skip
    if not 1 <= rank <= 5 or not len(begin) == len(end) == len(strides) == rank:
        raise fail(step, op, f"begin, end and strides need one value per input dimension (1 to 5, not {rank})")
    bits = {k: int(op.options.get(k, 0)) for k in ("begin_mask", "end_mask", "shrink_axis_mask")}
    starts, counts, kept = [], [], []
    for axis, (size, b, e, s) in enumerate(zip(shape, begin, end, strides, strict=True)):
        if s == 0:
            raise fail(step, op, "a stride is zero")
        start = _clamp(b + size if b < 0 else b, size, s)
        if bits["begin_mask"] >> axis & 1:
            start = 0 if s > 0 else size - 1
        if bits["shrink_axis_mask"] >> axis & 1:
            stop = start if start >= size else start + 1
        else:
            stop = _clamp(e + size if e < 0 else e, size, s)
            if bits["end_mask"] >> axis & 1:
                stop = size if s > 0 else -1
            kept.append(axis)
        starts.append(start)
        counts.append(len(range(start, stop, s)))
    if tuple(counts[a] for a in kept) != out.shape:
        raise fail(step, op, f"the slice has shape {[counts[a] for a in kept]}, the output {list(out.shape)}")
    rows = row_strides(shape)
    return [
        Copy(
            op.inputs[0],
            op.outputs[0],
            tuple(counts),
            tuple(r * s for r, s in zip(rows, strides, strict=True)),
            row_strides(tuple(counts)),
            src_offset=sum(r * b for r, b in zip(rows, starts, strict=True)),
        )
    ]


def _clamp(v: int, size: int, stride: int) -> int:
    return min(max(v, 0), size) if stride > 0 else min(max(v, -1), size - 1)


def slice_copies(ctx: Context, step: int, op: Operator) -> list[Copy]:
    """SLICE: ``size`` -1 takes the rest of the axis."""
    if len(op.inputs) != 3 or len(op.outputs) != 1 or min(op.inputs) < 0:
        raise fail(step, op, "expected input, begin, size and one output")
    inp, out = ctx.tensor(op.inputs[0]), ctx.tensor(op.outputs[0])
    begin = base.const_ints(ctx, step, op, op.inputs[1], "begin")
    size = base.const_ints(ctx, step, op, op.inputs[2], "size")
    rank = len(inp.shape)
    if not 1 <= rank <= 5 or len(begin) != rank or len(size) != rank:
        raise fail(step, op, "begin and size must each have one value per input dimension (1 to 5)")
    counts = tuple(d - b if n == -1 else n for d, b, n in zip(inp.shape, begin, size, strict=True))
    if any(b < 0 or n < 0 or b + n > d for d, b, n in zip(inp.shape, begin, counts, strict=True)):
        raise fail(step, op, f"begin {begin} and size {size} reach outside the input {list(inp.shape)}")
    if counts != out.shape:
        raise fail(step, op, f"the slice has shape {list(counts)}, the output {list(out.shape)}")
    rows = row_strides(inp.shape)
    offset = sum(r * b for r, b in zip(rows, begin, strict=True))
    return [Copy(op.inputs[0], op.outputs[0], counts, rows, row_strides(counts), src_offset=offset)]


def transpose_copies(ctx: Context, step: int, op: Operator) -> list[Copy]:
    if len(op.inputs) != 2 or len(op.outputs) != 1 or min(op.inputs) < 0:
        raise fail(step, op, "expected input, permutation and one output")
    inp, out = ctx.tensor(op.inputs[0]), ctx.tensor(op.outputs[0])
    perm = base.const_ints(ctx, step, op, op.inputs[1], "the permutation")
    rank = len(inp.shape)
    if sorted(perm) != list(range(rank)) or rank > MAX_DIMS:
        raise fail(step, op, f"permutation {perm} does not permute the input's {rank} dimensions")
    if tuple(inp.shape[p] for p in perm) != out.shape:
        raise fail(step, op, "the output shape is not the permuted input shape")
    rows = row_strides(inp.shape)
    return [Copy(op.inputs[0], op.outputs[0], out.shape, tuple(rows[p] for p in perm), row_strides(out.shape))]


def _stack_copies(stacked: int, shape: tuple[int, ...], parts: tuple[int, ...], axis: int, pack: bool) -> list[Copy]:
    """PACK writes each part into one index of ``axis`` of the stacked tensor; UNPACK reads each part from one."""
    rows = row_strides(shape)
    part_shape = shape[:axis] + shape[axis + 1 :]
    inner, own = rows[:axis] + rows[axis + 1 :], row_strides(part_shape)
    if pack:
        return [Copy(t, stacked, part_shape, own, inner, 0, k * rows[axis]) for k, t in enumerate(parts)]
    return [Copy(stacked, t, part_shape, inner, own, k * rows[axis], 0) for k, t in enumerate(parts)]


def pack_copies(ctx: Context, step: int, op: Operator) -> list[Copy]:
    if not op.inputs or min(op.inputs) < 0 or len(op.outputs) != 1:
        raise fail(step, op, "expected inputs and one output")
    out = ctx.tensor(op.outputs[0])
    first = ctx.tensor(op.inputs[0])
    axis = _axis(step, op, int(op.options.get("axis", 0)), len(out.shape))
    if any(ctx.tensor(i).shape != first.shape or ctx.tensor(i).dtype != out.dtype for i in op.inputs):
        raise fail(step, op, "the inputs must have one shape and the output's type")
    if out.shape != (*first.shape[:axis], len(op.inputs), *first.shape[axis:]):
        raise fail(step, op, "the output shape is not the inputs stacked along the axis")
    return _stack_copies(op.outputs[0], out.shape, op.inputs, axis, pack=True)


def unpack_copies(ctx: Context, step: int, op: Operator) -> list[Copy]:
    if len(op.inputs) != 1 or op.inputs[0] < 0:
        raise fail(step, op, "expected one input")
    inp = ctx.tensor(op.inputs[0])
    outs = _outputs(ctx, step, op)
    axis = _axis(step, op, int(op.options.get("axis", 0)), len(inp.shape))
    part = inp.shape[:axis] + inp.shape[axis + 1 :]
    if len(outs) != inp.shape[axis] or any(t.shape != part or t.dtype != inp.dtype for t in outs):
        raise fail(step, op, "the outputs are not the input's slices along the axis")
    return _stack_copies(op.inputs[0], inp.shape, op.outputs, axis, pack=False)


def _pieces(ctx: Context, step: int, op: Operator, data: int, axis: int, sizes: list[int], into: bool) -> list[Copy]:
    """SPLIT/SPLIT_V (``into`` False: ``data`` is cut into the outputs) and CONCATENATION (True: the inputs are laid
    side by side into ``data``): consecutive pieces of ``sizes`` along ``axis``."""
    whole_t = ctx.tensor(data)
    parts = list(op.inputs) if into else list(op.outputs)
    rows = row_strides(whole_t.shape)
    copies, at = [], 0
    for index, n in zip(parts, sizes, strict=True):
        t = ctx.tensor(index)
        expected = (*whole_t.shape[:axis], n, *whole_t.shape[axis + 1 :])
        if t.shape != expected or t.dtype != whole_t.dtype:
            raise fail(step, op, f"tensor '{t.name}' has shape {list(t.shape)}, expected {list(expected)}")
        own = row_strides(t.shape)
        if into:
            copies.append(Copy(index, data, t.shape, own, rows, 0, at * rows[axis]))
        else:
            copies.append(Copy(data, index, t.shape, rows, own, at * rows[axis], 0))
        at += n
    if at != whole_t.shape[axis]:
        raise fail(step, op, f"the pieces add up to {at} along axis {axis}, not {whole_t.shape[axis]}")
    return copies


def split_copies(ctx: Context, step: int, op: Operator) -> list[Copy]:
    """SPLIT (axis, input) into equal parts; SPLIT_V (input, size_splits, axis), one size may be -1 (the rest)."""
    sized = op.opcode == "SPLIT_V"
    if len(op.inputs) != 2 + sized or min(op.inputs) < 0:
        raise fail(step, op, "expected an input, the sizes and an axis" if sized else "expected an axis and an input")
    data, axis_index = (op.inputs[0], op.inputs[2]) if sized else (op.inputs[1], op.inputs[0])
    size = ctx.tensor(data).shape
    parts = len(_outputs(ctx, step, op))
    axis = _const_axis(ctx, step, op, axis_index, len(size))
    if not sized:
        if size[axis] % parts:
            raise fail(step, op, f"axis {axis} of size {size[axis]} does not split into {parts} equal parts")
        return _pieces(ctx, step, op, data, axis, [size[axis] // parts] * parts, into=False)
    sizes = base.const_ints(ctx, step, op, op.inputs[1], "size_splits")
    if len(sizes) != parts or sizes.count(-1) > 1:
        raise fail(step, op, "size_splits must have one size per output, at most one of them -1")
    if -1 in sizes:
        sizes[sizes.index(-1)] = size[axis] - (sum(sizes) + 1)
    return _pieces(ctx, step, op, data, axis, sizes, into=False)


def concatenation_rules(step: int, op: Operator, ins: list[Tensor], out: Tensor) -> None:
    """What TFLM's CONCATENATION requires beyond shapes; a raw copy (on the device or folded) is only right then."""
    if base.activation(step, op) != quant.ACT_NONE:
        raise fail(step, op, "a fused activation is not supported (TFLM requires NONE)")
    base.zero_point_zero(step, op, *ins, out)
    for t in ins:
        if out.dtype == "int8" and (t.quant.scale != out.quant.scale or t.quant.zero_point != out.quant.zero_point):
            raise fail(step, op, "int8 inputs must share the output's quantization (as TFLM requires)")


def concatenation_copies(ctx: Context, step: int, op: Operator) -> list[Copy]:
    if not op.inputs or min(op.inputs) < 0 or len(op.outputs) != 1 or op.outputs[0] < 0:
        raise fail(step, op, "expected inputs and one output")
    out = ctx.tensor(op.outputs[0])
    concatenation_rules(step, op, [ctx.tensor(i) for i in op.inputs], out)
    axis = _axis(step, op, int(op.options.get("axis", 0)), len(out.shape))
    sizes = [ctx.tensor(i).shape[axis] if len(ctx.tensor(i).shape) == len(out.shape) else -1 for i in op.inputs]
    return _pieces(ctx, step, op, op.outputs[0], axis, sizes, into=True)


COPIES = {
    "RESHAPE": reshape_copies,
    "SQUEEZE": reshape_copies,
    "EXPAND_DIMS": reshape_copies,
    "STRIDED_SLICE": strided_slice_copies,
    "SLICE": slice_copies,
    "TRANSPOSE": transpose_copies,
    "PACK": pack_copies,
    "UNPACK": unpack_copies,
    "SPLIT": split_copies,
    "SPLIT_V": split_copies,
    "CONCATENATION": concatenation_copies,
}


@folder(*COPIES)
def fold_movement(ctx: Context, step: int, op: Operator) -> dict[int, np.ndarray]:
    return apply(ctx, COPIES[op.opcode](ctx, step, op))


#: Element types the kernel moves (TFLM's data-movement kernels take these, some a subset of them).
RUNTIME_TYPES = ("float32", "int8", "int16", "int32")
STRIDED_OPS = ("STRIDED_SLICE", "SLICE", "TRANSPOSE", "PACK", "UNPACK", "SPLIT", "SPLIT_V")


@dataclass(frozen=True)
class MoveSpec(OpSpec):
    kind: str
    copies: tuple[Copy, ...]  # contiguous dimensions merged, padded to MAX_DIMS


@analyzer(*STRIDED_OPS)
def analyze_movement(ctx: Context, step: int, op: Operator) -> MoveSpec:
    copies = COPIES[op.opcode](ctx, step, op)
    kind = base.dtype(step, op, ctx.tensor(copies[0].dst), *RUNTIME_TYPES)
    for c in copies:
        for t in (ctx.tensor(c.src), ctx.tensor(c.dst)):
            base.dtype(step, op, t, kind)
    return MoveSpec(step, op, kind, tuple(_merged(step, op, c) for c in copies))


def _merged(step: int, op: Operator, c: Copy) -> Copy:
    """``c`` with size-1 dimensions dropped and each dimension contiguous with the next on both sides merged into
    it, then padded in front to MAX_DIMS."""
    dims: list[tuple[int, int, int]] = []
    for n, s, d in zip(c.shape, c.src_strides, c.dst_strides, strict=True):
        if n == 1:
            continue
        if dims and dims[-1][1] == s * n and dims[-1][2] == d * n:
            dims[-1] = (dims[-1][0] * n, s, d)
        else:
            dims.append((n, s, d))
    if len(dims) > MAX_DIMS:
        raise fail(step, op, f"the copy keeps {len(dims)} dimensions (at most {MAX_DIMS} are supported)")
    dims = [(1, 0, 0)] * (MAX_DIMS - len(dims)) + (dims or [(1, 1, 1)])[-MAX_DIMS:]
    shape, src, dst = (tuple(d[k] for d in dims) for k in range(3))
    return Copy(c.src, c.dst, shape, src, dst, c.src_offset, c.dst_offset)


@implementation(*STRIDED_OPS, name="reference", summary="strided copies: whole contiguous rows by memcpy")
def movement(ctx: Context, s: MoveSpec) -> list[str]:
    ctx.use("reference/strided_copy.h")
    lines = []
    for k, c in enumerate(s.copies):
        name = base.op_name(s.step) + (f"Copy{k}" if len(s.copies) > 1 else "")
        fields = {"shape": c.shape, "input_strides": c.src_strides, "output_strides": c.dst_strides,
                  "input_offset": c.src_offset, "output_offset": c.dst_offset}  # fmt: skip
        ctx.params("StridedCopyParams", name, fields)
        lines.append(f"StridedCopy({name}, {ctx.pointer(c.src, True)}, {ctx.pointer(c.dst)});")
    return lines
