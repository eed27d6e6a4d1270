"""RESHAPE (and SQUEEZE, EXPAND_DIMS), CONCATENATION and PAD (reference implementations)."""

from __future__ import annotations

import numpy as np

from ...model import Operator
from .. import emit
from ..context import Context, fail
from ..registry import analyzer, implementation
from . import base
from .base import FieldsSpec
from .movement import concatenation_rules

#: Ops that keep the bytes and change only the shape (the planner aliases them).
RESHAPES = ("RESHAPE", "SQUEEZE", "EXPAND_DIMS")


@analyzer(*RESHAPES)
def analyze_reshape(ctx: Context, step: int, op: Operator) -> FieldsSpec:
    ins, out = base.io(ctx, step, op, 1)
    inp = ins[0]
    assert inp is not None
    if inp.dtype != out.dtype or inp.nbytes != out.nbytes or inp.dtype not in emit.CTYPES:
        raise fail(step, op, "input and output must have the same type and size")
    if op.opcode == "RESHAPE" and len(op.inputs) > 1 and op.inputs[1] >= 0 and ctx.tensor(op.inputs[1]).is_constant:
        # TFLM takes the output shape from this tensor (constant here, or folded from SHAPE and friends).
        shape = base.const_ints(ctx, step, op, op.inputs[1], "the shape")
        if -1 in shape and shape.count(-1) == 1:
            known = int(np.prod([d for d in shape if d != -1], dtype=np.int64))
            shape[shape.index(-1)] = out.elements // known if known else -1
        if tuple(shape) != out.shape:
            raise fail(step, op, f"the shape tensor says {shape}, the output has shape {list(out.shape)}")
    return FieldsSpec(step, op, inp.dtype, {})


@implementation(*RESHAPES, name="alias", summary="the output shares the input's bytes, or one memcpy")
def reshape(ctx: Context, s: FieldsSpec) -> list[str]:
    src, dst = s.op.inputs[0], s.op.outputs[0]
    assert ctx.plan is not None
    if not ctx.tensor(src).is_constant and ctx.plan.offsets.get(src) == ctx.plan.offsets.get(dst):
        return ["// RESHAPE: the output shares the input's bytes; nothing to do."]
    return [f"memcpy({ctx.pointer(dst)}, {ctx.pointer(src, True)}, {ctx.tensor(src).nbytes});"]


@analyzer("CONCATENATION")
def analyze_concatenation(ctx: Context, step: int, op: Operator) -> FieldsSpec:
    if len(op.outputs) != 1 or op.outputs[0] < 0 or not op.inputs or min(op.inputs) < 0:
        raise fail(step, op, "expected inputs and one output")
    out = ctx.tensor(op.outputs[0])
    ins = [ctx.tensor(i) for i in op.inputs]
    base.dtype(step, op, out, "float32", "int8", "int16", "int32")  # raw copies (TFLM's types but int64, bool)
    rank = len(out.shape)
    axis = int(op.options.get("axis", 0))
    axis = axis + rank if axis < 0 else axis
    if not 0 <= axis < rank:
        raise fail(step, op, f"axis {axis} is outside the output's {rank} dimensions")
    for t in ins:
        base.dtype(step, op, t, out.dtype)
        if len(t.shape) != rank or t.shape[:axis] != out.shape[:axis] or t.shape[axis + 1 :] != out.shape[axis + 1 :]:
            raise fail(step, op, "input shapes do not match the output")
    concatenation_rules(step, op, ins, out)
    if sum(t.shape[axis] for t in ins) != out.shape[axis]:
        raise fail(step, op, "the inputs do not add up to the output along the axis")
    outer = int(np.prod(out.shape[:axis], dtype=np.int64))
    item = out.nbytes // max(out.elements, 1)
    runs = [int(np.prod(t.shape[axis:], dtype=np.int64)) * item for t in ins]
    return FieldsSpec(step, op, out.dtype, {"outer": outer, "inputs": len(ins), "runs": runs})


@implementation("CONCATENATION", name="reference", summary="one memcpy per input run")
def concatenation(ctx: Context, s: FieldsSpec) -> list[str]:
    name = base.op_name(s.step)
    ctx.use("reference/concatenation.h")
    runs = ctx.array("int32_t", f"{name}RunBytes", s.fields["runs"])
    ctx.params(
        "ConcatenationParams", name, {"outer": s.fields["outer"], "inputs": s.fields["inputs"], "run_bytes": runs}
    )
    pointers = ", ".join(f"reinterpret_cast<const uint8_t*>({ctx.pointer(i, True)})" for i in s.op.inputs)
    return [
        "{",
        f"  const uint8_t* const inputs[] = {{{pointers}}};",
        f"  Concatenate({name}, inputs, reinterpret_cast<uint8_t*>({ctx.pointer(s.op.outputs[0])}));",
        "}",
    ]


@analyzer("PAD")
def analyze_pad(ctx: Context, step: int, op: Operator) -> FieldsSpec:
    inp, out, kind = base.same_type(ctx, step, op, 2, "float32", "int8", "int16")
    base.zero_point_zero(step, op, out)  # TFLM pads int16 with 0, int8 with the output zero point
    paddings = base.const_ints(ctx, step, op, op.inputs[1], "paddings")
    rank = len(inp.shape)
    if rank > 4 or len(paddings) != 2 * rank or any(p < 0 for p in paddings):
        raise fail(step, op, "only tensors of up to 4 dimensions can be padded, by non-negative amounts")
    before = [0] * (4 - rank) + paddings[0::2]
    after = [0] * (4 - rank) + paddings[1::2]
    in4, out4 = base.to_4d(inp.shape), base.to_4d(out.shape)
    if any(i + b + a != o for i, b, a, o in zip(in4, before, after, out4, strict=True)):
        raise fail(step, op, "paddings do not match the output shape")
    value = 0 if kind == "float32" else out.quant.zero_point
    return FieldsSpec(step, op, kind, {"input_shape": in4, "output_shape": out4, "before": before, "pad_value": value})


@implementation("PAD", name="reference", summary="fill, then one memcpy per row")
def pad(ctx: Context, s: FieldsSpec) -> list[str]:
    return base.unary_call(ctx, s.step, s.op, "reference/pad.h", "PadParams", "Pad", s.fields)
