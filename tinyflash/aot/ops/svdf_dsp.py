"""SVDF int8 with an int16 state on the Armv7E-M DSP extension (``aot/kernels/dsp/svdf_int8.h``).

Keyword-spotting models spend nearly all their time in SVDFs, and TFLM's reference loops multiply one value at a
time. This kernel does the feature weights' matrix product as the fully connected one does (weights laid out in
filter pairs, the input widened to int16 pairs once per batch, SMLAD) and the time weights' dot products two int16
values per SMLAD; the offsets the reference subtracts inside its loops are folded into biases here, and both
requantizations are TFLM's exact MultiplyByQuantizedMultiplier.
"""

from __future__ import annotations

import numpy as np

from .. import quant
from ..context import Context
from ..registry import implementation
from . import base
from .conv_dsp import (
    QUANT_WORDS,
    TEMPLATE_CODE_BYTES,
    accumulator_bounds,
    channel_quant,
    constant_values,
    matmul_layout,
    round_to_words,
    wrap32,
)
from .svdf import BIAS, INPUT, STATE, WEIGHTS_FEATURE, WEIGHTS_TIME, SvdfSpec


def _depth(s: SvdfSpec) -> int:
    """The input size rounded up to whole words of 4 int8 values."""
    return round_to_words(s.shape["input_size"])


def _applies(s: SvdfSpec) -> bool:
    return s.kind == "int8" and s.state_type == "int16"


def _feature_requantization(feature: np.ndarray, fields: dict) -> tuple[list[int], dict]:
    """The feature sums' biases (the input offset folded in) and their requantization fields: dsp/requantize.h's
    short path when channel_quant proves it exact (a right shift), SMMULR of the sum shifted left when the sum times
    TFLM's left shift stays below 2^30 (SaturatingRoundingDoublingHighMul(x, m) == SMMULR(2 * x, m) there, and TFLM
    divides by 2^0), otherwise TFLM's general code. The state zero point is added after the clamp, as TFLM does, so
    the requantization's own offset is 0."""
    filters = feature.shape[0]
    multiplier = quant.Multiplier(fields["feature_multiplier"], fields["feature_shift"])
    zero = np.zeros(filters, dtype=np.int64)
    words, fast = channel_quant(feature, zero, -fields["input_zero_point"], [multiplier] * filters, 0)
    bias = words[::QUANT_WORDS]
    path = {"feature_fast": True, "feature_multiplier": multiplier.value}
    if fast:
        return bias, path | {"feature_left_shift": 1, "feature_shift": words[2], "feature_nudge": words[3]}
    _, bounds = accumulator_bounds(feature, zero, -fields["input_zero_point"])
    left = multiplier.shift
    if left >= 0 and int(bounds.max()) << left < 2**30:
        return bias, path | {"feature_left_shift": left + 1, "feature_shift": 0, "feature_nudge": 0}
    general = {"feature_fast": False, "feature_left_shift": 0, "feature_shift": left, "feature_nudge": 0}
    return bias, path | general


@implementation("SVDF", name="svdf_dsp", priority=10, requires=("dsp",), code_bytes=TEMPLATE_CODE_BYTES,
                applies=_applies, scratch=lambda s: 2 * _depth(s),
                summary="feature product 2 filters per pass, time dot products 2 state values per SMLAD")  # fmt: skip
def svdf_int8(ctx: Context, s: SvdfSpec) -> list[str]:
    name = base.op_name(s.step)
    shape = s.shape
    filters, memory, depth = shape["filters"], shape["memory"], _depth(s)
    ins = s.op.inputs
    feature = constant_values(ctx, ins[WEIGHTS_FEATURE], np.int8)
    padded = np.zeros((filters + filters % 2, depth), dtype=np.int8)  # an odd last filter paired with zeros
    padded[:filters, : shape["input_size"]] = feature
    time = constant_values(ctx, ins[WEIGHTS_TIME], np.int16)
    time_padded = np.zeros((filters, -(-memory // 2) * 2), dtype=np.int16)
    time_padded[:, :memory] = time
    feature_bias, feature_fields = _feature_requantization(feature, s.fields)
    unit_time = time.sum(axis=1).reshape(shape["units"], shape["rank"]).sum(axis=1)
    bias = wrap32(constant_values(ctx, ins[BIAS], np.int32).reshape(-1) - s.fields["state_zero_point"] * unit_time)
    ctx.use("dsp/svdf_int8.h")
    fields = {key: s.fields[key] for key in s.fields if not key.startswith(("input_", "feature_"))}
    output_fast = s.fields["output_multiplier"] > 2**30 and 1 <= -s.fields["output_shift"] <= 31
    fields |= feature_fields | {
        "output_fast": output_fast,
        "shape": shape,
        "depth": depth,
        "weights_feature": ctx.array("int8_t", f"{name}FeatureWeights", matmul_layout(padded), 16, align=True),
        "feature_bias": ctx.array("int32_t", f"{name}FeatureBias", feature_bias + [0] * (filters % 2), 8, align=True),
        "weights_time": ctx.array("int16_t", f"{name}TimeWeights", time_padded.reshape(-1), 16, align=True),
        "bias": ctx.array("int32_t", f"{name}Bias", bias, 8, align=True),
    }
    ctx.params("SvdfInt8DspParams", name, fields)
    scratch = f"ArenaAt<uint32_t>({ctx.scratch_name(s.step)})"
    return [f"SvdfInt8Dsp<{name}>({ctx.pointer(ins[INPUT], True)}, {ctx.pointer(ins[STATE])}, {scratch}, "
            f"{ctx.pointer(s.op.outputs[0])});"]  # fmt: skip
