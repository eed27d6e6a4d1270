"""The kernel library itself: real C++ headers (self-contained, formatted, warning-free for the host and
Cortex-M), each parameter struct defined once and rendered as a named initializer from that definition."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from aot_support import ARM_FLAGS, HOST_FLAGS

from conftest import require_tool
from tinyflash.aot import library
from tinyflash.aot.library import Ref, initializer
from tinyflash.errors import ModelError

HEADERS = library.all_headers()


def test_every_header_parses_and_struct_names_are_unique() -> None:
    assert {"reference", "dsp", "common"} <= {h.split("/")[0] for h in HEADERS}
    structs = library.structs()  # raises on a duplicate name or an unreadable field
    assert {"ConvInt8Params", "MatMulInt8Params", "ConvInt8DspParams", "DepthwiseConvInt8DspParams"} <= set(structs)
    for path in HEADERS:
        for dep in library.header(path).includes:
            assert dep in HEADERS, f"{path} includes {dep}, which is not in the library"


def test_initializer_is_named_in_declaration_order_and_complete() -> None:
    fields = {"count": 3, "input_zero_point": -4, "output_zero_point": 5, "multiplier": 1 << 30, "shift": -2}
    assert initializer("RequantizeParams", dict(reversed(fields.items()))) == (
        "{.count = 3, .input_zero_point = -4, .output_zero_point = 5, .multiplier = 1073741824, .shift = -2}"
    )
    with pytest.raises(ValueError, match=r"missing fields \['shift'\]"):
        initializer("RequantizeParams", {k: v for k, v in fields.items() if k != "shift"})
    with pytest.raises(ValueError, match="unknown fields"):
        initializer("RequantizeParams", fields | {"scale": 1})
    with pytest.raises(ModelError, match="does not fit int32_t"):
        initializer("RequantizeParams", fields | {"count": 2**31})
    with pytest.raises(ValueError, match="pointer"):
        initializer("DequantizeInt8Params", {"count": 1, "table": "kTable"})
    assert ".table = kTable" in initializer("DequantizeInt8Params", {"count": 1, "table": Ref("kTable")})


def test_nested_structs_and_arrays_render_named() -> None:
    text = initializer(
        "PadParams", {"input_shape": [1, 2, 3, 4], "output_shape": [1, 4, 5, 4], "before": [0, 1, 1, 0], "pad_value": 0}
    )
    assert text == "{.input_shape = {1, 2, 3, 4}, .output_shape = {1, 4, 5, 4}, .before = {0, 1, 1, 0}, .pad_value = 0}"
    window = {name: 1 for name in ("batches", "input_height", "input_width", "input_depth", "output_height",
              "output_width", "output_depth", "filter_height", "filter_width", "stride_height", "stride_width",
              "dilation_height", "dilation_width", "pad_height", "pad_width")}  # fmt: skip
    text = initializer("PoolInt8Params", {"window": window, "activation_min": -128, "activation_max": 127})
    assert text.startswith("{\n    .window = {.batches = 1, .input_height = 1,") and text.count("\n") == 6


def _compile(args: list[str]) -> str:
    proc = subprocess.run(args, capture_output=True, text=True, timeout=300)
    return "" if proc.returncode == 0 and not proc.stderr else f"{' '.join(args[-3:])}:\n{proc.stderr[:3000]}"


@pytest.mark.integration
def test_every_header_compiles_on_its_own_for_the_host(tmp_path: Path) -> None:
    compiler = require_tool("g++")
    jobs = []
    for path in HEADERS:
        unit = tmp_path / (path.replace("/", "_") + ".cc")
        unit.write_text(f'#include "{path}"\n')
        jobs.append([compiler, *HOST_FLAGS, "-fsyntax-only", "-I", str(library.KERNELS_DIR), str(unit)])
    with ThreadPoolExecutor(max_workers=2) as pool:
        errors = [e for e in pool.map(_compile, jobs) if e]
    assert not errors, "\n".join(errors)


@pytest.mark.integration
@pytest.mark.parametrize(("std", "defines"), [("c++17", []), ("gnu++14", ["-DTINYFLASH_DSP_ASM"])])
def test_all_headers_compile_together_for_cortex_m(tmp_path: Path, std: str, defines: list[str]) -> None:
    """With the DSP extension (ACLE intrinsics, or their inline-assembly forms for compilers before GCC 10) and in
    C++14, which Arduino cores still use."""
    compiler = require_tool("arm-none-eabi-g++")
    unit = tmp_path / "all.cc"
    unit.write_text("".join(f'#include "{p}"\n' for p in HEADERS))
    flags = [f for f in ARM_FLAGS if not f.startswith("-std=")]
    include = ["-I", str(library.KERNELS_DIR)]
    error = _compile([compiler, *flags, f"-std={std}", *defines, "-fsyntax-only", *include, str(unit)])
    assert not error, error


@pytest.mark.integration
def test_headers_are_clang_formatted() -> None:
    venv_tool = Path(sys.executable).parent / "clang-format"  # the dev extra installs it into the venv
    tool = str(venv_tool) if venv_tool.is_file() else require_tool("clang-format")
    proc = subprocess.run(
        [tool, "--dry-run", "-Werror", *(str(library.KERNELS_DIR / p) for p in HEADERS)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[:3000] + "\n(run clang-format -i on tinyflash/aot/kernels/**/*.h)"
