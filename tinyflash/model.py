"""Read a ``.tflite`` file into an immutable :class:`ModelInfo`.

Everything later stages need (ops, tensors, quantization, constant data, op options) is decoded here
once, eagerly, so a malformed file fails in one place with one clear error instead of deep inside a
later stage. Parsing uses the maintained ``tflite`` flatbuffer binding; this module only adds the
bounds checks that binding does not do, because a fuzzed file must never take the process down.
"""

from __future__ import annotations

import hashlib
import inspect
import struct
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import tflite

from .errors import ModelError

#: The flatbuffer file identifier of a TFLite model (bytes 4..8).
FILE_IDENTIFIER = b"TFL3"
#: Flatbuffers address at most 2 GiB; a model bigger than that cannot be a valid single flatbuffer.
MAX_MODEL_BYTES = 2**31 - 1
#: The schema version TFLM (and every converter since 2018) writes and accepts.
SCHEMA_VERSION = 3

_TYPE_NAMES = {v: k.lower() for k, v in vars(tflite.TensorType).items() if not k.startswith("_")}
_TYPE_SIZES = {
    "float32": 4,
    "float16": 2,
    "int32": 4,
    "uint8": 1,
    "int64": 8,
    "string": 1,
    "bool": 1,
    "int16": 2,
    "complex64": 8,
    "int8": 1,
    "float64": 8,
    "complex128": 16,
    "uint64": 8,
    "resource": 1,
    "variant": 1,
    "uint32": 4,
    "uint16": 2,
    "int4": 1,
    "bfloat16": 2,
}
_OPTION_CLASSES = {v: k for k, v in vars(tflite.BuiltinOptions).items() if not k.startswith("_")}
_OPTION_CLASSES_2 = {v: k for k, v in vars(tflite.BuiltinOptions2).items() if not k.startswith("_")}


@dataclass(frozen=True)
class Quantization:
    """Affine quantization: ``real = scale * (q - zero_point)``, per tensor or per channel."""

    scales: tuple[float, ...]
    zero_points: tuple[int, ...]
    axis: int = 0

    @property
    def per_channel(self) -> bool:
        return len(self.scales) > 1

    @property
    def scale(self) -> float:
        return self.scales[0]

    @property
    def zero_point(self) -> int:
        return self.zero_points[0]


@dataclass(frozen=True)
class Tensor:
    index: int
    name: str
    shape: tuple[int, ...]
    dtype: str
    quant: Quantization | None
    data: bytes | None = field(default=None, repr=False)
    is_variable: bool = False

    @property
    def elements(self) -> int:
        n = 1
        for d in self.shape:
            n *= max(d, 1)
        return n

    @property
    def nbytes(self) -> int:
        if self.dtype == "int4":
            return (self.elements + 1) // 2
        return self.elements * _TYPE_SIZES.get(self.dtype, 1)

    @property
    def is_constant(self) -> bool:
        return self.data is not None


@dataclass(frozen=True)
class Operator:
    """One node of the graph. ``options`` holds the decoded builtin options (snake_case keys)."""

    opcode: str
    custom: bool
    version: int
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    options: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class Subgraph:
    name: str
    tensors: tuple[Tensor, ...]
    operators: tuple[Operator, ...]
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]


@dataclass(frozen=True)
class OpCount:
    name: str
    count: int
    custom: bool = False


@dataclass(frozen=True)
class ModelInfo:
    """Everything known about a model. Built once by :func:`load_model`, passed along unchanged."""

    path: Path
    data: bytes = field(repr=False)
    sha256: str
    schema_version: int
    description: str
    subgraphs: tuple[Subgraph, ...]
    ops: tuple[OpCount, ...]

    @property
    def name(self) -> str:
        return self.path.stem

    @property
    def size_bytes(self) -> int:
        return len(self.data)

    @property
    def main(self) -> Subgraph:
        return self.subgraphs[0]

    @property
    def inputs(self) -> tuple[Tensor, ...]:
        return tuple(self.main.tensors[i] for i in self.main.inputs)

    @property
    def outputs(self) -> tuple[Tensor, ...]:
        return tuple(self.main.tensors[i] for i in self.main.outputs)

    @property
    def parameter_bytes(self) -> int:
        """Bytes of constant tensor data (weights, biases, shapes) across all subgraphs."""
        return sum(t.nbytes for sg in self.subgraphs for t in sg.tensors if t.is_constant)

    @property
    def builtin_ops(self) -> tuple[str, ...]:
        return tuple(o.name for o in self.ops if not o.custom)

    @property
    def custom_ops(self) -> tuple[str, ...]:
        return tuple(o.name for o in self.ops if o.custom)

    @property
    def is_scalar_regressor(self) -> bool:
        """One input and one output, each a single value: the shape of the book's sine model."""
        return (
            len(self.inputs) == 1
            and len(self.outputs) == 1
            and self.inputs[0].elements == 1
            and self.outputs[0].elements == 1
        )


