"""UNIDIRECTIONAL_SEQUENCE_LSTM: float32, int8 ("8x8->16") and int16 ("16x8->16") activations, as TFLM's kernel.

TFLM takes the standard (Keras) LSTM only: all four gates (no CIFG), no peephole, no projection, no layer norm; its
integer form has int8 weights quantized per tensor and an int16 cell state, and computes the gates in fixed Q3.12
whatever the model's intermediate tensors say. The hidden state (operand 18) and the cell state (19) are variable
tensors: the planner keeps their bytes for them alone and ``Reset()`` sets them to what TFLM resets them to, as for
SVDF (see svdf.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...model import Operator, Tensor
from .. import quant
from ..context import Context, fail
from ..registry import OpSpec, analyzer, implementation
from . import base

INPUT, HIDDEN, CELL = 0, 18, 19
#: The gates' weights and biases by operand index (lstm_shared.h), in the order TFLM computes the gates.
GATES = {"forget": (2, 6, 13), "input": (1, 5, 12), "cell": (3, 7, 14), "output": (4, 8, 15)}
#: Operands of the LSTM variants TFLM's kernel refuses, with their names.
VARIANTS = {
    "peephole": (9, 10, 11),
    "projection": (16, 17),
    "layer normalization": (20, 21, 22, 23),
}
#: The cell gate activation TFLM applies: TANH. (The schema has no SIGMOID; any other value reaches an assertion.)
TANH = 4
#: TFLM's fixed scales: gate sums in Q3.12, gate activations in Q0.15.
GATE_INPUT_SCALE, GATE_OUTPUT_SCALE = 2.0**-12, 2.0**-15
#: The one bias type TFLM's LSTM reads per activation type (it casts the data; int32 biases for int16 are misread).
BIAS_TYPE = {"float32": "float32", "int8": "int32", "int16": "int64"}


@dataclass(frozen=True)
class LstmSpec(OpSpec):
    kind: str  #: the activations' type: float32, int8 or int16
    shape: dict  #: the LstmShape struct's fields
    fields: dict  #: the params struct's other fields, gates without their weight pointers


@analyzer("UNIDIRECTIONAL_SEQUENCE_LSTM")
def analyze(ctx: Context, step: int, op: Operator) -> LstmSpec:
    _check_operands(step, op)
    inp, hidden, cell = (ctx.tensor(op.inputs[i]) for i in (INPUT, HIDDEN, CELL))
    out = ctx.tensor(op.outputs[0])
    kind = base.dtype(step, op, inp, "float32", "int8", "int16")
    base.dtype(step, op, hidden, kind)
    base.dtype(step, op, out, kind)
    base.dtype(step, op, cell, "float32" if kind == "float32" else "int16")
    for t in (hidden, cell):
        if not t.is_variable or t.is_constant:
            raise fail(step, op, f"its state '{t.name}' must be a variable tensor")
    base.rank(step, op, inp, 3)
    base.rank(step, op, out, 3)
    base.rank(step, op, hidden, 2)
    time_major = bool(op.options.get("time_major", False))
    steps, batches = inp.shape[:2] if time_major else inp.shape[1::-1]
    input_size, units = inp.shape[2], hidden.shape[1]
    if min(steps, batches, input_size, units) < 1:
        raise fail(step, op, "its tensors have an empty dimension")
    _check_gates(ctx, step, op, kind, input_size, units)
    if hidden.elements != batches * units or cell.elements != batches * units:
        raise fail(step, op, "the hidden and cell states must hold batches x units values")
    if out.shape[:2] != inp.shape[:2] or out.shape[2] != units:
        raise fail(step, op, "the output shape does not match the input's steps and batches and the state size")
    act = int(op.options.get("fused_activation_function", 0))
    if act != TANH:
        raise fail(step, op, f"cell gate activation {act} is not supported (TFLM's kernel applies TANH only)")
    shape = dict(batches=batches, steps=steps, input_size=input_size, units=units, time_major=time_major)
    clip = float(np.float32(op.options.get("cell_clip", 0.0)))
    if kind == "float32":
        return LstmSpec(step, op, kind, shape, {"cell_clip": clip})
    return LstmSpec(step, op, kind, shape, _integer_fields(ctx, step, op, inp, hidden, cell, clip))


def _check_operands(step: int, op: Operator) -> None:
    """The operands TFLM's kernel needs are there and those of the variants it refuses are not."""
    if len(op.inputs) != 24 or len(op.outputs) != 1 or op.outputs[0] < 0:
        raise fail(step, op, "expected 24 inputs and one output (TFLM's kernel takes no other form)")
    present = {i for i, t in enumerate(op.inputs) if t >= 0}
    for name, operands in VARIANTS.items():
        if present & set(operands):
            raise fail(step, op, f"an LSTM with {name} is not supported (TFLM's kernel refuses it)")
    if not present >= set(GATES["input"]):
        raise fail(step, op, "an LSTM without an input gate (CIFG) is not supported (TFLM's kernel refuses it)")
    missing = sorted({INPUT, HIDDEN, CELL, *(i for operands in GATES.values() for i in operands)} - present)
    if missing:
        raise fail(step, op, f"operand {missing[0]} is missing")


