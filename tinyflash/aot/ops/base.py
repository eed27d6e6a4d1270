"""Checks every op analyzer shares: operand counts, types, quantization, fused activations.

Anything a model can get wrong (a fuzzed or hand-edited flatbuffer included) becomes a
:class:`~tinyflash.errors.ModelError` naming the operator, never an IndexError or a division by zero
further down.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ...model import Operator, Tensor
from .. import quant
from ..context import Context, fail
from ..registry import OpSpec

INT_TYPES = {"int8": (-128, 127), "uint8": (0, 255), "int16": (-32768, 32767)}


def io(ctx: Context, step: int, op: Operator, n_in: int) -> tuple[list[Tensor | None], Tensor]:
    """The op's inputs (None where optional and absent) and its one output; at least ``n_in`` inputs."""
    ins = [ctx.tensor(i) if i >= 0 else None for i in op.inputs]
    if len([t for t in ins[:n_in] if t is not None]) < n_in or len(op.outputs) != 1 or op.outputs[0] < 0:
        raise fail(step, op, f"expected {n_in} input(s) and one output")
    return ins, ctx.tensor(op.outputs[0])


@dataclass(frozen=True)
class FieldsSpec(OpSpec):
    """The spec of an op whose analyzer works out its kernel's parameters whole: the input type and the fields."""

    kind: str
    fields: dict


def first_input(ctx: Context, step: int, op: Operator, n_in: int, *types: str) -> tuple[Tensor, Tensor, str]:
    """The first input (of one of ``types``), the output, and the input's type."""
    ins, out = io(ctx, step, op, n_in)
    inp = ins[0]
    assert inp is not None
    return inp, out, dtype(step, op, inp, *types)


def same_type(ctx: Context, step: int, op: Operator, n_in: int, *types: str) -> tuple[Tensor, Tensor, str]:
    """The first input and the output of an op that keeps its input's type (one of ``types``), and that type."""
    inp, out, kind = first_input(ctx, step, op, n_in, *types)
    dtype(step, op, out, kind)
    return inp, out, kind


@dataclass(frozen=True)
class Weighted:
    """What every op with constant weights and an optional bias shares (CONV_2D, DEPTHWISE_CONV_2D,
    FULLY_CONNECTED): its operands checked once, the same way, with the same messages."""

    input: Tensor
    weights: Tensor
    bias: int  #: tensor index, -1 if absent
    output: Tensor
    kind: str  #: the input's type: "float32", "int8", or "int16" (TFLM's 16x8: int8 weights, int16 output)
    activation: int
    #: The accumulator's C type: the bias type (int16: int32 or int64, as TFLM picks its kernel), int32 for int8.
    accumulator: str = "int32_t"


#: The bias types TFLM takes per input type, the first one when there is no bias (16x8 ops: see ``weighted``).
BIAS_TYPES = {"float32": ("float32",), "int8": ("int32",), "int16": ("int64", "int32")}


def weighted(ctx: Context, step: int, op: Operator) -> Weighted:
    ins, out = io(ctx, step, op, 2)
    inp, weights = ins[0], ins[1]
    assert inp is not None and weights is not None
    bias = op.inputs[2] if len(op.inputs) > 2 else -1
    act = activation(step, op)
    kind = dtype(step, op, inp, "float32", "int8", "int16")
    dtype(step, op, weights, "int8" if kind == "int16" else kind)
    dtype(step, op, out, kind)
    zero_point_zero(step, op, inp, out)
    bias_type = BIAS_TYPES[kind][0]
    if bias >= 0:
        bias_type = dtype(step, op, ctx.tensor(bias), *BIAS_TYPES[kind])
    elif kind == "int16" and int(op.options.get("quantized_bias_type", 0)) == INT32_TENSOR_TYPE:
        bias_type = "int32"  # TFLM's FULLY_CONNECTED without a bias accumulates as the declared bias type
    if not weights.is_constant or (bias >= 0 and not ctx.tensor(bias).is_constant):
        raise fail(step, op, "weights and bias must be constant tensors")
    return Weighted(inp, weights, bias, out, kind, act, "int64_t" if bias_type == "int64" else "int32_t")


#: tflite.TensorType.INT32, as an option names a type.
INT32_TENSOR_TYPE = 2


def dtype(step: int, op: Operator, t: Tensor, *allowed: str) -> str:
    """``t``'s type, which must be one of ``allowed``; quantized types need sane quantization."""
    if t.dtype not in allowed:
        raise fail(step, op, f"tensor '{t.name}' has type {t.dtype} (supported: {', '.join(allowed)})")
    if t.dtype in INT_TYPES:
        quantized(step, op, t)
    return t.dtype


