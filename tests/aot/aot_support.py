"""Test support for the AOT runtime: build generated models into one host program, run them, and run
the same models on the oracle (the tflite-micro Python runtime, i.e. TFLM's reference kernels).

Several models link into one program by generating each into its own namespace; the program picks
a model by index, reads the inputs of ``runs`` inferences from stdin and writes the outputs to stdout.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tinyflash.aot import GENERIC, Target, generate
from tinyflash.model import ModelInfo, parse_model

REPO = Path(__file__).resolve().parents[2]
RUNTIME_HEADER = REPO / "firmware_templates" / "common" / "model_runtime.h"
SHARED = Path(os.environ.get("TINYFLASH_SHARED", REPO.parent / "shared"))
NUMPY = {"float32": np.float32, "int8": np.int8, "uint8": np.uint8, "int16": np.int16, "int32": np.int32}
HOST_FLAGS = ["-std=c++17", "-O2", "-Wall", "-Wextra", "-Werror"]
ARM_FLAGS = [
    "-mcpu=cortex-m4",
    "-mthumb",
    "-mfpu=fpv4-sp-d16",
    "-mfloat-abi=hard",
    "-std=c++17",
    "-fno-exceptions",
    "-fno-rtti",
    "-Os",
    "-Wall",
    "-Wextra",
    "-Werror",
]

_MAIN = r"""
#include <stdio.h>
#include <stdlib.h>

#include "model_runtime.h"

@DECLS@

struct Runtime {
  bool (*setup)();
  size_t (*input_count)();
  size_t (*output_count)();
  model::TensorView (*input)(size_t);
  model::TensorView (*output)(size_t);
  bool (*invoke)();
  bool (*reset)();
};

static const Runtime kCases[] = {
@TABLE@
};

#if defined(TINYFLASH_AOT_DEBUG)
// One stderr line per operator: index, op, elements, then the output's bytes in hex.
void model::DebugOperatorOutput(size_t index, const char* op, const model::TensorView& output) {
  fprintf(stderr, "%zu %s %zu ", index, op, output.elements);
  const size_t bytes = output.elements * (output.type == model::Type::kFloat32 ? 4 : 1);
  for (size_t i = 0; i < bytes; ++i) {
    fprintf(stderr, "%02x", static_cast<const unsigned char*>(output.data)[i]);
  }
  fprintf(stderr, "\n");
}
#endif

static size_t ElementBytes(model::Type type) {
  switch (type) {
    case model::Type::kFloat32:
    case model::Type::kInt32:
      return 4;
    case model::Type::kInt16:
      return 2;
    default:
      return 1;
  }
}