def _check_gates(ctx: Context, step: int, op: Operator, kind: str, input_size: int, units: int) -> None:
    """Each gate's weights (float32, or int8 for the integer forms) and bias (of the form's type): constant, and
    shaped units x input_size, units x units and units."""
    for gate, (w_in, w_rec, b) in GATES.items():
        weights = ctx.tensor(op.inputs[w_in]), ctx.tensor(op.inputs[w_rec])
        bias = ctx.tensor(op.inputs[b])
        for t in weights:
            base.dtype(step, op, t, "float32" if kind == "float32" else "int8")
        base.dtype(step, op, bias, BIAS_TYPE[kind])
        if not all(t.is_constant for t in (*weights, bias)):
            raise fail(step, op, f"the {gate} gate's weights and bias must be constant tensors")
        if weights[0].shape != (units, input_size) or weights[1].shape != (units, units) or bias.shape != (units,):
            raise fail(step, op, f"the {gate} gate's weights and bias do not match the input and state sizes")


def _integer_fields(
    ctx: Context, step: int, op: Operator, inp: Tensor, hidden: Tensor, cell: Tensor, clip: float
) -> dict:
    """TFLM's PrepareGateParametersInteger and CreateLstmCellStateInfo, from per-tensor scales."""
    for t in (inp, hidden, cell):
        if t.quant.per_channel:
            raise fail(step, op, f"tensor '{t.name}' is quantized per channel")
    gates = {}
    for gate, (w_in, w_rec, _) in GATES.items():
        ms = []
        for source, w in ((inp, ctx.tensor(op.inputs[w_in])), (hidden, ctx.tensor(op.inputs[w_rec]))):
            if len(w.quant.scales) != 1:
                raise fail(step, op, f"the {gate} gate's weights are quantized per channel (TFLM's LSTM takes one)")
            if w.quant.zero_point != 0:
                raise fail(step, op, f"the {gate} gate's weights have a zero point (TFLM's LSTM needs symmetric ones)")
            (m,) = quant.fully_connected_multipliers(source.quant.scale, w.quant.scales, GATE_INPUT_SCALE)
            ms.append(m)
        gates[gate] = {
            "input_multiplier": ms[0].value,
            "input_shift": ms[0].shift,
            "recurrent_multiplier": ms[1].value,
            "recurrent_shift": ms[1].shift,
        }
    forget = _mul(GATE_OUTPUT_SCALE, cell.quant.scale, cell.quant.scale)
    update = _mul(GATE_OUTPUT_SCALE, GATE_OUTPUT_SCALE, cell.quant.scale)
    hidden_m = _mul(GATE_OUTPUT_SCALE, GATE_OUTPUT_SCALE, hidden.quant.scale)
    # CheckedLog2 in float32, then TFLM's Tanh: (15 + power) - 3 as a left shift (multiplier 3 << shift) or, when
    # negative, a rounding right shift of 3 x.
    power, _ = quant.checked_log2(cell.quant.scale)
    left = 12 + power
    if not -31 <= left <= 14:
        raise fail(step, op, "its cell state scale is outside 2^-43..4, where TFLM's int16 tanh of it is undefined")
    tanh_multiplier, tanh_shift = (3 << left, 0) if left >= 0 else (3, -left)
    quantized_clip = int(min(max(quant.f32(clip) / quant.f32(cell.quant.scale), -32768.0), 32767.0))
    return {
        "gates": gates,
        "input_offset": -inp.quant.zero_point,
        "hidden_offset": -hidden.quant.zero_point,
        "hidden_zero_point": hidden.quant.zero_point,
        "forget_multiplier": forget.value,
        "forget_shift": forget.shift,
        "update_multiplier": update.value,
        "update_shift": update.shift,
        "hidden_multiplier": hidden_m.value,
        "hidden_shift": hidden_m.shift,
        "cell_tanh_multiplier": tanh_multiplier,
        "cell_tanh_shift": tanh_shift,
        "clip": clip > 0,
        "cell_clip": quantized_clip,
    }


def _mul(scale1: float, scale2: float, output_scale: float) -> quant.Multiplier:
    """CreateInterGateMulParams: the product of two float32 scales over a third, in double."""
    return quant.quantize_multiplier(quant.f32(scale1) * quant.f32(scale2) / quant.f32(output_scale))


def _scratch(s: LstmSpec) -> int:
    """TFLM's four buffers of batches x units cell-state values: three gates and the fully connected layers'."""
    return 4 * s.shape["batches"] * s.shape["units"] * (4 if s.kind == "float32" else 2)


@implementation(
    "UNIDIRECTIONAL_SEQUENCE_LSTM",
    name="reference",
    summary="TFLM's kernel, states in their own arena bytes",
    scratch=_scratch,
)
def reference(ctx: Context, s: LstmSpec) -> list[str]:
    name = base.op_name(s.step)
    ins = s.op.inputs
    fields = {k: v for k, v in s.fields.items() if k != "gates"}
    gates = {}
    for gate, (w_in, w_rec, b) in GATES.items():
        pointers = {"input_weights": ctx.constant(ins[w_in]), "recurrent_weights": ctx.constant(ins[w_rec])}
        gates[gate] = pointers | {"bias": ctx.constant(ins[b])} | s.fields.get("gates", {}).get(gate, {})
    cell_type = "float" if s.kind == "float32" else "int16_t"
    tensors = f"{ctx.pointer(ins[INPUT], True)}, {ctx.pointer(ins[HIDDEN])}, {ctx.pointer(ins[CELL])}, "
    tensors += f"ArenaAt<{cell_type}>({ctx.scratch_name(s.step)}), {ctx.pointer(s.op.outputs[0])}"
    if s.kind == "float32":
        ctx.use("reference/lstm_float.h")
        ctx.params("LstmFloatParams", name, {"shape": s.shape} | gates | fields)
        return [f"LstmFloat({name}, {tensors});"]
    ctx.use("reference/lstm_integer.h")
    ctx.params("LstmIntegerParams", name, {"shape": s.shape} | gates | fields)
    return [f"Lstm{'Int8' if s.kind == 'int8' else 'Int16'}({name}, {tensors});"]
