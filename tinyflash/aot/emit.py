"""Small helpers that turn Python values into C++ text: identifiers, literals, constant arrays."""

from __future__ import annotations

import math
import re

import numpy as np

#: int64: the bias of 16x8 ops (constants only; no op reads or writes int64 activations).
CTYPES = {"float32": "float", "int8": "int8_t", "uint8": "uint8_t", "int16": "int16_t", "int32": "int32_t"} | {
    "int64": "int64_t"
}
SIZES = {"float": 4, "int8_t": 1, "uint8_t": 1, "int16_t": 2, "int32_t": 4, "uint32_t": 4, "int64_t": 8}
NUMPY = {"float32": np.float32, "int8": np.int8, "uint8": np.uint8, "int16": np.int16, "int32": np.int32} | {
    "int64": np.int64
}
RUNTIME_TYPES = {
    "float32": "Type::kFloat32",
    "int8": "Type::kInt8",
    "uint8": "Type::kUInt8",
    "int16": "Type::kInt16",
    "int32": "Type::kInt32",
}


def sanitize(name: str, limit: int = 40) -> str:
    """An ASCII identifier fragment from any tensor name (names are arbitrary UTF-8)."""
    cleaned = re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_")
    return cleaned[:limit].rstrip("_")


def float_literal(x: float) -> str:
    """A float literal that reads back as exactly the same float32."""
    x = float(np.float32(x))
    if math.isnan(x):
        return "NAN"
    if math.isinf(x):
        return "INFINITY" if x > 0 else "-INFINITY"
    text = f"{x:.9g}"
    if not any(ch in text for ch in ".e"):
        text += ".0"
    return text + "f"


def int_literal(v: int) -> str:
    v = int(v)
    if v == -(2**31):
        return "INT32_MIN"
    return f"0x{v:08x}u" if v >= 2**31 else str(v)


def literal(value: float | int | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (float, np.floating)):
        return float_literal(float(value))
    return int_literal(value)


def braces(values) -> str:
    return "{" + ", ".join(literal(v) for v in values) + "}"


def array(ctype: str, name: str, values, per_line: int = 16, align: bool = False, qualifier: str = "const") -> str:
    """A constant array definition, wrapped to readable lines."""
    items = [literal(v) for v in values]
    prefix = "alignas(16) " if align else ""
    head = f"{prefix}{qualifier} {ctype} {name}[{len(items)}] = {{"
    if len(items) <= per_line:
        return head + ", ".join(items) + "};"
    lines = [head]
    for i in range(0, len(items), per_line):
        lines.append("    " + ", ".join(items[i : i + per_line]) + ",")
    lines.append("};")
    return "\n".join(lines)


def tensor_values(data: bytes, dtype: str, count: int) -> list:
    """The elements of a constant tensor's buffer (which must hold exactly ``count`` of them)."""
    if len(data) != count * np.dtype(NUMPY[dtype]).itemsize:
        from ..errors import ModelError

        raise ModelError(
            f"a constant {dtype} tensor holds {len(data)} bytes, not {count} elements", "re-export the model"
        )
    arr = np.frombuffer(data, dtype=NUMPY[dtype])
    if dtype == "float32":
        return [float(v) for v in arr]
    return [int(v) for v in arr]


_CALL = re.compile(r"^([A-Za-z_][\w<>:]*\()(.*)\);$")


def wrap_call(line: str, width: int = 110) -> list[str]:
    """A call statement, its arguments continued under the first one when the line is longer than ``width``."""
    m = _CALL.match(line)
    if len(line) <= width or m is None:
        return [line]
    head, args = m.group(1), m.group(2).split(", ")
    lines, current = [], head
    for i, arg in enumerate(args):
        piece = arg + (", " if i + 1 < len(args) else ");")
        if len(current) + len(piece.rstrip()) > width and current.strip() and current != head:
            lines.append(current.rstrip())
            current = " " * len(head)
        current += piece
    return [*lines, current]