int main(int argc, char** argv) {
  if (argc != 3 && argc != 4) {
    fprintf(stderr, "usage: %s CASE RUNS [RESET_BEFORE_RUN] < inputs > outputs\n", argv[0]);
    return 2;
  }
  const Runtime& rt = kCases[atoi(argv[1])];
  const int runs = atoi(argv[2]);
  const int reset_before = argc == 4 ? atoi(argv[3]) : -1;
  if (!rt.setup()) {
    return 3;
  }
  for (int r = 0; r < runs; ++r) {
    if (r == reset_before && !rt.reset()) {
      return 6;
    }
    for (size_t i = 0; i < rt.input_count(); ++i) {
      const model::TensorView v = rt.input(i);
      const size_t n = v.elements * ElementBytes(v.type);
      if (fread(v.data, 1, n, stdin) != n) {
        return 4;
      }
    }
    if (!rt.invoke()) {
      return 5;
    }
    for (size_t i = 0; i < rt.output_count(); ++i) {
      const model::TensorView v = rt.output(i);
      fwrite(v.data, 1, v.elements * ElementBytes(v.type), stdout);
    }
  }
  return 0;
}
"""


@dataclass(frozen=True)
class HostProgram:
    """A compiled program holding several generated models, addressed by index."""

    binary: Path
    models: tuple[ModelInfo, ...]

    def run(
        self, case: int, inputs: list[list[np.ndarray]], stderr: list[str] | None = None, reset_before: int = -1
    ) -> list[list[np.ndarray]]:
        """Case ``case``'s outputs for each run of ``inputs``, invoked in order; ``reset_before``: the run before
        which the program calls Reset() (model_runtime.h)."""
        model = self.models[case]
        stdin = b"".join(np.ascontiguousarray(a).tobytes() for run in inputs for a in run)
        args = [str(self.binary), str(case), str(len(inputs))] + ([str(reset_before)] if reset_before >= 0 else [])
        proc = subprocess.run(args, input=stdin, capture_output=True, timeout=120)
        assert proc.returncode == 0, f"host program failed ({proc.returncode}): {proc.stderr.decode()[-3000:]}"
        if stderr is not None:
            stderr.extend(proc.stderr.decode().splitlines())
        outs, pos = [], 0
        for _ in inputs:
            run = []
            for t in model.outputs:
                n = t.nbytes
                run.append(np.frombuffer(proc.stdout[pos : pos + n], dtype=NUMPY[t.dtype]).reshape(t.shape))
                pos += n
            outs.append(run)
        assert pos == len(proc.stdout)
        return outs


def _compile(args: list[str]) -> None:
    proc = subprocess.run(args, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"{' '.join(args[:3])} ... failed:\n{proc.stderr[:6000]}"


def build_host_program(
    models: list[ModelInfo],
    workdir: Path,
    compiler: str = "g++",
    targets: list[Target] | None = None,
    defines: tuple[str, ...] = (),
) -> HostProgram:
    """Generate every model into namespace ``caseN`` (for ``targets[N]``, default generic), compile the
    units in parallel and link them. On the host, kernels for a ``dsp`` target use the portable forms
    of the DSP instructions (kernels/dsp/simd.h), so their arithmetic is checked here too."""
    workdir.mkdir(parents=True, exist_ok=True)
    shutil.copy(RUNTIME_HEADER, workdir / "model_runtime.h")
    targets = targets or [GENERIC] * len(models)
    sources = []
    for i, (m, target) in enumerate(zip(models, targets, strict=True)):
        path = workdir / f"case{i}.cc"
        path.write_text(generate(m, namespace=f"case{i}", target=target).files["model_aot.cc"])
        sources.append(path)
    decls = "\n".join(
        f"namespace case{i} {{ bool Setup(); size_t InputCount(); size_t OutputCount(); "
        f"model::TensorView Input(size_t); model::TensorView Output(size_t); bool Invoke(); bool Reset(); }}"
        for i in range(len(models))
    )
    table = "\n".join(
        f"    {{case{i}::Setup, case{i}::InputCount, case{i}::OutputCount, case{i}::Input, case{i}::Output, "
        f"case{i}::Invoke, case{i}::Reset}},"
        for i in range(len(models))
    )
    main = workdir / "main.cc"
    main.write_text(_MAIN.replace("@DECLS@", decls).replace("@TABLE@", table))
    objects = [s.with_suffix(".o") for s in (*sources, main)]
    jobs = [
        [compiler, *HOST_FLAGS, *(f"-D{d}" for d in defines), "-I", str(workdir), "-c", str(s), "-o", str(o)]
        for s, o in zip((*sources, main), objects, strict=True)
    ]
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(_compile, jobs))
    binary = workdir / "aot_host"
    _compile([compiler, *[str(o) for o in objects], "-o", str(binary), "-lm"])
    return HostProgram(binary, tuple(models))


def oracle(model: ModelInfo, inputs: list[list[np.ndarray]], arena_size: int = 4 << 20) -> list[list[np.ndarray]]:
    """Outputs of TFLM's reference kernels (the tflite-micro Python runtime) for each run."""
    from tflite_micro.python.tflite_micro import runtime

    interp = runtime.Interpreter.from_bytes(model.data, arena_size=arena_size)
    outs = []
    for run in inputs:
        for i, a in enumerate(run):
            interp.set_input(a, i)
        interp.invoke()
        outs.append([np.array(interp.get_output(i)) for i in range(len(model.outputs))])
    return outs


def random_inputs(model: ModelInfo, runs: int, rng: np.random.Generator, scale: float = 1.0) -> list[list[np.ndarray]]:
    result = []
    for _ in range(runs):
        run = []
        for t in model.inputs:
            if t.dtype == "float32":
                run.append((rng.standard_normal(t.shape) * scale).astype(np.float32))
            else:
                info = np.iinfo(NUMPY[t.dtype])
                run.append(rng.integers(info.min, info.max + 1, size=t.shape).astype(NUMPY[t.dtype]))
        result.append(run)
    return result


def load_bytes(data: bytes, name: str = "case.tflite") -> ModelInfo:
    return parse_model(data, Path(name))


def run_cases(board: str, models: list[ModelInfo], workdir: Path, runs: int, scale: float) -> tuple[list, list]:
    """Random inputs (seeded by case index) and every case's outputs from the generated code built for the host
    (``board`` "host") or for a virtual board under QEMU: ``(inputs, outputs)``, each ``[case][run][i]``."""
    inputs = [random_inputs(m, runs, np.random.default_rng(case), scale=scale) for case, m in enumerate(models)]
    outputs = outputs_on(board, models, inputs, workdir)
    assert [len(o) for o in outputs] == [runs] * len(models)
    return inputs, outputs


def outputs_on(board: str, models: list[ModelInfo], inputs: list, workdir: Path) -> list:
    """Every case's outputs for its runs of ``inputs`` (``[case][run][i]``), invoked in order, from the generated code
    built for the host (``board`` "host") or for a virtual board under QEMU."""
    from qemu_support import run_models

    from conftest import require_tool

    if board == "host":
        require_tool("g++")
        program = build_host_program(models, workdir)
        outputs = [program.run(case, ins) for case, ins in enumerate(inputs)]
    else:
        require_tool("arm-none-eabi-g++")
        require_tool("qemu-system-arm")
        outputs = run_models(board, models, inputs, workdir)
    return outputs
