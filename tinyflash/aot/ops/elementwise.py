"""Elementwise ops: ADD, SUB, MUL, SQUARED_DIFFERENCE, MAXIMUM, MINIMUM, PRELU, RELU, RELU6, LOGISTIC, TANH, SOFTMAX,
QUANTIZE, DEQUANTIZE (reference); int16 where TFLM takes it (QUANTIZE, DEQUANTIZE, SOFTMAX's output)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...model import Operator, Tensor
from .. import lut16, quant
from ..context import Context, fail
from ..library import Ref
from ..registry import OpSpec, analyzer, implementation
from . import base


@dataclass(frozen=True)
class UnarySpec(OpSpec):
    kind: str
    input: Tensor
    output: Tensor


@dataclass(frozen=True)
class BinarySpec(OpSpec):
    kind: str
    a: Tensor
    b: Tensor
    output: Tensor
    act: int
    broadcast: dict | None  # the C Broadcast struct's fields, or None when shapes agree


def _tensors(ctx: Context, op: Operator) -> str:
    return ", ".join([*(ctx.pointer(i, True) for i in op.inputs if i >= 0), ctx.pointer(op.outputs[0])])


def _broadcast(step: int, op: Operator, a: Tensor, b: Tensor, out: Tensor) -> dict | None:
    if a.shape == b.shape == out.shape or (a.elements == b.elements == out.elements and a.shape == b.shape):
        return None
    if max(len(a.shape), len(b.shape), len(out.shape)) > 4:
        raise fail(step, op, "broadcasting over more than 4 dimensions is not supported")
    shape, sa, sb = base.to_4d(out.shape), base.to_4d(a.shape), base.to_4d(b.shape)

    def strides(s: list[int]) -> list[int]:
        row = [int(np.prod(s[i + 1 :], dtype=np.int64)) for i in range(4)]
        return [0 if s[i] == 1 and shape[i] != 1 else row[i] for i in range(4)]

    for s in (sa, sb):
        if any(x not in (1, o) for x, o in zip(s, shape, strict=True)):
            raise fail(step, op, f"shapes {a.shape} and {b.shape} do not broadcast to {out.shape}")
    return {"shape": shape, "stride1": strides(sa), "stride2": strides(sb)}


#: Binary ops broadcasting their inputs, float32 and int8; the kernel function each calls.
BINARY = {"ADD": "Add", "SUB": "Sub", "MUL": "Mul", "DIV": "Div", "SQUARED_DIFFERENCE": "SquaredDifference"}
MIN_MAX = {"MAXIMUM": "Maximum", "MINIMUM": "Minimum"}
#: Types beyond float32 and int8: MAXIMUM and MINIMUM compare raw values of any type TFLM takes; int32 ADD, SUB, MUL
#: and DIV are plain integer arithmetic (reference/arithmetic_int32.h).
TYPES = (
    dict.fromkeys(MIN_MAX, ("float32", "int8", "int16", "int32"))
    | dict.fromkeys(("ADD", "SUB", "MUL"), ("float32", "int8", "int16", "int32"))
    | {"DIV": ("float32", "int8", "int32")}
)
#: The header of each kernel's float32 and int8 forms (add_*.h: the ADD family).
HEADERS = {"Add": "add", "Sub": "add", "SquaredDifference": "add", "Mul": "mul", "Div": "div"}
#: ADD's and SUB's shift of int16 inputs (TFLM: 15 for an int16 output, 20 for int8).
LEFT_SHIFT = {"int16": (15,)}
#: The ADD family's int8 parameters, each formed as the TFLM runtime's Prepare does (SUB: ADD's, in double).
PARAMS = {"Add": quant.add_params, "Sub": quant.add_params, "SquaredDifference": quant.squared_difference_params}


@analyzer(*BINARY, *MIN_MAX, "PRELU")
def analyze_binary(ctx: Context, step: int, op: Operator) -> BinarySpec:
    ins, out = base.io(ctx, step, op, 2)
    a, b = ins[0], ins[1]
    assert a is not None and b is not None
    act = base.activation(step, op)
    kind = base.dtype(step, op, a, *TYPES.get(op.opcode, ("float32", "int8")))
    base.dtype(step, op, b, kind)
    base.dtype(step, op, out, kind)
    if op.opcode not in MIN_MAX:  # MAXIMUM and MINIMUM compare raw values: any zero point
        base.zero_point_zero(step, op, a, b, out)
    spec = BinarySpec(step, op, kind, a, b, out, act, _broadcast(step, op, a, b, out))
    if op.opcode == "DIV" and kind == "int8":
        _quotient_multiplier(spec)  # refuses scales TFLM cannot rescale
    if op.opcode == "DIV" and kind == "int32":
        for t in (a, b):
            if t.quant is not None:
                raise fail(step, op, f"int32 tensor '{t.name}' is quantized (TFLM divides unquantized int32 only)")
    return spec


def _shape(ctx: Context, s: BinarySpec) -> dict:
    """The kernel's count and broadcast fields (the Broadcast struct declared when the shapes differ)."""
    broadcast = None
    if s.broadcast is not None:
        ctx.use("common/broadcast.h")
        broadcast = Ref("&" + ctx.params("Broadcast", f"{base.op_name(s.step)}Broadcast", s.broadcast))
    return {"count": s.output.elements, "broadcast": broadcast}


