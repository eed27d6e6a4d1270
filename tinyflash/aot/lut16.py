"""TFLM's int16 lookup tables (``LUTPopulate<int16_t>``), computed at generation time as TFLM's Prepare computes them.

A table samples a float function at 512 steps over the input range, plus the end point; each entry is rounded onto
the output scale and corrected by half the error the device's linear interpolation would make at the step's
midpoint. Every operation is float32, as in TFLM; ``exp`` is rounded from double, which gives what the C library's
``expf`` gives on every input these tables use (checked against a local build of TFLM's code).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cache

import numpy as np

f32 = np.float32
STEPS = 512


def _round(x: np.float32) -> np.float32:
    """TfLiteRound on a float: half away from zero."""
    return f32(math.copysign(math.floor(abs(float(x)) + 0.5), float(x)))


def populate(
    input_scale: np.float32, input_zero_point: int, output_scale: np.float32, transform: Callable
) -> list[int]:
    """The 513 int16 entries for ``transform`` (float32 -> float32) with output zero point 0."""
    input_min = f32(input_scale * f32(-32768 - input_zero_point))
    input_max = f32(input_scale * f32(32767 - input_zero_point))
    output_min, output_max = f32(output_scale * f32(-32768)), f32(output_scale * f32(32767))
    step = f32(f32(input_max - input_min) / f32(STEPS))
    half_step = f32(step / f32(2))
    inverse = f32(f32(65536) / f32(output_max - output_min))
    table = []
    for i in range(STEPS):
        x = f32(input_min + f32(f32(i) * step))
        value = transform(x)
        midpoint = transform(f32(x + half_step))
        following = transform(f32(input_min + f32(f32(i + 1) * step)))
        sample = _round(f32(value * inverse))
        interpolated = _round(f32(f32(f32(following * inverse) + sample) / f32(2)))
        bias = _round(f32(f32(interpolated - _round(f32(midpoint * inverse))) / f32(2)))
        table.append(int(min(max(f32(sample - bias), f32(-32768)), f32(32767))))
    table.append(int(min(max(_round(f32(transform(input_max) * inverse)), f32(-32768)), f32(32767))))
    return table


@cache
def softmax_tables() -> tuple[list[int], list[int]]:
    """int16 SOFTMAX's tables: exp on [-10, 0] and 1 / (1 + x) on [0, 1], both onto [-1, 1] (SoftmaxPrepare)."""
    span = f32(65535)
    exp = populate(f32(f32(10) / span), 32767, f32(f32(2) / span), lambda v: f32(math.exp(float(v))))
    reciprocal = populate(f32(f32(1) / span), -32768, f32(f32(2) / span), lambda v: f32(f32(1) / f32(f32(1) + v)))
    return exp, reciprocal
