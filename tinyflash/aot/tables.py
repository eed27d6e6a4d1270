"""int8 lookup tables for elementwise ops whose output depends on one int8 input only (ABS, LEAKY_RELU, HARD_SWISH).

Each table holds, for the 256 inputs, the value TFLM's reference kernel computes, with TFLM's integer arithmetic
reproduced here step by step (gemmlowp's rounding multiplies and shifts, int16 where TFLM works in int16): the
device then does one load per element, and any fixed-point subtlety is settled once, at generation time, where the
tests compare all 256 entries with TFLM.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import quant
from .quant import Multiplier

INPUTS = range(-128, 128)


def _div_trunc(a: int, b: int) -> int:
    """C's integer division (toward zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def _clamp(x: int, lo: int, hi: int) -> int:
    return max(lo, min(hi, x))


def rounding_high_mul(a: int, b: int, bits: int) -> int:
    """gemmlowp's SaturatingRoundingDoublingHighMul on ``bits``-bit integers."""
    lowest = -(1 << (bits - 1))
    if a == b == lowest:
        return -lowest - 1
    ab = a * b
    nudge = 1 << (bits - 2) if ab >= 0 else 1 - (1 << (bits - 2))
    return _div_trunc(ab + nudge, 1 << (bits - 1))


def rounding_divide_by_pot(x: int, exponent: int) -> int:
    """gemmlowp's RoundingDivideByPOT: a right shift rounding half away from zero."""
    mask = (1 << exponent) - 1
    threshold = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> exponent) + (1 if (x & mask) > threshold else 0)


def multiply(x: int, m: Multiplier) -> int:
    """TFLM's MultiplyByQuantizedMultiplier (double rounding)."""
    left, right = max(m.shift, 0), max(-m.shift, 0)
    return rounding_divide_by_pot(rounding_high_mul(x * (1 << left), m.value, 32), right)


def abs_table(in_scale: float, in_zero: int, out_scale: float, out_zero: int) -> list[int]:
    """ABS int8: |q - zero point|, requantized only when the scales differ (float32 division, as Prepare)."""
    rescale = quant.f32(in_scale) != quant.f32(out_scale)
    m = quant.quantize_multiplier(quant.f32_div(in_scale, out_scale))
    return [
        _clamp((multiply(abs(q - in_zero), m) if rescale else abs(q - in_zero)) + out_zero, -128, 127) for q in INPUTS
    ]


def leaky_relu_table(in_scale: float, in_zero: int, out_scale: float, out_zero: int, alpha: float) -> list[int]:
    """LEAKY_RELU int8: the identity multiplier for q >= zero point, the alpha one below; a negative alpha's
    multiplier is applied to its magnitude and the result negated (TFLM's QuantizeLeakyRelu)."""
    identity = quant.quantize_multiplier(quant.f32_div(in_scale, out_scale))
    alpha_m = quant.quantize_multiplier(quant.f32_div(quant.f32(in_scale) * quant.f32(alpha), out_scale))
    sign = -1 if alpha_m.value < 0 else 1
    safe = Multiplier(abs(alpha_m.value), alpha_m.shift)
    return [
        _clamp(
            out_zero + (multiply(q - in_zero, identity) if q >= in_zero else sign * multiply(q - in_zero, safe)),
            -128,
            127,
        )
        for q in INPUTS
    ]


@dataclass(frozen=True)
class HardSwishParams:
    """TFLM's HardSwishPrepare: two multipliers downscaled to int16, exponents kept."""

    output_multiplier: int
    output_exponent: int
    reluish_multiplier: int
    reluish_exponent: int


def _int16_multiplier(m: int) -> int:
    """DownScaleInt32ToInt16Multiplier."""
    return 32767 if m >= 2147483647 - (1 << 15) else (m + (1 << 15)) >> 16


def hard_swish_params(in_scale: float, out_scale: float) -> HardSwishParams:
    hires = quant.f32(quant.f32(1.0 / 128.0) * quant.f32(in_scale))
    out = quant.quantize_multiplier(quant.f32_div(hires, out_scale))
    reluish = quant.quantize_multiplier(quant.f32_div(hires, quant.f32(3.0 / 32768.0)))
    return HardSwishParams(_int16_multiplier(out.value), out.shift, _int16_multiplier(reluish.value), reluish.shift)


def _saturating_left_shift16(value: int, amount: int) -> int:
    return _clamp(value * (1 << amount), -32768, 32767)


def hard_swish_table(in_zero: int, out_zero: int, p: HardSwishParams) -> list[int]:
    """HARD_SWISH int8: TFLM's reference_ops::HardSwish in int16 fixed point (requires p.output_exponent <= 0)."""
    table = []
    for q in INPUTS:
        hires = (q - in_zero) * (1 << 7)
        preshift = rounding_high_mul(hires, p.output_multiplier, 16)
        reluish = hires
        if p.reluish_exponent > 0:
            reluish = _saturating_left_shift16(reluish, p.reluish_exponent - 1)
        reluish = rounding_high_mul(reluish, p.reluish_multiplier, 16)
        if p.reluish_exponent > 0:
            reluish = _saturating_left_shift16(reluish, 1)
        if p.reluish_exponent < 0:
            reluish = rounding_divide_by_pot(reluish, -p.reluish_exponent)
        reluish = (reluish + (1 << 15)) >> 1
        # SaturatingDoublingHighMul: truncating, not rounding.
        product = 32767 if reluish == preshift == -32768 else _div_trunc(reluish * preshift, 1 << 15)
        out = _wrap16(rounding_divide_by_pot(product, -p.output_exponent) + out_zero)
        table.append(_clamp(out, -128, 127))
    return table


def _wrap16(x: int) -> int:
    """An int16_t assignment (TFLM adds the zero point in int16)."""
    return (x + 32768) % 65536 - 32768
