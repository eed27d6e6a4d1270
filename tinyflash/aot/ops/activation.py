"""One-input elementwise ops: ABS, NEG, SQRT, RSQRT, EXP, LOG, LEAKY_RELU, HARD_SWISH (reference).

float32 runs TFLM's expression per element (reference/math_float.h, reference/activation_float.h). int8 ABS,
LEAKY_RELU and HARD_SWISH are 256-entry tables of TFLM's integer results (aot/tables.py, reference/lookup_int8.h):
exact by construction and one load per element. int8 RSQRT runs TFLM's fixed-point inverse square root on the
device (reference/rsqrt_int8.h), the one L2_NORMALIZATION needs for its run-time sums. Constant float32 inputs fold.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...model import Operator, Tensor
from .. import quant, tables
from ..context import Context, fail
from ..fold import constant
from ..registry import OpSpec, analyzer, folder, implementation
from . import base

#: The types TFLM's kernel takes per op, and the float kernel each calls.
TYPES = {
    "ABS": ("float32", "int8"),
    "NEG": ("float32",),
    "SQRT": ("float32",),
    "RSQRT": ("float32", "int8"),
    "EXP": ("float32",),
    "LOG": ("float32",),
    "LEAKY_RELU": ("float32", "int8"),
    "HARD_SWISH": ("float32", "int8"),
}
KERNELS = {"ABS": "Abs", "NEG": "Neg", "SQRT": "Sqrt", "RSQRT": "Rsqrt", "EXP": "Exp", "LOG": "Log"}


@dataclass(frozen=True)
class ActivationSpec(OpSpec):
    kind: str
    input: Tensor
    output: Tensor
    alpha: float  #: LEAKY_RELU's slope below zero (0 for the other ops)
    table: tuple[int, ...] | None  #: int8: the output for each input -128..127


@analyzer(*TYPES)
def analyze(ctx: Context, step: int, op: Operator) -> ActivationSpec:
    inp, out, kind = base.same_type(ctx, step, op, 1, *TYPES[op.opcode])
    if inp.elements != out.elements:
        raise fail(step, op, "input and output sizes differ")
    alpha = float(np.float32(op.options.get("alpha", 0.0)))
    table = _table(step, op, inp, out, alpha) if kind == "int8" and op.opcode != "RSQRT" else None
    return ActivationSpec(step, op, kind, inp, out, alpha, table)


def _table(step: int, op: Operator, inp: Tensor, out: Tensor, alpha: float) -> tuple[int, ...]:
    if inp.quant.per_channel or out.quant.per_channel:
        raise fail(step, op, "per-channel quantization is not supported here")
    (si, zi), (so, zo) = (inp.quant.scale, inp.quant.zero_point), (out.quant.scale, out.quant.zero_point)
    if op.opcode == "ABS":
        return tuple(tables.abs_table(si, zi, so, zo))
    if op.opcode == "LEAKY_RELU":
        return tuple(tables.leaky_relu_table(si, zi, so, zo, alpha))
    p = tables.hard_swish_params(si, so)
    if p.output_exponent > 0:
        raise fail(step, op, "int8 output scale must exceed input scale / 128 (TFLM's HARD_SWISH requires it)")
    return tuple(tables.hard_swish_table(zi, zo, p))


@implementation(*TYPES, name="reference", summary="TFLM's reference arithmetic (int8: a table of its results)")
def activation(ctx: Context, s: ActivationSpec) -> list[str]:
    name = base.op_name(s.step)
    io = f"{ctx.pointer(s.op.inputs[0], True)}, {ctx.pointer(s.op.outputs[0])}"
    count = {"count": s.output.elements}
    if s.kind == "int8" and s.op.opcode == "RSQRT":
        # SetRsqrtOutputMultiplier: 1 / (sqrtf(input_scale) * output_scale), the product in float32.
        root = np.sqrt(np.float32(s.input.quant.scale)) * np.float32(s.output.quant.scale)
        m = quant.quantize_multiplier(1.0 / float(root))
        fields = {"input_zero_point": s.input.quant.zero_point, "output_zero_point": s.output.quant.zero_point}
        ctx.use("reference/rsqrt_int8.h")
        ctx.params("RsqrtInt8Params", name, count | fields | {"multiplier": m.value, "shift": m.shift})
        return [f"RsqrtInt8({name}, {io});"]
    if s.table is not None:
        ctx.use("reference/lookup_int8.h")
        table = ctx.array("int8_t", f"{name}Table", list(s.table), 16)
        ctx.params("LookupInt8Params", name, count | {"table": table})
        return [f"LookupInt8({name}, {io});"]
    if s.op.opcode in KERNELS:
        ctx.use("reference/math_float.h")
        ctx.params("ElementwiseParams", name, count)
        return [f"{KERNELS[s.op.opcode]}Float({name}, {io});"]
    ctx.use("reference/activation_float.h")
    if s.op.opcode == "LEAKY_RELU":
        ctx.params("LeakyReluFloatParams", name, count | {"alpha": s.alpha})
        return [f"LeakyReluFloat({name}, {io});"]
    ctx.params("ElementwiseParams", name, count)
    return [f"HardSwishFloat({name}, {io});"]


def _hard_swish(x: np.ndarray) -> np.ndarray:
    relu = np.where(np.float32(0) < x + np.float32(3), x + np.float32(3), np.float32(0))
    return x * np.where(relu < np.float32(6), relu, np.float32(6)) / np.float32(6)


_FLOAT = {
    "ABS": np.abs,
    "NEG": np.negative,
    "SQRT": np.sqrt,
    "RSQRT": lambda x: np.float32(1) / np.sqrt(x),
    "EXP": np.exp,
    "LOG": np.log,
    "HARD_SWISH": _hard_swish,
}


@folder(*TYPES)
def fold(ctx: Context, step: int, op: Operator) -> dict[int, np.ndarray] | None:
    """float32 only, in numpy's float32 (libm's ``expf``/``logf`` may differ by an ulp, as two devices' do);
    quantized ops on constants run on the device."""
    s = analyze(ctx, step, op)
    if s.kind != "float32":
        return None
    x = constant(ctx, op.inputs[0])
    with np.errstate(all="ignore"):
        if op.opcode == "LEAKY_RELU":
            return {op.outputs[0]: np.where(x > 0, x, x * np.float32(s.alpha)).astype(np.float32)}
        return {op.outputs[0]: _FLOAT[op.opcode](x).astype(np.float32)}