@implementation(*MIN_MAX, name="reference", summary="TFLM's comparison of raw values, broadcasting")
def min_max(ctx: Context, s: BinarySpec) -> list[str]:
    name = base.op_name(s.step)
    ctx.use("reference/maximum_minimum.h")
    ctx.params("BinaryParams", name, _shape(ctx, s))
    return [f"{MIN_MAX[s.op.opcode]}({name}, {_tensors(ctx, s.op)});"]


@implementation("PRELU", name="reference", summary="TFLM's reference arithmetic, alpha broadcast")
def prelu(ctx: Context, s: BinarySpec) -> list[str]:
    name = base.op_name(s.step)
    ctx.use("reference/prelu.h")
    shape = _shape(ctx, s)
    if s.kind == "float32":
        ctx.params("BinaryParams", name, shape)
        return [f"PreluFloat({name}, {_tensors(ctx, s.op)});"]
    si, sa, so = (quant.f32(t.quant.scale) for t in (s.a, s.b, s.output))  # CalculatePreluParams: in double
    identity, alpha = quant.quantize_multiplier(si / so), quant.quantize_multiplier(si * sa / so)
    fields = {
        "input_offset": -s.a.quant.zero_point,
        "alpha_offset": -s.b.quant.zero_point,
        "output_offset": s.output.quant.zero_point,
        "identity_multiplier": identity.value,
        "identity_shift": identity.shift,
        "alpha_multiplier": alpha.value,
        "alpha_shift": alpha.shift,
    }
    ctx.params("PreluInt8Params", name, shape | fields)
    return [f"PreluInt8({name}, {_tensors(ctx, s.op)});"]


@implementation(*BINARY, name="reference", summary="TFLM's reference arithmetic, broadcasting")
def binary(ctx: Context, s: BinarySpec) -> list[str]:
    name = base.op_name(s.step)
    kernel = BINARY[s.op.opcode]
    header = HEADERS[kernel]
    shape = _shape(ctx, s)
    if s.kind == "int32":
        ctx.use("reference/arithmetic_int32.h")
        lo, hi = quant.activation_range_int32(s.op.opcode, s.act)
        ctx.params("BinaryInt32Params", name, shape | {"activation_min": lo, "activation_max": hi})
        return [f"{kernel}Int32({name}, {_tensors(ctx, s.op)});"]
    if s.kind == "float32":
        ctx.use(f"reference/{'mul' if kernel == 'Div' else header}_float.h")  # mul_float.h: MUL and DIV
        if kernel == "SquaredDifference":
            ctx.params("BinaryParams", name, shape)
        else:
            ctx.params("BinaryFloatParams", name, shape | base.float_range(s.act))
        return [f"{kernel}Float({name}, {_tensors(ctx, s.op)});"]
    za, zb, zo = s.a.quant.zero_point, s.b.quant.zero_point, s.output.quant.zero_point
    offsets = {"input1_offset": -za, "input2_offset": -zb, "output_offset": zo}
    fields = shape | offsets | base.activation_bounds(s.act, s.output)
    if header == "add":
        p = PARAMS[kernel](s.a.quant.scale, s.b.quant.scale, s.output.quant.scale, *LEFT_SHIFT.get(s.kind, ()))
        fields |= {
            "left_shift": p.left_shift,
            "input1_multiplier": p.input1.value,
            "input1_shift": p.input1.shift,
            "input2_multiplier": p.input2.value,
            "input2_shift": p.input2.shift,
            "output_multiplier": p.output.value,
            "output_shift": p.output.shift,
        }
    else:
        m = _product_multiplier(s) if kernel == "Mul" else _quotient_multiplier(s)
        fields |= {"multiplier": m.value, "shift": m.shift}
    ctx.use(f"reference/{header}_int8.h")
    ctx.params("AddInt8Params" if header == "add" else "BinaryInt8Params", name, fields)
    return [f"{kernel}{'Int16' if s.kind == 'int16' else 'Int8'}({name}, {_tensors(ctx, s.op)});"]


