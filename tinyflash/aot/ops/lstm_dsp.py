"""UNIDIRECTIONAL_SEQUENCE_LSTM int8 ("8x8->16") on the Armv7E-M DSP extension (``aot/kernels/dsp/lstm_int8.h``).

TFLM's reference LSTM multiplies one weight at a time through eight fully connected products per step and keeps
every gate in a buffer; nearly all of a Keras LSTM classifier's time goes there. This kernel widens each row's input
and hidden state to int16 pairs once and runs the products two units per pass with SMLAD, the weights laid out at
build time in the order it reads them and the input's and hidden state's offsets folded into biases; the gate math is
the reference's own functions, one unit pair at a time, so the results are TFLM's bit for bit.
"""

from __future__ import annotations

import numpy as np

from ..context import Context
from ..registry import implementation
from . import base
from .conv_dsp import TEMPLATE_CODE_BYTES, accumulator_bounds, constant_values, matmul_layout, round_to_words, wrap32
from .lstm import CELL, GATES, HIDDEN, INPUT, LstmSpec


def _padded(w: np.ndarray, units: int, depth: int) -> np.ndarray:
    out = np.zeros((units, depth), dtype=np.int8)
    out[: w.shape[0], : w.shape[1]] = w
    return out


def layout(ctx: Context, s: LstmSpec) -> tuple[np.ndarray, list[int]]:
    """The weights and biases in the order the kernel reads them: per unit pair, per gate, the input weights then the
    recurrent ones (matmul_layout's unit pair), and the biases in, in, recurrent, recurrent, offsets folded in."""
    units = s.shape["units"]
    pairs = units + units % 2
    in_depth, units_depth = round_to_words(s.shape["input_size"]), round_to_words(units)
    ins = s.op.inputs
    blocks = []
    for w_in, w_rec, b in GATES.values():
        wi, wr = constant_values(ctx, ins[w_in], np.int8), constant_values(ctx, ins[w_rec], np.int8)
        bias = np.zeros(pairs, dtype=np.int64)
        bias[:units] = wrap32(constant_values(ctx, ins[b], np.int32) + s.fields["input_offset"] * wi.sum(axis=1))
        recurrent = np.zeros(pairs, dtype=np.int64)
        recurrent[:units] = wrap32(s.fields["hidden_offset"] * wr.sum(axis=1))
        blocks.append((_padded(wi, pairs, in_depth), _padded(wr, pairs, units_depth), bias, recurrent))
    weights, words = [], []
    for u in range(0, pairs, 2):
        for wi, wr, bias, recurrent in blocks:
            weights += [matmul_layout(wi[u : u + 2]), matmul_layout(wr[u : u + 2])]
            words += [int(bias[u]), int(bias[u + 1]), int(recurrent[u]), int(recurrent[u + 1])]
    return np.concatenate(weights), words


def _fast(ctx: Context, s: LstmSpec) -> bool:
    """Whether every gate product's Q3.12 requantization may take the kernel's short path (LstmQ312): its biases fit
    int32, |accumulator| x 2^(left shift) < 2^30 for every int8 input and hidden state, the right shift at most 30."""
    ins = s.op.inputs
    for gate, (w_in, w_rec, b) in GATES.items():
        q = s.fields["gates"][gate]
        products = (
            (w_in, constant_values(ctx, ins[b], np.int32), s.fields["input_offset"], q["input_shift"]),
            (w_rec, 0, s.fields["hidden_offset"], q["recurrent_shift"]),
        )
        for weights, bias, offset, shift in products:
            folded, bounds = accumulator_bounds(constant_values(ctx, ins[weights], np.int8), np.asarray(bias), offset)
            if (wrap32(folded) != folded).any() or int(bounds.max()) << max(shift, 0) >= 2**30 or shift < -30:
                return False
    return True


def _scratch(s: LstmSpec) -> int:
    """The row's input and hidden state widened to int16, padded to whole words."""
    return 2 * (round_to_words(s.shape["input_size"]) + round_to_words(s.shape["units"]))


@implementation("UNIDIRECTIONAL_SEQUENCE_LSTM", name="lstm_dsp", priority=10, requires=("dsp",),
                code_bytes=TEMPLATE_CODE_BYTES, applies=lambda s: s.kind == "int8", scratch=_scratch,
                summary="gate products 2 units per pass with SMLAD, offsets in biases, no gate buffers")  # fmt: skip
def lstm_int8(ctx: Context, s: LstmSpec) -> list[str]:
    name = base.op_name(s.step)
    weights, bias = layout(ctx, s)
    ctx.use("dsp/lstm_int8.h")
    skip = ("gates", "input_offset", "hidden_offset")
    fields = {
        "shape": s.shape,
        "input_depth": round_to_words(s.shape["input_size"]),
        "units_depth": round_to_words(s.shape["units"]),
    }
    fields["fast"] = _fast(ctx, s)
    fields |= s.fields["gates"] | {k: v for k, v in s.fields.items() if k not in skip}
    fields |= {
        "weights": ctx.array("int8_t", f"{name}Weights", weights, 16, align=True),
        "bias": ctx.array("int32_t", f"{name}Bias", bias, 8, align=True),
    }
    ctx.params("LstmInt8DspParams", name, fields)
    ins = s.op.inputs
    scratch = f"ArenaAt<uint32_t>({ctx.scratch_name(s.step)})"
    return [f"LstmInt8Dsp<{name}>({ctx.pointer(ins[INPUT], True)}, {ctx.pointer(ins[HIDDEN])}, "
            f"{ctx.pointer(ins[CELL])}, {scratch}, {ctx.pointer(s.op.outputs[0])});"]  # fmt: skip
