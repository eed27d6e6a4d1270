"""Build small single-op and random-graph .tflite models for the AOT tests, without TensorFlow.

A thin layer over ``tests/tflite_builder.py``: named tensors, quantized tensors with seeded random
data, and builtin options filled generically from keyword arguments.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import pytest
import tflite
from aot_support import load_bytes

from tflite_builder import Graph, Op, T, build
from tinyflash.aot import AotUnsupported, generate
from tinyflash.model import ModelInfo

NONE, RELU, RELU_N1_TO_1, RELU6 = 0, 1, 2, 3
SAME, VALID = 0, 1


def options(kind: str, **fields: int | float | str) -> tuple[str, object]:
    """``options("Conv2DOptions", stride_w=2)`` -> the (table name, fill) pair tflite_builder expects; a string
    field (VarHandleOptions' shared_name) is written before the table, as flatbuffers requires."""

    def fill(b) -> int:
        values = {key: b.CreateString(v) if isinstance(v, str) else v for key, v in fields.items()}
        getattr(tflite, f"{kind}Start")(b)
        for key, value in values.items():
            camel = "".join(part[:1].upper() + part[1:] for part in key.split("_"))
            getattr(tflite, f"{kind}Add{camel}")(b, value)
        return getattr(tflite, f"{kind}End")(b)

    return (kind, fill)


@dataclass
class GraphBuilder:
    rng: np.random.Generator
    tensors: list[T] = field(default_factory=list)
    ops: list[Op] = field(default_factory=list)
    inputs: list[int] = field(default_factory=list)
    outputs: list[int] = field(default_factory=list)

    def tensor(self, shape, dtype: str = "float32", scale=None, zero_point=0, data=None, axis: int = 0) -> int:
        """A tensor; ``scale`` may be a float (per tensor) or a sequence (per channel along ``axis``)."""
        scales: tuple[float, ...] = ()
        zps: tuple[int, ...] = ()
        if scale is not None:
            scales = tuple(float(s) for s in np.atleast_1d(scale))
            zps = tuple(int(z) for z in np.broadcast_to(np.atleast_1d(zero_point), (len(scales),)))
        self.tensors.append(T(f"t{len(self.tensors)}/é {dtype}", tuple(shape), dtype, data, scales, zps, axis))
        return len(self.tensors) - 1

    def state(self, shape, dtype: str = "float32", scale=None, zero_point=0) -> int:
        """A variable tensor: an op's state, which the runtime keeps across invocations."""
        i = self.tensor(shape, dtype, scale, zero_point)
        self.tensors[i] = replace(self.tensors[i], variable=True)
        return i

    def input(self, shape, dtype: str = "float32", scale=None, zero_point=0) -> int:
        i = self.tensor(shape, dtype, scale, zero_point)
        self.inputs.append(i)
        return i

    def weights(self, shape, dtype: str = "float32", scale=None, axis: int = 0) -> int:
        if dtype == "float32":
            data = self.rng.standard_normal(shape).astype(np.float32) * 0.5
        elif dtype == "int32":
            data = self.rng.integers(-2000, 2000, size=shape).astype(np.int32)
        else:
            data = self.rng.integers(-127, 128, size=shape).astype(np.int8)
        return self.tensor(shape, dtype, scale, 0, data, axis)

    def const(self, values, dtype: str = "int32") -> int:
        data = np.asarray(values, dtype=np.int32 if dtype == "int32" else np.float32)
        return self.tensor(data.shape, dtype, data=data)

    def op(self, opcode: str, ins: list[int], outs: list[int], opts=None) -> None:
        self.ops.append(Op(opcode, tuple(ins), tuple(outs), options=opts))

    def model(self, outputs: list[int] | None = None) -> ModelInfo:
        g = Graph(self.tensors, self.ops, tuple(self.inputs), tuple(outputs or self.outputs))
        return load_bytes(build(g))


def refusal(build: Callable[[GraphBuilder], ModelInfo]) -> str:
    """The generator's message for the model ``build`` makes (from a seeded builder); the generator must refuse it."""
    with pytest.raises(AotUnsupported) as err:
        generate(build(GraphBuilder(np.random.default_rng(0))))
    return err.value.message
