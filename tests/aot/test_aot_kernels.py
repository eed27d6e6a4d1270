"""Every optimized (DSP) kernel against the reference kernel and TFLM, over randomized shapes, zero
points, multipliers, biases and activations (kernel_cases.py), with random and saturating inputs:
on the host (the DSP instructions in portable C) and on QEMU's Cortex-M4 (the real instructions)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from aot_support import RUNTIME_HEADER, HostProgram, build_host_program, oracle
from kernel_cases import extreme_inputs, kernel_cases
from qemu_support import build_firmware, run_firmware
from test_aot_ops import assert_same

from conftest import require_tool
from tinyflash.aot import GENERIC, Target, generate

DSP = Target("dsp-test", frozenset({"dsp"}))
CASES = kernel_cases(6)
NAMES = [c.name for c in CASES]


def _inputs(case: int) -> list[list[np.ndarray]]:
    return extreme_inputs(CASES[case].model, np.random.default_rng(case))


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> HostProgram:
    require_tool("g++")
    models = [c.model for c in CASES]
    targets = [GENERIC] * len(models) + [DSP] * len(models)
    return build_host_program(models * 2, Path(tmp_path_factory.mktemp("aot_kernels")), targets=targets)


def test_cases_reach_every_optimized_implementation_and_both_requantization_paths() -> None:
    seen = set()
    for c in CASES:
        result = generate(c.model, target=DSP)
        assert [ch.implementation for ch in result.choices] == [c.implementation], c.name
        seen.add((c.implementation, ".fast = true" in result.files["model_aot.cc"]))
    implementations = {c.implementation for c in CASES}
    assert seen == {(impl, fast) for impl in implementations for fast in (True, False)}


@pytest.mark.integration
@pytest.mark.parametrize("name", NAMES)
def test_optimized_kernel_matches_reference_on_host(host: HostProgram, name: str) -> None:
    case = NAMES.index(name)
    inputs = _inputs(case)
    reference = host.run(case, inputs)
    assert_same(host.run(len(CASES) + case, inputs), reference)
    assert_same(reference, oracle(CASES[case].model, inputs))


_MAIN = r"""
#include <string.h>

#include "model_runtime.h"
#include "tinyflash_board.h"

@DECLS@

namespace {

struct Runtime {
  model::TensorView (*input)(size_t);
  model::TensorView (*output)(size_t);
  bool (*invoke)();
};

@INPUTS@

struct Case {
  Runtime reference;
  Runtime optimized;
  const int8_t* inputs;
  size_t input_bytes;
};

const Case kCases[] = {
@TABLE@
};

void Write(const char* text) { board_write(text, strlen(text)); }

void WriteHex(const void* data, size_t n) {
  static const char kDigits[] = "0123456789abcdef";
  const uint8_t* bytes = static_cast<const uint8_t*>(data);
  for (size_t i = 0; i < n; ++i) {
    const char pair[2] = {kDigits[bytes[i] >> 4], kDigits[bytes[i] & 15]};
    board_write(pair, 2);
  }
}

void Run(const Runtime& rt, const int8_t* input, size_t n) {
  memcpy(rt.input(0).data, input, n);
  rt.invoke();
  WriteHex(rt.output(0).data, rt.output(0).elements);
}

}  // namespace

extern "C" void setup(void) {
  board_init();
  for (const Case& c : kCases) {
    for (size_t run = 0; run < 3; ++run) {
      const int8_t* input = c.inputs + run * c.input_bytes;
      Run(c.reference, input, c.input_bytes);
      Write(" ");
      Run(c.optimized, input, c.input_bytes);
      Write("\n");
    }
  }
  Write("done\n");
  board_exit(0);
}

extern "C" void loop(void) {}
"""


@pytest.mark.integration
@pytest.mark.parametrize(
    ("board", "defines"),
    [("virtual-m4", ()), ("virtual-m7", ("TINYFLASH_DSP_ASM",))],
    ids=["virtual-m4-acle", "virtual-m7-asm"],
)
def test_optimized_kernels_match_reference_on_qemu(board: str, defines: tuple[str, ...], tmp_path: Path) -> None:
    """All cases in one firmware: reference and DSP kernels on the same inputs, both printed as hex. The M7 build
    uses the inline-assembly forms of the DSP instructions (what compilers older than GCC 10 get)."""
    require_tool("arm-none-eabi-g++")
    require_tool("qemu-system-arm")
    (tmp_path / "model_runtime.h").write_text(RUNTIME_HEADER.read_text())
    units, decls, inputs, table = [], [], [], []
    for i, c in enumerate(CASES):
        for variant, target in (("ref", GENERIC), ("dsp", DSP)):
            ns = f"{variant}{i}"
            units.append(f'#include "{ns}.inc"\n')
            (tmp_path / f"{ns}.inc").write_text(generate(c.model, namespace=ns, target=target).files["model_aot.cc"])
            decls.append(f"namespace {ns} {{ model::TensorView Input(size_t); model::TensorView Output(size_t); "
                         f"bool Invoke(); }}")  # fmt: skip
        data = np.concatenate([run[0].ravel() for run in _inputs(i)])
        inputs.append(f"const int8_t kInputs{i}[] = {{{', '.join(str(int(v)) for v in data)}}};")
        table.append(f"    {{{{ref{i}::Input, ref{i}::Output, ref{i}::Invoke}}, "
                     f"{{dsp{i}::Input, dsp{i}::Output, dsp{i}::Invoke}}, kInputs{i}, {data.size // 3}}},")  # fmt: skip
    (tmp_path / "models.cc").write_text("".join(units))
    main = _MAIN.replace("@DECLS@", "\n".join(decls)).replace("@INPUTS@", "\n".join(inputs))
    (tmp_path / "main.cc").write_text(main.replace("@TABLE@", "\n".join(table)))
    elf = build_firmware(board, [tmp_path / "models.cc", tmp_path / "main.cc"], tmp_path, [tmp_path], defines)
    lines = run_firmware(board, elf).splitlines()
    assert lines[-1] == "done" and len(lines) == 3 * len(CASES) + 1
    for i, c in enumerate(CASES):
        reference = oracle(c.model, _inputs(i))
        for run in range(3):
            ref_hex, dsp_hex = lines[3 * i + run].split(" ")
            assert dsp_hex == ref_hex, f"{c.name} run {run}: the DSP kernel differs from the reference on {board}"
            expected = reference[run][0].astype(np.int8).tobytes().hex()
            assert ref_hex == expected, f"{c.name} run {run}: the reference kernel differs from TFLM on {board}"
