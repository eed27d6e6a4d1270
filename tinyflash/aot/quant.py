"""Fixed-point parameters, computed at generation time exactly as TFLM computes them in ``Prepare``.

Bit-exactness with TFLM depends as much on these numbers as on the kernels: the same real multiplier
must be formed in the same precision (some products are float32, some double) and turned into the
same 31-bit multiplier and shift. Each function names the TFLM behaviour it reproduces.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

INT8_MIN, INT8_MAX = -128, 127

# tflite.ActivationFunctionType values.
ACT_NONE, ACT_RELU, ACT_RELU_N1_TO_1, ACT_RELU6 = 0, 1, 2, 3
SUPPORTED_ACTIVATIONS = (ACT_NONE, ACT_RELU, ACT_RELU_N1_TO_1, ACT_RELU6)
FLOAT_LOWEST = float(np.finfo(np.float32).min)
FLOAT_MAX = float(np.finfo(np.float32).max)


@dataclass(frozen=True)
class Multiplier:
    """A real multiplier as ``value * 2**shift / 2**31`` (TFLite's QuantizeMultiplier encoding)."""

    value: int
    shift: int


def round_half_away(x: float) -> float:
    """C's ``round``: halves go away from zero (numpy's ``round`` goes to even)."""
    return math.copysign(math.floor(abs(x) + 0.5), x)


def quantize_multiplier(real: float) -> Multiplier:
    """frexp-based 31-bit significand with exponent, flushing tiny multipliers to zero (double rounding build)."""
    if real == 0.0:
        return Multiplier(0, 0)
    q, shift = math.frexp(real)
    q_fixed = int(round_half_away(q * (1 << 31)))
    if q_fixed == 1 << 31:
        q_fixed //= 2
        shift += 1
    if shift < -31:
        shift, q_fixed = 0, 0
    return Multiplier(q_fixed, shift)


def f32(x: float) -> float:
    return float(np.float32(x))


def f32_div(a: float, b: float) -> float:
    """``a / b`` as C++ divides two floats (the ratio of scales most Prepare functions widen to double)."""
    return float(np.float32(a) / np.float32(b))


def quantize_f32(value: float, scale: float, zero_point: int) -> int:
    """``zero_point + round(value / scale)`` with the division in float32, as the activation-range helper does."""
    return zero_point + int(round_half_away(float(np.float32(value) / np.float32(scale))))


def activation_range_int8(
    activation: int, scale: float, zero_point: int, bounds: tuple[int, int] = (INT8_MIN, INT8_MAX)
) -> tuple[int, int]:
    """Clamp bounds of a fused activation in the output's quantized domain, within ``bounds`` (its type's range)."""
    lo, hi = bounds
    if activation == ACT_RELU:
        lo = max(lo, quantize_f32(0.0, scale, zero_point))
    elif activation == ACT_RELU6:
        lo = max(lo, quantize_f32(0.0, scale, zero_point))
        hi = min(hi, quantize_f32(6.0, scale, zero_point))
    elif activation == ACT_RELU_N1_TO_1:
        lo = max(lo, quantize_f32(-1.0, scale, zero_point))
        hi = min(hi, quantize_f32(1.0, scale, zero_point))
    return lo, hi


def activation_range_float(activation: int) -> tuple[float, float]:
    if activation == ACT_RELU:
        return 0.0, FLOAT_MAX
    if activation == ACT_RELU6:
        return 0.0, 6.0
    if activation == ACT_RELU_N1_TO_1:
        return -1.0, 1.0
    return FLOAT_LOWEST, FLOAT_MAX


def activation_range_int32(opcode: str, activation: int) -> tuple[int, int]:
    """Bounds of int32 ADD, SUB, MUL and DIV in TFLM: ADD ignores the fused activation (it clamps to the int32
    range); SUB, MUL and DIV clamp as CalculateActivationRange does."""
    if opcode == "ADD" or activation not in (ACT_RELU, ACT_RELU6, ACT_RELU_N1_TO_1):
        return -(2**31), 2**31 - 1
    return {ACT_RELU: (0, 2**31 - 1), ACT_RELU6: (0, 6), ACT_RELU_N1_TO_1: (-1, 1)}[activation]


def conv_multipliers(input_scale: float, filter_scales: tuple[float, ...], output_scale: float, channels: int):
    """Per-output-channel multipliers of CONV_2D / DEPTHWISE_CONV_2D: double products, even per tensor."""
    out = []
    for c in range(channels):
        fs = filter_scales[c] if len(filter_scales) > 1 else filter_scales[0]
        out.append(quantize_multiplier(f32(input_scale) * f32(fs) / f32(output_scale)))
    return out


def fully_connected_multipliers(input_scale: float, filter_scales: tuple[float, ...], output_scale: float):
    """FULLY_CONNECTED: per tensor the product is formed in float32 first; per channel in double."""
    if len(filter_scales) == 1:
        product = float(np.float32(input_scale) * np.float32(filter_scales[0]))
        return [quantize_multiplier(product / f32(output_scale))]
    return [quantize_multiplier(f32(input_scale) * f32(s) / f32(output_scale)) for s in filter_scales]


@dataclass(frozen=True)
class AddParams:
    """ADD's int8 scheme: both inputs are shifted left by 20 bits and rescaled to twice the larger input scale."""

    left_shift: int
    input1: Multiplier
    input2: Multiplier
    output: Multiplier


def add_params(scale1: float, scale2: float, output_scale: float, left_shift: int = 20) -> AddParams:
    """ADD's (and SUB's) multipliers; ``left_shift`` is 15 for int16 outputs."""
    twice_max = 2 * f32(max(np.float32(scale1), np.float32(scale2)))
    return AddParams(
        left_shift,
        quantize_multiplier(f32(scale1) / twice_max),
        quantize_multiplier(f32(scale2) / twice_max),
        quantize_multiplier(twice_max / ((1 << left_shift) * f32(output_scale))),
    )


def squared_difference_params(scale1: float, scale2: float, output_scale: float) -> AddParams:
    """SQUARED_DIFFERENCE int8: ADD's scheme with a 7-bit shift, multipliers in double, and the output multiplier
    dividing the squared scale by ``(1 << 14) * output_scale`` formed in float32 (an int times a float in TFLM)."""
    left_shift = 7
    twice_max = 2.0 * float(max(np.float32(scale1), np.float32(scale2)))
    denominator = float(np.float32(1 << (2 * left_shift)) * np.float32(output_scale))
    return AddParams(
        left_shift,
        quantize_multiplier(float(np.float32(scale1)) / twice_max),
        quantize_multiplier(float(np.float32(scale2)) / twice_max),
        quantize_multiplier(twice_max * twice_max / denominator),
    )


def calculate_input_radius(integer_bits: int, left_shift: int, total_signed_bits: int = 31) -> int:
    value = 1.0 * ((1 << integer_bits) - 1) * (1 << (total_signed_bits - integer_bits)) / (1 << left_shift)
    return math.floor(value)


@dataclass(frozen=True)
class SoftmaxParams:
    multiplier: int
    left_shift: int
    diff_min: int


def softmax_params(beta: float, input_scale: float) -> SoftmaxParams:
    """int8 SOFTMAX: the input difference is rescaled into Q5.26 (5 integer bits)."""
    integer_bits = 5
    real = min(f32(beta) * f32(input_scale) * (1 << (31 - integer_bits)), (1 << 31) - 1.0)
    m = quantize_multiplier(real)
    return SoftmaxParams(m.value, m.shift, -calculate_input_radius(integer_bits, m.shift))


@dataclass(frozen=True)
class SigmoidParams:
    """int8 LOGISTIC / TANH: input rescaled into Q4.27; beyond ``radius`` the output saturates."""

    zero_point: int
    multiplier: int
    left_shift: int
    radius: int


def sigmoid_params(input_scale: float, zero_point: int) -> SigmoidParams:
    integer_bits = 4
    q, shift = math.frexp(f32(input_scale) * (1 << (31 - integer_bits)))
    multiplier = int(round_half_away(q * (1 << 31)))
    return SigmoidParams(zero_point, multiplier, shift, calculate_input_radius(integer_bits, shift))


def checked_log2(x: float) -> tuple[int, bool]:
    """TFLite's ``CheckedLog2``, in float32 as it computes: the nearest power of two's exponent, and whether ``x``
    is within 1e-3 of it in log2 (int16 LOGISTIC/TANH and the LSTM read scales as powers of two by it)."""
    f = np.float32
    log2 = f(np.log(f(x))) * (f(1.0) / f(np.log(f(2.0))))
    rounded = f(round_half_away(float(log2)))
    return int(rounded), bool(abs(f(log2 - rounded)) < f(1e-3))


@dataclass(frozen=True)
class Sigmoid16Params:
    """int16 LOGISTIC / TANH: the input read as Q3.12 times 3 by ``(x * multiplier + round) >> shift``."""

    multiplier: int
    shift: int


def sigmoid16_params(opcode: str, input_scale: float) -> Sigmoid16Params:
    """TFLM's int16 Prepare (``CalculateArithmeticOpDataLogistic``, TANH's ``CalculateArithmeticOpData``): a scale
    CheckedLog2 reads as 2^-12 (TANH: also 2^-11) is taken as that power of two, multiplier ``3 << shift``;
    any other becomes ``scale * 4096 * 3`` in double, doubled while at most 32767 / 2 (shift at most 31), truncated.
    The kernel's resolution of the power-of-two case (multiplier 0) is done here."""
    power, exact = checked_log2(input_scale)
    shift = 12 + power
    if exact and shift in ((0,) if opcode == "LOGISTIC" else (0, 1)):
        return Sigmoid16Params(3 << shift, 0)
    multiplier, shift = float(np.float32(input_scale)) * 4096.0 * 3.0, 0
    while multiplier <= 32767.0 / 2.0 and shift <= 30:
        shift += 1
        multiplier *= 2.0
    return Sigmoid16Params(int(multiplier), shift)


def mean_multiplier(input_scale: float, output_scale: float, count: int) -> Multiplier:
    """int8 MEAN folds ``1/count`` into the requantization multiplier (TFLM's QuantizedMeanOrSum)."""
    m = quantize_multiplier(f32(input_scale) / f32(output_scale))
    shift = min(count.bit_length() - 1, 32, 31 + m.shift)  # floor(log2(count)), clamped as TFLM does
    value = (m.value << shift) // count  # both non-negative: floor is C's truncation
    return Multiplier(value, m.shift - shift)
