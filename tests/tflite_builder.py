"""Build small ``.tflite`` flatbuffers in tests, without TensorFlow.

Enough of the schema for what the tests need: tensors with shapes, types, constant data and
quantization; builtin or custom operators with optional builtin options.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import flatbuffers
import numpy as np
import tflite

DTYPES = {"float32": 0, "int32": 2, "uint8": 3, "int64": 4, "int8": 9, "int16": 7, "resource": 13}


@dataclass
class T:
    name: str
    shape: tuple[int, ...]
    dtype: str = "float32"
    data: np.ndarray | None = None
    scales: tuple[float, ...] = ()
    zero_points: tuple[int, ...] = ()
    axis: int = 0
    variable: bool = False  #: a variable tensor (an op's state kept across invocations, e.g. SVDF's)


@dataclass
class Op:
    opcode: str  # builtin name, or the custom code when custom=True
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    custom: bool = False
    options: tuple[str, Any] | None = None  # (options table name e.g. "FullyConnectedOptions", builder fn)


@dataclass
class Graph:
    tensors: list[T]
    ops: list[Op]
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    version: int = 3
    description: str = "tinyflash test model"
    extra: dict = field(default_factory=dict)


def _vec(b: flatbuffers.Builder, start_fn, values, prepend) -> int:
    start_fn(b, len(values))
    for v in reversed(values):
        prepend(v)
    return b.EndVector()


def build(g: Graph) -> bytes:
    b = flatbuffers.Builder(1024)
    # Buffers: 0 is the empty sentinel; one per constant tensor.
    buffer_data = [None] + [t.data for t in g.tensors if t.data is not None]
    buffers = []
    for data in buffer_data:
        if data is None:
            tflite.BufferStart(b)
            buffers.append(tflite.BufferEnd(b))
            continue
        raw = np.ascontiguousarray(data).tobytes()
        b.StartVector(1, len(raw), 16)
        b.head = b.head - len(raw)
        b.Bytes[b.head : b.head + len(raw)] = raw
        vec = b.EndVector()
        tflite.BufferStart(b)
        tflite.BufferAddData(b, vec)
        buffers.append(tflite.BufferEnd(b))

    tensors = []
    next_buf = 1
    for t in g.tensors:
        name = b.CreateString(t.name)
        shape = _vec(b, tflite.TensorStartShapeVector, list(t.shape), b.PrependInt32)
        quant = None
        if t.scales:
            sc = _vec(b, tflite.QuantizationParametersStartScaleVector, list(t.scales), b.PrependFloat32)
            zp = _vec(b, tflite.QuantizationParametersStartZeroPointVector, list(t.zero_points), b.PrependInt64)
            tflite.QuantizationParametersStart(b)
            tflite.QuantizationParametersAddScale(b, sc)
            tflite.QuantizationParametersAddZeroPoint(b, zp)
            tflite.QuantizationParametersAddQuantizedDimension(b, t.axis)
            quant = tflite.QuantizationParametersEnd(b)
        tflite.TensorStart(b)
        tflite.TensorAddName(b, name)
        tflite.TensorAddShape(b, shape)
        tflite.TensorAddType(b, DTYPES[t.dtype])
        if t.data is not None:
            tflite.TensorAddBuffer(b, next_buf)
            next_buf += 1
        if quant is not None:
            tflite.TensorAddQuantization(b, quant)
        if t.variable:
            tflite.TensorAddIsVariable(b, True)
        tensors.append(tflite.TensorEnd(b))

    codes: list[tuple[str, bool]] = []
    for op in g.ops:
        if (op.opcode, op.custom) not in codes:
            codes.append((op.opcode, op.custom))
    code_offsets = []
    for name, custom in codes:
        custom_name = b.CreateString(name) if custom else None
        code = tflite.BuiltinOperator.CUSTOM if custom else getattr(tflite.BuiltinOperator, name)
        tflite.OperatorCodeStart(b)
        tflite.OperatorCodeAddDeprecatedBuiltinCode(b, min(code, 127))
        tflite.OperatorCodeAddBuiltinCode(b, code)
        tflite.OperatorCodeAddVersion(b, 1)
        if custom_name is not None:
            tflite.OperatorCodeAddCustomCode(b, custom_name)
        code_offsets.append(tflite.OperatorCodeEnd(b))

    operators = []
    for op in g.ops:
        ins = _vec(b, tflite.OperatorStartInputsVector, list(op.inputs), b.PrependInt32)
        outs = _vec(b, tflite.OperatorStartOutputsVector, list(op.outputs), b.PrependInt32)
        opts = None
        if op.options is not None:
            kind, fill = op.options
            opts = fill(b)
        tflite.OperatorStart(b)
        tflite.OperatorAddOpcodeIndex(b, codes.index((op.opcode, op.custom)))
        tflite.OperatorAddInputs(b, ins)
        tflite.OperatorAddOutputs(b, outs)
        if opts is not None:
            tflite.OperatorAddBuiltinOptionsType(b, getattr(tflite.BuiltinOptions, kind))
            tflite.OperatorAddBuiltinOptions(b, opts)
        operators.append(tflite.OperatorEnd(b))

    t_vec = _vec(b, tflite.SubGraphStartTensorsVector, tensors, b.PrependUOffsetTRelative)
    o_vec = _vec(b, tflite.SubGraphStartOperatorsVector, operators, b.PrependUOffsetTRelative)
    i_vec = _vec(b, tflite.SubGraphStartInputsVector, list(g.inputs), b.PrependInt32)
    out_vec = _vec(b, tflite.SubGraphStartOutputsVector, list(g.outputs), b.PrependInt32)
    sg_name = b.CreateString("main")
    tflite.SubGraphStart(b)
    tflite.SubGraphAddTensors(b, t_vec)
    tflite.SubGraphAddOperators(b, o_vec)
    tflite.SubGraphAddInputs(b, i_vec)
    tflite.SubGraphAddOutputs(b, out_vec)
    tflite.SubGraphAddName(b, sg_name)
    subgraph = tflite.SubGraphEnd(b)

    sg_vec = _vec(b, tflite.ModelStartSubgraphsVector, [subgraph], b.PrependUOffsetTRelative)
    oc_vec = _vec(b, tflite.ModelStartOperatorCodesVector, code_offsets, b.PrependUOffsetTRelative)
    buf_vec = _vec(b, tflite.ModelStartBuffersVector, buffers, b.PrependUOffsetTRelative)
    desc = b.CreateString(g.description)
    tflite.ModelStart(b)
    tflite.ModelAddVersion(b, g.version)
    tflite.ModelAddOperatorCodes(b, oc_vec)
    tflite.ModelAddSubgraphs(b, sg_vec)
    tflite.ModelAddBuffers(b, buf_vec)
    tflite.ModelAddDescription(b, desc)
    b.Finish(tflite.ModelEnd(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def fully_connected_options(activation: int = 0):
    def fill(b: flatbuffers.Builder) -> int:
        tflite.FullyConnectedOptionsStart(b)
        tflite.FullyConnectedOptionsAddFusedActivationFunction(b, activation)
        return tflite.FullyConnectedOptionsEnd(b)

    return ("FullyConnectedOptions", fill)


def tiny_dense(out_features: int = 4, in_features: int = 3, seed: int = 0) -> bytes:
    """A float FULLY_CONNECTED model: the smallest real model the runtime can run."""
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((out_features, in_features)).astype(np.float32)
    bias = rng.standard_normal(out_features).astype(np.float32)
    g = Graph(
        tensors=[
            T("input", (1, in_features)),
            T("weights", (out_features, in_features), data=w),
            T("bias", (out_features,), data=bias),
            T("output", (1, out_features)),
        ],
        ops=[Op("FULLY_CONNECTED", (0, 1, 2), (3,), options=fully_connected_options())],
        inputs=(0,),
        outputs=(3,),
    )
    return build(g)


def running_sum(width: int = 3) -> bytes:
    """A float model with state in a resource variable: VAR_HANDLE, READ_VARIABLE, ADD of the input, ASSIGN_VARIABLE;
    the output is the sum of every input so far (TFLM starts the variable at 0)."""

    def handle_options(b: flatbuffers.Builder) -> int:
        name = b.CreateString("sum")
        tflite.VarHandleOptionsStart(b)
        tflite.VarHandleOptionsAddSharedName(b, name)
        return tflite.VarHandleOptionsEnd(b)

    tensors = [T("x", (1, width)), T("handle", (), "resource"), T("sum", (1, width)), T("y", (1, width))]
    ops = [
        Op("VAR_HANDLE", (), (1,), options=("VarHandleOptions", handle_options)),
        Op("READ_VARIABLE", (1,), (2,)),
        Op("ADD", (2, 0), (3,)),
        Op("ASSIGN_VARIABLE", (1, 3), ()),
    ]
    return build(Graph(tensors, ops, (0,), (3,)))