def _product_multiplier(s: BinarySpec) -> quant.Multiplier:
    """MUL: s1 * s2 / s_out in double."""
    return quant.quantize_multiplier(
        quant.f32(s.a.quant.scale) * quant.f32(s.b.quant.scale) / quant.f32(s.output.quant.scale)
    )


def _quotient_multiplier(s: BinarySpec) -> quant.Multiplier:
    """DIV: s1 / (s2 * s_out), all in float32 as TFLM's CalculateOpDataDiv, then widened. The kernel shifts the
    dividend into its headroom (at least 23 bits for int8 operands) and takes that back in the final shift, which
    must stay a right shift: TFLM's arithmetic is undefined beyond, so such scales are refused."""
    denominator = quant.f32(quant.f32(s.b.quant.scale) * quant.f32(s.output.quant.scale))
    m = quant.quantize_multiplier(quant.f32_div(s.a.quant.scale, denominator))
    if m.shift > 23:
        raise fail(s.step, s.op, "the scales' ratio in1 / (in2 * out) exceeds 2^23 (TFLM's DIV cannot rescale it)")
    return m


@analyzer("RELU", "RELU6", "RELU_N1_TO_1", "LOGISTIC", "TANH", "SOFTMAX")
def analyze_unary(ctx: Context, step: int, op: Operator) -> UnarySpec:
    ins, out = base.io(ctx, step, op, 1)
    inp = ins[0]
    assert inp is not None
    int16 = op.opcode in ("SOFTMAX", "LOGISTIC", "TANH")
    kind = base.dtype(step, op, inp, *(("float32", "int8", "int16") if int16 else ("float32", "int8")))
    softmax_out = op.opcode == "SOFTMAX" and kind == "int8"
    base.dtype(step, op, out, *(("int8", "int16") if softmax_out else (kind,)))
    if inp.elements != out.elements:
        raise fail(step, op, "input and output sizes differ")
    if softmax_out:
        scale, zero_point = SOFTMAX_OUTPUT[out.dtype]
        if out.quant.zero_point != zero_point or abs(out.quant.scale - scale) > 0.001 * scale:
            raise fail(
                step, op, f"{out.dtype} output must have scale 1/{round(1 / scale)} and zero point {zero_point} "
                "(as TFLM requires)"
            )  # fmt: skip
    if kind == "int16":
        base.zero_point_zero(step, op, inp, out)
        if op.opcode == "SOFTMAX" and abs(out.quant.scale - 1 / 32768) > 0.001 / 32768:
            raise fail(step, op, "int16 output must have scale 1/32768 (as TFLM requires)")
        if op.opcode != "SOFTMAX":
            _sigmoid16_params(step, op, inp, out)
    return UnarySpec(step, op, kind, inp, out)


def _sigmoid16_params(step: int, op: Operator, inp: Tensor, out: Tensor) -> quant.Sigmoid16Params:
    """TFLM's int16 Prepare: the output scale must be 2^-15 by CheckedLog2; an input scale whose multiplier exceeds
    15 bits (above about 2.67) fails its assertion (and could overflow the kernel's int32 product)."""
    if quant.checked_log2(out.quant.scale) != (-15, True):
        raise fail(step, op, "int16 output must have scale 1/32768 (as TFLM requires)")
    p = quant.sigmoid16_params(op.opcode, inp.quant.scale)
    if p.multiplier > 32767:
        raise fail(step, op, f"int16 input scale {inp.quant.scale:g} is above 32767/12288 (TFLM's kernel asserts)")
    return p


#: The output quantization TFLM requires of SOFTMAX with an int8 input, per output type.
SOFTMAX_OUTPUT = {"int8": (1 / 256, -128), "int16": (1 / 65536, -32768)}


