"""FULLY_CONNECTED: analysis and its implementations."""

from __future__ import annotations

from dataclasses import dataclass

from ...model import Operator
from .. import quant
from ..context import Context, fail
from ..registry import OpSpec, analyzer, implementation
from . import base


@dataclass(frozen=True)
class FullyConnectedSpec(OpSpec):
    kind: str  # float32, int8 or int16 (16x8)
    input: int
    weights: int
    bias: int  # -1 without
    output: int
    batches: int
    depth: int
    units: int
    act: int
    #: int8 weights with every zero point 0 (what TFLite's converter produces); the optimized kernels need it.
    symmetric: bool = False
    accumulator: str = "int32_t"  #: the bias type: int64_t for most 16x8 models


@analyzer("FULLY_CONNECTED")
def analyze(ctx: Context, step: int, op: Operator) -> FullyConnectedSpec:
    w = base.weighted(ctx, step, op)
    inp, weights, bias, out, kind, act = w.input, w.weights, w.bias, w.output, w.kind, w.activation
    if len(weights.shape) != 2 or not out.shape:
        raise fail(step, op, "its tensors' shapes are inconsistent: the weights must be 2-D, the output at least 1-D")
    units, depth = weights.shape
    if depth <= 0 or units <= 0 or inp.elements % depth or out.shape[-1] != units:
        raise fail(step, op, "input, weights and output shapes do not agree")
    batches = inp.elements // depth
    if out.elements != batches * units:
        raise fail(step, op, "the output size does not match batches x units")
    if bias >= 0 and ctx.tensor(bias).elements != units:
        raise fail(step, op, "the bias needs one value per unit")
    if kind != "float32":
        scales = weights.quant.scales
        if len(scales) not in (1, units):
            raise fail(step, op, "per-channel weight scales do not match the units")
    symmetric = kind == "int8" and all(z == 0 for z in weights.quant.zero_points)
    return FullyConnectedSpec(
        step, op, kind, op.inputs[0], op.inputs[1], bias, op.outputs[0], batches, depth, units, act, symmetric,
        w.accumulator,
    )  # fmt: skip


def _tensors(ctx: Context, s: FullyConnectedSpec) -> str:
    return (
        f"{ctx.pointer(s.input, True)}, {ctx.pointer(s.weights, True)}, {ctx.pointer(s.bias, True)}, "
        f"{ctx.pointer(s.output)}"
    )


@implementation("FULLY_CONNECTED", name="reference", summary="TFLM's reference loops")
def reference(ctx: Context, s: FullyConnectedSpec) -> list[str]:
    name = base.op_name(s.step)
    shape = {"batches": s.batches, "input_depth": s.depth, "output_depth": s.units}
    if s.kind == "float32":
        ctx.use("reference/fully_connected_float.h")
        ctx.params("FullyConnectedFloatParams", name, shape | base.float_range(s.act))
        return [f"FullyConnectedFloat({name}, {_tensors(ctx, s)});"]
    inp, weights, out = ctx.tensor(s.input), ctx.tensor(s.weights), ctx.tensor(s.output)
    ms = quant.fully_connected_multipliers(inp.quant.scale, weights.quant.scales, out.quant.scale)
    base.accumulator_multipliers(s.step, s.op, s.accumulator, ms)
    ctx.use("reference/fully_connected_int8.h")
    ctx.params(
        "FullyConnectedInt8Params",
        name,
        shape
        | {
            "input_offset": -inp.quant.zero_point,
            "filter_offset": -weights.quant.zero_point,
            "output_offset": out.quant.zero_point,
            "per_channel": len(ms) > 1,
        }
        | base.activation_bounds(s.act, out)
        | base.multiplier_arrays(ctx, s.step, ms),
    )
    if s.kind == "int16":
        return [f"FullyConnectedQuantized<int16_t, {s.accumulator}, int16_t>({name}, {_tensors(ctx, s)});"]
    return [f"FullyConnectedInt8({name}, {_tensors(ctx, s)});"]