def load_model(path: str | Path) -> ModelInfo:
    """Read and fully decode a ``.tflite`` file, or raise :class:`ModelError` saying what is wrong."""
    path = Path(path)
    data = _read_bytes(path)
    return parse_model(data, path)


def parse_model(data: bytes, path: Path = Path("model.tflite")) -> ModelInfo:
    """Decode model bytes. Any inconsistency becomes a :class:`ModelError` naming the file."""
    _check_header(data, path)
    try:
        return _decode(data, path)
    except ModelError:
        raise
    # The binding indexes raw bytes with offsets taken from the file; on a corrupt file it fails with
    # whatever Python raises for a bad index or decode. All of them mean the same thing to the user.
    except (
        struct.error,
        IndexError,
        ValueError,
        TypeError,
        OverflowError,
        UnicodeDecodeError,
        KeyError,
        AttributeError,
        RecursionError,
        MemoryError,
    ) as exc:
        raise ModelError(
            f"{path} is corrupt or truncated: {_decode_failure(exc)}",
            "re-export the model with the TFLite converter",
        ) from exc


def _decode_failure(exc: BaseException) -> str:
    """What a decoding exception means for the file, in words (not the Python exception's name)."""
    if isinstance(exc, (struct.error, IndexError)):
        return "a table or vector offset points outside the file"
    if isinstance(exc, UnicodeDecodeError):
        return "a string in it is not valid UTF-8"
    if isinstance(exc, (OverflowError, MemoryError)):
        return "a size in it is impossibly large"
    if isinstance(exc, RecursionError):
        return "its tables refer to each other in a loop"
    return "its flatbuffer tables are inconsistent"


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, read at most to the size limit: ``/dev/zero`` or a pipe must not fill memory."""
    hint = "pass the path of a .tflite file"
    try:
        if path.is_dir():
            raise ModelError(f"{path} is a directory, not a model file", hint)
        if path.stat().st_size > MAX_MODEL_BYTES:  # a regular file says its size; devices and pipes say 0
            raise ModelError(
                f"{path} is {path.stat().st_size:,} bytes; a .tflite flatbuffer is at most 2 GiB",
                "check that this is the model file you meant",
            )
        with path.open("rb") as f:
            head = f.read(8)
            if len(head) == 8 and head[4:8] != FILE_IDENTIFIER:
                return head  # not a model: _check_header says so without reading on
            data = head + f.read(MAX_MODEL_BYTES + 1 - len(head))
    except FileNotFoundError:
        raise ModelError(f"{path} does not exist", hint) from None
    except PermissionError:
        raise ModelError(f"{path} is not readable (permission denied)", "fix its permissions") from None
    except OSError as exc:
        raise ModelError(f"cannot read {path}: {exc.strerror or exc}", hint) from None
    if len(data) > MAX_MODEL_BYTES:
        raise ModelError(
            f"{path} holds more than 2 GiB; a .tflite flatbuffer is at most 2 GiB",
            "check that this is the model file you meant",
        )
    return data


def _check_header(data: bytes, path: Path) -> None:
    if not data:
        raise ModelError(f"{path} is empty", "re-export the model; the file has no bytes")
    if len(data) < 8:
        raise ModelError(
            f"{path} is too short to be a .tflite model ({len(data)} bytes)",
            "re-export the model with the TFLite converter",
        )
    if data[4:8] != FILE_IDENTIFIER:
        raise ModelError(
            f"{path} is not a TFLite flatbuffer (file identifier {data[4:8].hex(' ')}, expected 54 46 4c 33 'TFL3')",
            "convert the model with tf.lite.TFLiteConverter and pass the .tflite file",
        )
    root = struct.unpack_from("<I", data, 0)[0]
    if root < 8 or root + 4 > len(data):
        raise ModelError(
            f"{path} is truncated or corrupt (root table offset {root} is outside the file)",
            "re-export the model with the TFLite converter",
        )


class _Bounds:
    """Rejects vector lengths that cannot fit in the file before the binding loops over them."""

    def __init__(self, data: bytes, path: Path) -> None:
        self.limit = len(data)
        self.path = path

    def __call__(self, n: int, what: str) -> int:
        if n < 0 or n > self.limit:
            raise ModelError(
                f"{self.path} is corrupt: {what} claims {n:,} entries", "re-export the model with the TFLite converter"
            )
        return n


def _decode(data: bytes, path: Path) -> ModelInfo:
    bounds = _Bounds(data, path)
    model = tflite.Model.GetRootAs(data, 0)
    version = model.Version()
    description = (model.Description() or b"").decode("utf-8", "replace")

    opcodes: list[tuple[str, bool, int]] = []
    for i in range(bounds(model.OperatorCodesLength(), "operator code table")):
        oc = model.OperatorCodes(i)
        code = max(oc.BuiltinCode(), oc.DeprecatedBuiltinCode())
        if code == tflite.BuiltinOperator.CUSTOM:
            name = (oc.CustomCode() or b"").decode("utf-8", "replace") or "<unnamed custom op>"
            opcodes.append((name, True, oc.Version()))
        else:
            name = tflite.BUILTIN_OPCODE2NAME.get(code, f"BUILTIN_{code}")
            opcodes.append((name, False, oc.Version()))

    buffers = _buffers(model, data, bounds)
    n_sub = bounds(model.SubgraphsLength(), "subgraph table")
    if n_sub == 0:
        raise ModelError(f"{path} has no subgraphs", "re-export the model with the TFLite converter")
    subgraphs = tuple(_subgraph(model.Subgraphs(i), opcodes, buffers, bounds, path) for i in range(n_sub))

    counts: Counter[tuple[str, bool]] = Counter()
    for sg in subgraphs:
        for op in sg.operators:
            counts[(op.opcode, op.custom)] += 1
    ops = tuple(OpCount(name, n, custom) for (name, custom), n in sorted(counts.items()))
    return ModelInfo(
        path=path,
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
        schema_version=version,
        description=description,
        subgraphs=subgraphs,
        ops=ops,
    )


def _buffers(model: Any, data: bytes, bounds: _Bounds) -> list[bytes | None]:
    out: list[bytes | None] = []
    for i in range(bounds(model.BuffersLength(), "buffer table")):
        buf = model.Buffers(i)
        offset, size = buf.Offset(), buf.Size()
        if offset > 1:  # models over 2 GiB keep tensor data after the flatbuffer
            if offset + size > len(data):
                raise ModelError(f"buffer {i} points past the end of the file", "the file is truncated")
            out.append(data[offset : offset + size] or None)
        else:
            n = bounds(buf.DataLength(), f"buffer {i}")
            out.append(buf.DataAsNumpy().tobytes() if n else None)
    return out


def _subgraph(sg: Any, opcodes: list, buffers: list, bounds: _Bounds, path: Path) -> Subgraph:
    tensors = []
    for i in range(bounds(sg.TensorsLength(), "tensor table")):
        t = sg.Tensors(i)
        shape = tuple(int(d) for d in t.ShapeAsNumpy()) if bounds(t.ShapeLength(), "shape") else ()
        if any(d < 0 for d in shape):
            raise ModelError(f"{path}: tensor {i} has a negative dimension {list(shape)}", "the file is corrupt")
        b = t.Buffer()
        if b >= len(buffers):
            raise ModelError(f"{path}: tensor {i} refers to missing buffer {b}", "the file is corrupt")
        tensors.append(
            Tensor(
                index=i,
                name=(t.Name() or b"").decode("utf-8", "replace"),
                shape=shape,
                dtype=_TYPE_NAMES.get(t.Type(), f"type{t.Type()}"),
                quant=_quantization(t.Quantization(), bounds),
                data=buffers[b] if b else None,
                is_variable=bool(t.IsVariable()),
            )
        )
    n_t = len(tensors)

    def indices(vec: Any, what: str, optional: bool = True) -> tuple[int, ...]:
        idx = tuple(int(v) for v in vec) if not isinstance(vec, int) else ()
        for v in idx:
            if v < (-1 if optional else 0) or v >= n_t:
                raise ModelError(f"{path}: {what} refers to tensor {v} of {n_t}", "the file is corrupt")
        return idx

    operators = []
    for i in range(bounds(sg.OperatorsLength(), "operator list")):
        op = sg.Operators(i)
        oi = op.OpcodeIndex()
        if oi >= len(opcodes):
            raise ModelError(f"{path}: operator {i} uses unknown opcode {oi}", "the file is corrupt")
        name, custom, version = opcodes[oi]
        bounds(op.InputsLength(), "operator inputs")
        bounds(op.OutputsLength(), "operator outputs")
        operators.append(
            Operator(
                opcode=name,
                custom=custom,
                version=version,
                inputs=indices(op.InputsAsNumpy(), f"operator {i} ({name}) input"),
                outputs=indices(op.OutputsAsNumpy(), f"operator {i} ({name}) output"),
                options=MappingProxyType(_options(op)),
            )
        )
    bounds(sg.InputsLength(), "subgraph inputs")
    bounds(sg.OutputsLength(), "subgraph outputs")
    return Subgraph(
        name=(sg.Name() or b"").decode("utf-8", "replace"),
        tensors=tuple(tensors),
        operators=tuple(operators),
        inputs=indices(sg.InputsAsNumpy(), "subgraph input", optional=False),
        outputs=indices(sg.OutputsAsNumpy(), "subgraph output", optional=False),
    )


def _quantization(q: Any, bounds: _Bounds) -> Quantization | None:
    if q is None or not bounds(q.ScaleLength(), "quantization scales"):
        return None
    scales = tuple(float(s) for s in q.ScaleAsNumpy())
    zps = tuple(int(z) for z in q.ZeroPointAsNumpy()) if bounds(q.ZeroPointLength(), "zero points") else ()
    if len(zps) < len(scales):
        zps = zps + (0,) * (len(scales) - len(zps))
    return Quantization(scales, zps, int(q.QuantizedDimension()))


def _snake(name: str) -> str:
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i and not name[i - 1].isupper():
            out.append("_")
        out.append(ch.lower())
    return "".join(out)


def _options(op: Any) -> dict[str, Any]:
    """Decode an operator's builtin options table into a plain dict, generically over the schema."""
    kind = op.BuiltinOptionsType()
    table = op.BuiltinOptions()
    cls_name = _OPTION_CLASSES.get(kind)
    if (not kind or table is None) and op.BuiltinOptions2Type():
        kind, table = op.BuiltinOptions2Type(), op.BuiltinOptions2()
        cls_name = _OPTION_CLASSES_2.get(kind)
    if not kind or table is None or cls_name is None:
        return {}
    cls = getattr(tflite, cls_name, None)
    if cls is None:
        return {}
    obj = cls()
    obj.Init(table.Bytes, table.Pos)
    out: dict[str, Any] = {}
    for attr in dir(cls):
        if attr.startswith("_") or attr in ("Init", "GetRootAs") or attr.startswith("GetRootAs"):
            continue
        if attr.endswith(("AsNumpy", "IsNone", "Length", "BufferHasIdentifier")):
            continue
        fn = getattr(obj, attr)
        params = len(inspect.signature(fn).parameters)
        if params == 0:
            value = fn()
            if isinstance(value, (int, float, bool)):
                out[_snake(attr)] = value
            elif isinstance(value, bytes):  # a string field: VAR_HANDLE's container and shared_name
                out[_snake(attr)] = value.decode("utf-8", "replace")
        elif params == 1 and hasattr(obj, attr + "Length"):
            n = getattr(obj, attr + "Length")()
            if isinstance(n, int) and 0 <= n <= len(table.Bytes):
                out[_snake(attr)] = tuple(fn(j) for j in range(n))
    return out
