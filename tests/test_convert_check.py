"""The check's arithmetic on hand-made arrays: saturation, cosine, thresholds. No TensorFlow needed."""

from __future__ import annotations

import numpy as np
import pytest

from tinyflash.convert_check import (
    COSINE_MIN,
    check_input,
    compare_output,
    cosine,
    input_saturation,
    int8_range,
    output_saturation,
    warnings_for,
)
from tinyflash.model import Quantization
from tinyflash.reference import quantize_codes

Q = Quantization(scales=(0.5,), zero_points=(-28,))  # holds -50.0 .. 77.5


def test_int8_range_and_rounding():
    assert int8_range(Q) == (-50.0, 77.5)
    # Half away from zero, as tensor_io.h and TFLM's QUANTIZE round.
    assert quantize_codes(np.array([0.25, -0.25, 0.75, -0.75]), Q).tolist() == [-27, -29, -26, -30]


def test_input_saturation_counts_values_that_quantize_outside_int8():
    # 77.7 rounds to code 127 (inside); 77.8 rounds to 128 (clipped); -50.3 rounds to -129 (clipped).
    values = np.array([0.0, 77.7, 77.8, -50.2, -50.3, 1000.0, 3.0, 4.0])
    assert input_saturation(values, Q) == pytest.approx(3 / 8)


def test_output_saturation_counts_only_values_the_float_model_puts_beyond_the_limit():
    relu_floor = Quantization(scales=(0.1,), zero_points=(-128,))  # 0 .. 25.5: after a ReLU
    codes = np.array([-128, -128, 127, 127, 0])
    reference = np.array([0.0, 0.01, 25.5, 40.0, 12.8])  # the ReLU's 0s are exact; 40.0 was clipped
    assert output_saturation(codes, reference, relu_floor) == pytest.approx(1 / 5)
    assert output_saturation(codes, np.array([-3.0, 0.0, 25.5, 25.5, 12.8]), relu_floor) == pytest.approx(1 / 5)


def test_cosine_edges():
    assert cosine(np.array([1.0, 2.0]), np.array([2.0, 4.0])) == pytest.approx(1.0)
    assert cosine(np.array([1.0, 0.0]), np.array([0.0, 1.0])) == pytest.approx(0.0)
    assert cosine(np.zeros(3), np.zeros(3)) == 1.0
    assert cosine(np.zeros(3), np.ones(3)) == 0.0


def test_compare_output_figures_and_top1():
    ref = np.array([[0.1, 0.9], [0.8, 0.2], [0.4, 0.6], [0.5, 0.5]])
    dev = np.array([[0.1, 0.9], [0.7, 0.3], [0.6, 0.4], [0.5, 0.5]])
    o = compare_output("p", ref, dev, codes=None, quant=None, producer="SOFTMAX")
    assert o.mae == pytest.approx(0.6 / 8)  # |diffs|: 0, 0, .1, .1, .2, .2, 0, 0
    assert o.max_abs_error == pytest.approx(0.2)
    assert o.rmse == pytest.approx(np.sqrt((0.01 * 2 + 0.04 * 2) / 8))
    assert o.top1_agreement == pytest.approx(3 / 4)  # sample 2 flips; ties pick the first class in both
    assert compare_output("y", ref, dev, codes=None, quant=None, producer=None).top1_agreement is None


def test_fixed_range_outputs_have_no_saturation():
    """SOFTMAX's int8 output is always scale 1/256, zero point -128: 0.999 is stored as 255/256 by design."""
    q = Quantization(scales=(1 / 256,), zero_points=(-128,))
    ref, codes = np.array([[0.999, 0.001]]), np.array([[127, -128]])
    dev = (codes + 128) / 256
    assert compare_output("p", ref, dev, codes=codes, quant=q, producer="SOFTMAX").saturation is None
    assert compare_output("y", ref, dev, codes=codes, quant=q, producer="FULLY_CONNECTED").saturation == 0.5


def test_warnings_name_the_tensor_and_say_what_to_do():
    good_in = check_input("x", np.linspace(-50, 77, 100), Q)
    bad_in = check_input("x", np.linspace(-100, 77, 100), Q)
    assert good_in.saturation == 0.0 and bad_in.saturation > 0.25
    same = np.linspace(-1, 1, 50)
    good_out = compare_output("y", same, same, codes=None, quant=None, producer=None)
    flat = compare_output("y", same, np.zeros_like(same) + 0.1, codes=None, quant=None, producer=None)
    assert warnings_for((good_in,), (good_out,)) == ()
    (w_in,) = warnings_for((bad_in,), (good_out,))
    assert w_in.startswith("input x: ") and "outside the int8 input range [-50, 77.5]" in w_in
    assert "widen --calibration-range" in w_in
    (w_out,) = warnings_for((good_in,), (flat,))
    assert flat.cosine < COSINE_MIN and w_out.startswith("output y: cosine similarity")
    # A float input (no quantization) has no range and cannot saturate.
    assert check_input("f", np.array([1e9]), None).saturation is None
