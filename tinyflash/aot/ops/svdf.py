"""SVDF: float32, and int8 with an int16 (or int8) state and time weights, as TFLM's reference kernel.

The op's fifth input is a variable tensor, its state: the last ``memory`` feature values of every filter. It must
outlive each invocation, so the planner gives variable tensors the whole graph's lifetime (their bytes are never
shared), and the generated ``Reset()`` (model_runtime.h) sets them to what TFLM resets them to: the zero point for
int8, 0 otherwise. ``Setup()`` calls it, so the first invocation starts from that state as it does in TFLM.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ...model import Operator, Tensor
from .. import quant
from ..context import Context, fail
from ..registry import OpSpec, analyzer, implementation
from . import base

#: The input, weights and state (in TFLM's operand order) and the optional bias.
INPUT, WEIGHTS_FEATURE, WEIGHTS_TIME, BIAS, STATE = range(5)


@dataclass(frozen=True)
class SvdfSpec(OpSpec):
    kind: str  #: "float32" or "int8"
    state_type: str  #: the state's and the time weights' type: float32, int16 or int8
    shape: dict  #: the SvdfShape struct's fields
    fields: dict  #: the params struct's other fields


@analyzer("SVDF")
def analyze(ctx: Context, step: int, op: Operator) -> SvdfSpec:
    if len(op.inputs) != 5 or len(op.outputs) != 1 or min(op.inputs[i] for i in (0, 1, 2, 4)) < 0:
        raise fail(step, op, "expected 5 inputs (input, feature weights, time weights, bias, state) and one output")
    inp, wf, wt, st = (ctx.tensor(op.inputs[i]) for i in (INPUT, WEIGHTS_FEATURE, WEIGHTS_TIME, STATE))
    out = ctx.tensor(op.outputs[0])
    if op.inputs[BIAS] < 0:
        raise fail(step, op, "an SVDF without a bias is not supported (TFLM's int8 kernel needs one)")
    bias = ctx.tensor(op.inputs[BIAS])
    kind = base.dtype(step, op, inp, "float32", "int8")
    base.dtype(step, op, wf, kind)
    base.dtype(step, op, out, kind)
    state_type = base.dtype(step, op, wt, *(("float32",) if kind == "float32" else ("int16", "int8")))
    base.dtype(step, op, st, state_type)
    base.dtype(step, op, bias, "float32" if kind == "float32" else "int32")
    if not (wf.is_constant and wt.is_constant and bias.is_constant):
        raise fail(step, op, "its weights and bias must be constant tensors")
    if not st.is_variable or st.is_constant:
        raise fail(step, op, f"its state '{st.name}' must be a variable tensor")
    for t in (inp, wf, wt, st, out):
        base.rank(step, op, t, 2)
    rank = int(op.options.get("rank", 0))
    batches, input_size = inp.shape
    filters, memory = wt.shape
    if rank < 1 or filters % rank:
        raise fail(step, op, f"rank {rank} does not divide its {filters} filters")
    units = filters // rank
    if (
        wf.shape != (filters, input_size)
        or out.shape != (batches, units)
        or bias.elements != units
        or st.shape != (batches, memory * filters)
    ):
        raise fail(step, op, "input, weights, bias, state and output shapes do not agree")
    shape = dict(batches=batches, input_size=input_size, filters=filters, units=units, rank=rank, memory=memory)
    if kind == "float32":
        return SvdfSpec(step, op, kind, state_type, shape, {"activation": base.activation(step, op)})
    return SvdfSpec(step, op, kind, state_type, shape, _int8_fields(step, op, inp, wf, wt, bias, st, out))


def _int8_fields(
    step: int, op: Operator, inp: Tensor, wf: Tensor, wt: Tensor, bias: Tensor, st: Tensor, out: Tensor
) -> dict:
    """TFLM's PrepareSvdf: two multipliers formed in float32 from per-tensor scales, and its bias scale check."""
    for t in (wf, wt, st, bias):
        if len(t.quant.scales) != 1:
            raise fail(step, op, f"tensor '{t.name}' is quantized per channel (TFLM's SVDF takes one scale)")
    f32 = np.float32
    feature = float(f32(inp.quant.scale) * f32(wf.quant.scale) / f32(st.quant.scale))
    output = float(f32(st.quant.scale) * f32(wt.quant.scale) / f32(out.quant.scale))
    if not abs(float(f32(bias.quant.scale)) - float(f32(st.quant.scale) * f32(wt.quant.scale))) < 1e-5:
        raise fail(step, op, "its bias scale is not the state scale times the time weights scale (TFLM refuses it)")
    if not (math.isfinite(feature) and math.isfinite(output)):
        raise fail(step, op, "its quantization scales give an infinite multiplier")
    m1, m2 = quant.quantize_multiplier(feature), quant.quantize_multiplier(output)
    return {
        "input_zero_point": inp.quant.zero_point,
        "state_zero_point": st.quant.zero_point,
        "output_zero_point": out.quant.zero_point,
        "feature_multiplier": m1.value,
        "feature_shift": m1.shift,
        "output_multiplier": m2.value,
        "output_shift": m2.shift,
    }


def _scratch(s: SvdfSpec) -> int:
    """One 32-bit value per batch and filter: the time weights' dot products, before the rank sum."""
    return 4 * s.shape["batches"] * s.shape["filters"]


@implementation("SVDF", name="reference", summary="TFLM's reference loops, state in its own arena bytes",
                scratch=_scratch)  # fmt: skip
def reference(ctx: Context, s: SvdfSpec) -> list[str]:
    name = base.op_name(s.step)
    ins = s.op.inputs
    weights = ", ".join(ctx.pointer(ins[i], True) for i in (INPUT, WEIGHTS_FEATURE, WEIGHTS_TIME, BIAS))
    ctype = "float" if s.kind == "float32" else "int32_t"
    tensors = f"{weights}, {ctx.pointer(ins[STATE])}, ArenaAt<{ctype}>({ctx.scratch_name(s.step)}), "
    tensors += ctx.pointer(s.op.outputs[0])
    if s.kind == "float32":
        ctx.use("reference/svdf_float.h")
        ctx.params("SvdfFloatParams", name, {"shape": s.shape} | s.fields)
        return [f"SvdfFloat({name}, {tensors});"]
    ctx.use("reference/svdf_int8.h")
    ctx.params("SvdfInt8Params", name, {"shape": s.shape} | s.fields)
    return [f"SvdfInt8({name}, {tensors});"]