def quantized(step: int, op: Operator, t: Tensor) -> None:
    """``t`` carries sane quantization: positive finite scales, zero points in its type's range (int32 too, where
    an op reads it as a quantized value: QUANTIZE)."""
    q = t.quant
    if q is None or not q.scales:
        raise fail(step, op, f"tensor '{t.name}' is {t.dtype} without quantization parameters")
    bad = [s for s in q.scales if not math.isfinite(s) or s <= 0 or s > 1e30]
    if bad:
        raise fail(step, op, f"tensor '{t.name}' has quantization scale {bad[0]!r} (need a positive, finite one)")
    lo, hi = INT_TYPES.get(t.dtype, (-(2**31), 2**31 - 1))
    if not q.zero_points or any(not lo <= z <= hi for z in q.zero_points):
        raise fail(step, op, f"tensor '{t.name}' has a zero point outside the {t.dtype} range")


def zero_point_zero(step: int, op: Operator, *tensors: Tensor) -> None:
    """TFLM's int16 kernels require symmetric activations (zero point 0); so does the generator."""
    for t in tensors:
        if t.dtype == "int16" and any(t.quant.zero_points):
            raise fail(step, op, f"int16 tensor '{t.name}' has zero point {t.quant.zero_point} (TFLM requires 0)")


def rank(step: int, op: Operator, t: Tensor, *allowed: int) -> None:
    if len(t.shape) not in allowed:
        raise fail(step, op, f"tensor '{t.name}' has rank {len(t.shape)} (supported: {allowed})")


def activation(step: int, op: Operator) -> int:
    act = int(op.options.get("fused_activation_function", 0))
    if act not in quant.SUPPORTED_ACTIVATIONS:
        raise fail(step, op, f"fused activation {act} is not supported (NONE, RELU, RELU6, RELU_N1_TO_1 are)")
    return act


def const_ints(ctx: Context, step: int, op: Operator, index: int, what: str) -> list[int]:
    if index < 0 or not ctx.tensor(index).is_constant:
        raise fail(step, op, f"{what} must be a constant tensor")
    t = ctx.tensor(index)
    if t.dtype not in ("int32", "int64"):
        raise fail(step, op, f"{what} has type {t.dtype}, expected int32")
    data = t.data or b""
    size = 4 if t.dtype == "int32" else 8
    if len(data) % size:
        raise fail(step, op, f"{what} has a truncated buffer")
    return [int(v) for v in np.frombuffer(data, dtype=np.int32 if t.dtype == "int32" else np.int64)]


def op_name(step: int) -> str:
    return f"kOp{step}"


def unary_call(
    ctx: Context, step: int, op: Operator, header: str, struct: str, function: str, fields: dict
) -> list[str]:
    """The emitter most one-input kernels need: their header, their parameters, one call on (input, output)."""
    name = op_name(step)
    ctx.use(header)
    ctx.params(struct, name, fields)
    return [f"{function}({name}, {ctx.pointer(op.inputs[0], True)}, {ctx.pointer(op.outputs[0])});"]


def float_range(act: int) -> dict[str, float]:
    lo, hi = quant.activation_range_float(act)
    return {"activation_min": lo, "activation_max": hi}


def activation_bounds(act: int, t: Tensor) -> dict[str, int]:
    """A fused activation's bounds in ``t``'s quantized domain, within its type's range (int8 or int16)."""
    lo, hi = quant.activation_range_int8(act, t.quant.scale, t.quant.zero_point, INT_TYPES[t.dtype])
    return {"activation_min": lo, "activation_max": hi}


def accumulator_multipliers(step: int, op: Operator, accumulator: str, ms: list[quant.Multiplier]) -> None:
    """TFLM's int64 rescaling (16x8 ops with an int64 bias) shifts right by 15 - shift: a multiplier of 128 or more
    (shift 8 and up, which its kernel asserts against) has no defined result."""
    if accumulator == "int64_t" and any(m.shift >= 8 for m in ms):
        raise fail(step, op, "the scales' ratio in * weights / out is 128 or more (TFLM's int64 rescaling cannot)")


def multiplier_arrays(ctx: Context, step: int, ms: list[quant.Multiplier]) -> dict[str, object]:
    """Per-channel multiplier and shift arrays for a reference kernel's ``multiplier``/``shift`` fields."""
    name = op_name(step)
    return {
        "multiplier": ctx.array("int32_t", f"{name}Multiplier", [m.value for m in ms], 8),
        "shift": ctx.array("int32_t", f"{name}Shift", [m.shift for m in ms], 16),
    }


def to_4d(shape: tuple[int, ...]) -> list[int]:
    return [1] * (4 - len(shape)) + list(shape)
