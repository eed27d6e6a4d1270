"""model.py: decoding real and generated models, and refusing bad files with one clear error."""

from __future__ import annotations

import numpy as np
import pytest

from tflite_builder import Graph, Op, T, build, tiny_dense
from tinyflash.errors import ModelError
from tinyflash.model import load_model, parse_model


def test_hello_world_int8_facts(hello_int8):
    m = load_model(hello_int8)
    assert [(o.name, o.count) for o in m.ops] == [("FULLY_CONNECTED", 3)]
    (inp,) = m.inputs
    assert inp.dtype == "int8" and inp.shape == (1, 1)
    assert inp.quant.scale == pytest.approx(0.0244801, abs=1e-7)
    assert inp.quant.zero_point == -128
    assert m.schema_version == 3
    assert m.is_scalar_regressor


def test_person_detect_ops_and_per_channel_weights(person_detect):
    m = load_model(person_detect)
    ops = {o.name: o.count for o in m.ops}
    assert ops == {"AVERAGE_POOL_2D": 1, "CONV_2D": 14, "DEPTHWISE_CONV_2D": 14, "RESHAPE": 1, "SOFTMAX": 1}
    assert m.inputs[0].shape == (1, 96, 96, 1)
    conv = next(op for op in m.main.operators if op.opcode == "CONV_2D")
    weights = m.main.tensors[conv.inputs[1]]
    assert weights.is_constant and weights.quant.per_channel
    assert len(weights.quant.scales) == weights.shape[weights.quant.axis]
    assert conv.options["stride_w"] in (1, 2) and "padding" in conv.options
    # Constant bytes: what the tensors declare equals what the buffers hold.
    assert all(len(t.data) == t.nbytes for t in m.main.tensors if t.is_constant and t.dtype != "string")


def test_generated_model_round_trip():
    m = parse_model(tiny_dense(out_features=5, in_features=2))
    w = m.main.tensors[1]
    assert w.shape == (5, 2) and w.is_constant
    assert np.frombuffer(w.data, np.float32).shape == (10,)
    assert m.parameter_bytes == 5 * 2 * 4 + 5 * 4
    assert not m.is_scalar_regressor


def test_custom_op_is_reported_by_name():
    g = Graph(tensors=[T("a", (1, 4)), T("b", (1, 4))], ops=[Op("ethos-u", (0,), (1,), custom=True)],
              inputs=(0,), outputs=(1,))  # fmt: skip
    m = parse_model(build(g))
    assert m.custom_ops == ("ethos-u",)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"\x01\x02", "too short"),
        (b"\x10\x00\x00\x00PK\x03\x04" + b"\x00" * 64, "not a TFLite flatbuffer"),
        (b"\xff\xff\xff\x7fTFL3" + b"\x00" * 8, "truncated or corrupt"),
    ],
)
def test_bad_bytes_are_model_errors(tmp_path, content, message):
    p = tmp_path / "bad.tflite"
    p.write_bytes(content)
    with pytest.raises(ModelError, match=message) as err:
        load_model(p)
    assert err.value.hint  # every error says what to do


def test_truncated_real_model(tmp_path, person_detect):
    data = person_detect.read_bytes()
    for cut in (16, 100, 1000, len(data) // 2):
        p = tmp_path / f"cut{cut}.tflite"
        p.write_bytes(data[:cut])
        with pytest.raises(ModelError):
            load_model(p)


def test_missing_and_directory(tmp_path):
    with pytest.raises(ModelError, match="does not exist"):
        load_model(tmp_path / "nope.tflite")
    with pytest.raises(ModelError, match="is a directory"):
        load_model(tmp_path)


def test_huge_file_is_refused_without_reading_it(tmp_path):
    p = tmp_path / "huge.tflite"
    with p.open("wb") as f:  # sparse: 3 GiB on paper, nothing on disk
        f.truncate(3 * 2**30)
    with pytest.raises(ModelError, match="at most 2 GiB"):
        load_model(p)


def test_per_channel_quantization_is_reported_as_such():
    from tinyflash.model import Quantization, Tensor
    from tinyflash.report import tensor_json

    t = Tensor(0, "w", (3, 2), "int8", Quantization((0.1, 0.2, 0.3), (0, 0, 0), axis=0))
    doc = tensor_json(t)
    assert doc["scale"] == [0.1, 0.2, 0.3] and doc["zero_point"] == [0, 0, 0] and doc["quantized_dimension"] == 0
