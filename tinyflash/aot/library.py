"""The kernel library: C++ headers in ``aot/kernels/`` (``common/``, ``reference/``, ``dsp/``).

The headers are real, self-contained C++ that tests compile directly. A generated ``model_aot.cc``
inlines only the headers its chosen implementations name, dependencies first (an amalgamation: local
``#include`` lines and include guards dropped, system includes hoisted to the top).

Each kernel's parameter struct is defined once, in its header. :func:`initializer` reads that
definition and renders a *named* initializer (``.field = value`` in declaration order) from a dict
keyed by field name, so a Python emitter can never fill fields positionally, miss one or invent one;
values are range-checked against the field's C type.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ..errors import ModelError
from . import emit

KERNELS_DIR = Path(__file__).resolve().parent / "kernels"

_LOCAL_INCLUDE = re.compile(r'^#include "([^"]+)"\s*$')
_SYSTEM_INCLUDE = re.compile(r"^#include <([^>]+)>\s*$")
#: An `#if` around nothing but system includes and macro definitions (<arm_acle.h> where the compiler has the DSP
#: intrinsics): hoisted whole, to the top of the generated file.
_CONDITIONAL_INCLUDES = re.compile(r"^#if[^\n]*\n(?:#(?:include <[^>]+>|define \w+[^\n]*)\n)+#endif[^\n]*\n", re.M)
_STRUCT = re.compile(r"^struct (\w+) \{\n(.*?)\n\};", re.S | re.M)
_FIELD = re.compile(r"^(const )?(\w+)(\*)? (\w+)(?:\[(\d+)\])?;$")
_INT_RANGES = {
    "int8_t": (-(2**7), 2**7 - 1),
    "uint8_t": (0, 2**8 - 1),
    "int16_t": (-(2**15), 2**15 - 1),
    "int32_t": (-(2**31), 2**31 - 1),
    "uint32_t": (0, 2**32 - 1),
}


@dataclass(frozen=True)
class Field:
    name: str
    ctype: str  # base type: int32_t, float, bool, or another struct's name
    pointer: bool = False
    length: int | None = None  # fixed-size array


@dataclass(frozen=True)
class CStruct:
    name: str
    fields: tuple[Field, ...]
    header: str


@dataclass(frozen=True)
class Header:
    path: str  # relative to KERNELS_DIR, e.g. "reference/conv_int8.h"
    includes: tuple[str, ...]  # local headers it needs
    system_includes: tuple[str, ...]
    system_blocks: tuple[str, ...]  # conditional system includes, verbatim
    body: str  # without guards and include lines
    structs: tuple[CStruct, ...]


@cache
def header(path: str) -> Header:
    """Parse one kernel header (``path`` relative to the kernels folder)."""
    text = (KERNELS_DIR / path).read_text()
    guard = re.search(r"^#ifndef (\w+)\n#define \1\n", text, re.M)
    if guard is None or not text.rstrip().endswith(f"#endif  // {guard.group(1)}"):
        raise ValueError(f"kernel header {path} needs an include guard around its whole content")
    inner = text[guard.end() : text.rstrip().rindex("#endif")]
    blocks = tuple(m.group(0).strip("\n") for m in _CONDITIONAL_INCLUDES.finditer(inner))
    inner = _CONDITIONAL_INCLUDES.sub("", inner)
    preamble = text[: guard.start()].rstrip("\n")
    includes, system, lines = [], [], []
    for line in inner.split("\n"):
        if m := _LOCAL_INCLUDE.match(line):
            includes.append(m.group(1))
        elif m := _SYSTEM_INCLUDE.match(line):
            system.append(m.group(1))
        else:
            lines.append(line)
    body = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")
    body = f"{preamble}\n{body}" if preamble else body
    structs = tuple(_parse_struct(m.group(1), m.group(2), path) for m in _STRUCT.finditer(text))
    return Header(path, tuple(includes), tuple(system), blocks, body, structs)


def _parse_struct(name: str, text: str, path: str) -> CStruct:
    fields = []
    for raw in text.split("\n"):
        line = " ".join(raw.split("//", 1)[0].split())
        if not line:
            continue
        m = _FIELD.match(line)
        if m is None:
            raise ValueError(f"{path}: struct {name}: cannot read field declaration {raw.strip()!r}")
        fields.append(Field(m.group(4), m.group(2), bool(m.group(3)), int(m.group(5)) if m.group(5) else None))
    return CStruct(name, tuple(fields), path)


def all_headers() -> list[str]:
    return sorted(str(p.relative_to(KERNELS_DIR)) for p in KERNELS_DIR.rglob("*.h"))


@cache
def structs() -> dict[str, CStruct]:
    """Every parameter struct of the library by name (names are unique across the library)."""
    found: dict[str, CStruct] = {}
    for path in all_headers():
        for s in header(path).structs:
            if s.name in found:
                raise ValueError(f"struct {s.name} is defined in both {found[s.name].header} and {path}")
            found[s.name] = s
    return found


def amalgamate(paths: Iterable[str]) -> tuple[list[str], list[str], str]:
    """System includes, conditional include blocks, and the text of ``paths`` plus everything they
    include, dependencies first."""
    order: list[str] = []

    def visit(path: str) -> None:
        if path in order:
            return
        for dep in header(path).includes:
            visit(dep)
        order.append(path)

    for path in sorted(paths):
        visit(path)
    system = sorted({inc for p in order for inc in header(p).system_includes})
    blocks = list(dict.fromkeys(b for p in order for b in header(p).system_blocks))
    return system, blocks, "\n\n".join(f"// ---- kernels/{p} ----\n{header(p).body}" for p in order)


class Ref(str):
    """A C expression naming an object (a pointer field's value): ``kOp3Multiplier``, ``&kOp3Broadcast``."""


def initializer(struct: str, values: Mapping[str, object], indent: int = 0, nested: bool = False) -> str:
    """``{.a = 1, .b = 2}`` for ``struct`` from ``values`` keyed by field name (all fields, no others).

    Too long for one line, the top level puts one field per line and nested structs fill their lines."""
    s = structs()[struct]
    names = [f.name for f in s.fields]
    missing = [n for n in names if n not in values]
    extra = [n for n in values if n not in names]
    if missing or extra:
        raise ValueError(f"{struct}: missing fields {missing}, unknown fields {extra}")
    items = [f".{f.name} = {_value(struct, f, values[f.name], indent + 4)}" for f in s.fields]
    one_line = "{" + ", ".join(items) + "}"
    if len(one_line) + indent <= 100 and "\n" not in one_line:
        return one_line
    if nested:
        lines, line, start = [], "{", indent  # start: the column the current line begins at
        for item in items:
            if start + len(line) + len(item) > 110 and line.strip() != "{":
                lines.append(line.rstrip())
                line, start = " " * (indent + 1), 0
            line += item + ", "
        return "\n".join([*lines, line.rstrip(", ") + "}"])
    pad = " " * (indent + 4)
    return "{\n" + "".join(f"{pad}{item},\n" for item in items) + " " * indent + "}"


def _value(struct: str, f: Field, value: object, indent: int) -> str:
    where = f"{struct}.{f.name}"
    if f.length is not None:
        if not isinstance(value, (list, tuple)) or len(value) != f.length:
            raise ValueError(f"{where} needs {f.length} values")
        return "{" + ", ".join(_scalar(where, f.ctype, v) for v in value) + "}"
    if f.pointer:
        if value is None:
            return "nullptr"
        if not isinstance(value, Ref):
            raise ValueError(f"{where} is a pointer: pass a Ref or None, not {value!r}")
        return str(value)
    if f.ctype in structs():
        if not isinstance(value, Mapping):
            raise ValueError(f"{where} is a struct {f.ctype}: pass a mapping")
        return initializer(f.ctype, value, indent + len(f.name) + 4, nested=True)
    return _scalar(where, f.ctype, value)


def _scalar(where: str, ctype: str, value: object) -> str:
    if ctype == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"{where} is bool, not {value!r}")
        return "true" if value else "false"
    if ctype == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{where} is float, not {value!r}")
        return emit.float_literal(float(value))
    if ctype in _INT_RANGES:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{where} is {ctype}, not {value!r}")
        lo, hi = _INT_RANGES[ctype]
        if not lo <= value <= hi:
            raise ModelError(
                f"parameter {where} = {value} does not fit {ctype}; the AOT runtime cannot compile this model",
                "use --runtime tflm",
            )
        return emit.int_literal(value)
    raise ValueError(f"{where}: unsupported field type {ctype}")