@implementation("RELU", "RELU6", "RELU_N1_TO_1", name="reference", summary="TFLM's reference arithmetic")
def relu(ctx: Context, s: UnarySpec) -> list[str]:
    """RELU_N1_TO_1 has no TFLM kernel: it is TensorFlow Lite's (``Relu1Eval``): float32 clamped to [-1, 1], int8
    as TFLM's RELU (``QuantizedReluX`` is the same requantization) with the bounds of -1 and 1 on the output."""
    name = base.op_name(s.step)
    inp, out = s.input, s.output
    six = s.op.opcode == "RELU6"
    act = quant.ACT_RELU_N1_TO_1 if s.op.opcode == "RELU_N1_TO_1" else quant.ACT_RELU
    if s.kind == "float32":
        ctx.use("reference/clamp_float.h")
        lo, hi = quant.activation_range_float(quant.ACT_RELU6 if six else act)
        ctx.params("ClampFloatParams", name, {"count": out.elements, "min": lo, "max": hi})
        return [f"ClampFloatArray({name}, {_tensors(ctx, s.op)});"]
    if six:
        # TFLM's int8 RELU6 clamps in the input's domain and ignores the output quantization.
        zero = inp.quant.zero_point
        six_q = max(-128, min(127, int(quant.round_half_away(np.float32(6.0) / np.float32(inp.quant.scale))) + zero))
        ctx.use("reference/clamp_int8.h")
        ctx.params("ClampInt8Params", name, {"count": out.elements, "min": zero, "max": six_q})
        return [f"ClampInt8({name}, {_tensors(ctx, s.op)});"]
    m = quant.quantize_multiplier(float(np.float32(inp.quant.scale) / np.float32(out.quant.scale)))
    lo, hi = quant.activation_range_int8(act, out.quant.scale, out.quant.zero_point)
    ctx.use("reference/relu_int8.h")
    ctx.params(
        "ReluInt8Params",
        name,
        {
            "count": out.elements,
            "input_zero_point": inp.quant.zero_point,
            "output_zero_point": out.quant.zero_point,
            "multiplier": m.value,
            "shift": m.shift,
            "activation_min": lo,
            "activation_max": hi,
        },
    )
    return [f"ReluInt8({name}, {_tensors(ctx, s.op)});"]


@implementation(
    "LOGISTIC",
    "TANH",
    name="reference",
    summary="TFLM's reference (int8: gemmlowp fixed point; int16: a sigmoid table)",
)
def sigmoid(ctx: Context, s: UnarySpec) -> list[str]:
    name = base.op_name(s.step)
    kernel = "Logistic" if s.op.opcode == "LOGISTIC" else "Tanh"
    if s.kind == "float32":
        ctx.use(f"reference/{kernel.lower()}_float.h")
        ctx.params("ElementwiseParams", name, {"count": s.output.elements})
        return [f"{kernel}Float({name}, {_tensors(ctx, s.op)});"]
    if s.kind == "int16":
        p16 = _sigmoid16_params(s.step, s.op, s.input, s.output)
        ctx.use("reference/sigmoid_int16.h")
        ctx.params(
            "SigmoidInt16Params", name, {"count": s.output.elements, "multiplier": p16.multiplier, "shift": p16.shift}
        )
        element = "SigmoidInt16" if s.op.opcode == "LOGISTIC" else "TanhInt16"
        return [f"ApplyInt16<{element}>({name}, {_tensors(ctx, s.op)});"]
    p = quant.sigmoid_params(s.input.quant.scale, s.input.quant.zero_point)
    ctx.use(f"reference/{kernel.lower()}_int8.h")
    ctx.params(
        "SigmoidInt8Params",
        name,
        {
            "count": s.output.elements,
            "zero_point": p.zero_point,
            "multiplier": p.multiplier,
            "left_shift": p.left_shift,
            "radius": p.radius,
        },
    )
    return [f"{kernel}Int8({name}, {_tensors(ctx, s.op)});"]


@implementation("SOFTMAX", name="reference", summary="TFLM's reference (gemmlowp fixed point)")
def softmax(ctx: Context, s: UnarySpec) -> list[str]:
    name = base.op_name(s.step)
    inp, _out = s.input, s.output
    depth = inp.shape[-1] if inp.shape else 1
    rows = inp.elements // max(depth, 1)
    beta = float(s.op.options.get("beta", 1.0))
    if s.kind == "float32":
        ctx.use("reference/softmax_float.h")
        ctx.params("SoftmaxFloatParams", name, {"rows": rows, "depth": depth, "beta": beta})
        return [f"SoftmaxFloat({name}, {_tensors(ctx, s.op)});"]
    if s.kind == "int16":
        # SoftmaxPrepare: the differences onto [-65535, 0] for [-10, 0], in double.
        m = quant.quantize_multiplier(quant.f32(inp.quant.scale) * quant.f32(beta) / (10.0 / 65535.0))
        exp, reciprocal = lut16.softmax_tables()
        fields = {"rows": rows, "depth": depth, "input_multiplier": m.value, "input_shift": m.shift}
        tables = {
            "exp_table": ctx.shared_array("int16_t", "kSoftmaxInt16Exp", exp),
            "one_over_one_plus_x_table": ctx.shared_array("int16_t", "kSoftmaxInt16OneOverOnePlusX", reciprocal),
        }
        ctx.use("reference/softmax_int16.h")
        ctx.params("SoftmaxInt16Params", name, fields | tables)
        return [f"SoftmaxInt16({name}, {_tensors(ctx, s.op)});"]
    p = quant.softmax_params(beta, inp.quant.scale)
    ctx.use("reference/softmax_int8.h")
    ctx.params(
        "SoftmaxInt8Params",
        name,
        {"rows": rows, "depth": depth, "input_multiplier": p.multiplier, "input_left_shift": p.left_shift,
         "diff_min": p.diff_min},
    )  # fmt: skip
    return [f"SoftmaxInt8({name}, {_tensors(ctx, s.op)});"]


#: QUANTIZE's (input, output) types, as TFLM's EvalQuantizeReference takes them (uint8 aside).
QUANTIZE_TYPES = {
    "float32": ("int8", "int16"),
    "int8": ("int8", "int16", "int32"),
    "int16": ("int8", "int16", "int32"),
    "int32": ("int8", "int16"),
}


@analyzer("QUANTIZE", "DEQUANTIZE")
def analyze_quantize(ctx: Context, step: int, op: Operator) -> UnarySpec:
    ins, out = base.io(ctx, step, op, 1)
    inp = ins[0]
    assert inp is not None
    if op.opcode == "QUANTIZE":
        kind = base.dtype(step, op, inp, *QUANTIZE_TYPES)
        base.dtype(step, op, out, *QUANTIZE_TYPES[kind])
        for t in (inp, out):
            if t.dtype == "int32":
                base.quantized(step, op, t)
    else:
        kind = base.dtype(step, op, inp, "int8", "int16")
        base.dtype(step, op, out, "float32")
    if any(t.dtype != "float32" and t.quant.per_channel for t in (inp, out)):
        raise fail(step, op, "per-channel quantization is not supported here")
    if inp.elements != out.elements:
        raise fail(step, op, "input and output sizes differ")
    return UnarySpec(step, op, kind, inp, out)


@implementation("QUANTIZE", name="reference", summary="TFLM's reference arithmetic")
def quantize(ctx: Context, s: UnarySpec) -> list[str]:
    name = base.op_name(s.step)
    inp, out = s.input, s.output
    if s.kind == "float32":
        ctx.use("reference/quantize_float.h")
        fields = {"count": out.elements, "scale": out.quant.scale, "zero_point": out.quant.zero_point}
        ctx.params("QuantizeFloatParams", name, fields)
        return [f"QuantizeFloat({name}, {_tensors(ctx, s.op)});"]
    m = quant.quantize_multiplier(quant.f32(inp.quant.scale) / quant.f32(out.quant.scale))
    ctx.use("reference/requantize.h")
    ctx.params(
        "RequantizeParams",
        name,
        {"count": out.elements, "input_zero_point": inp.quant.zero_point, "output_zero_point": out.quant.zero_point,
         "multiplier": m.value, "shift": m.shift},
    )  # fmt: skip
    return [f"Requantize({name}, {_tensors(ctx, s.op)});"]


@implementation("DEQUANTIZE", name="reference", summary="int8: a 256-entry table; int16: one float multiply")
def dequantize(ctx: Context, s: UnarySpec) -> list[str]:
    name = base.op_name(s.step)
    scale, zp = quant.f32(s.input.quant.scale), s.input.quant.zero_point
    if s.kind == "int16":
        ctx.use("reference/quantize_float.h")
        ctx.params("QuantizeFloatParams", name, {"count": s.output.elements, "scale": scale, "zero_point": zp})
        return [f"DequantizeInt16({name}, {_tensors(ctx, s.op)});"]
    table = ctx.array("float", f"{name}Table", [float(np.float32(scale * (q - zp))) for q in range(-128, 128)], 8)
    ctx.use("reference/lookup_int8.h")
    ctx.params("DequantizeInt8Params", name, {"count": s.output.elements, "table": table})
    return [f"DequantizeInt8({name}, {_tensors(ctx, s.op)});"]
