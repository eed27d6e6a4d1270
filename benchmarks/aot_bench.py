"""AOT runtime figures for the shared models: arena vs lower bound vs TFLM, host instructions per
inference (callgrind) and Cortex-M4 object sizes.

    python benchmarks/aot_bench.py [MODELS_DIR]

The host program is the one the tests use (tests/aot/aot_support.py), so the numbers describe
exactly the code the tests verify against TFLM. Instructions per inference are the difference
between a callgrind run with one inference and one with none (program start-up cancels out).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "aot"))
sys.path.insert(0, str(REPO / "tests"))

from aot_support import ARM_FLAGS, RUNTIME_HEADER, build_host_program, random_inputs  # noqa: E402

from tinyflash.aot import generate  # noqa: E402
from tinyflash.arena import estimate_arena  # noqa: E402
from tinyflash.model import load_model  # noqa: E402


def callgrind_instructions(binary: Path, case: int, runs: int, stdin: bytes) -> int | None:
    with tempfile.TemporaryDirectory() as d:
        proc = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={d}/out", str(binary), str(case), str(runs)],
            input=stdin,
            capture_output=True,
            timeout=900,
        )
    match = re.search(r"Collected\s*:\s*(\d+)", proc.stderr.decode())
    return int(match.group(1)) if match else None


def arm_sizes(source: str) -> tuple[int, int, int] | None:
    if shutil.which("arm-none-eabi-g++") is None:
        return None
    with tempfile.TemporaryDirectory() as d:
        Path(d, "model_aot.cc").write_text(source)
        shutil.copy(RUNTIME_HEADER, Path(d, "model_runtime.h"))
        obj = Path(d, "model_aot.o")
        subprocess.run(
            ["arm-none-eabi-g++", *ARM_FLAGS, "-I", d, "-c", str(Path(d, "model_aot.cc")), "-o", str(obj)], check=True
        )
        out = subprocess.run(["arm-none-eabi-size", str(obj)], capture_output=True, text=True, check=True).stdout
    text, data, bss = (int(v) for v in out.splitlines()[1].split()[:3])
    return text, data, bss


def main() -> None:
    default = Path(os.environ.get("TINYFLASH_SHARED", REPO.parent / "shared")) / "models"
    models_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    paths = sorted(models_dir.glob("*.tflite"))
    if not paths:
        sys.exit(f"no .tflite models in {models_dir}")
    models = [load_model(p) for p in paths]
    have_valgrind = shutil.which("valgrind") is not None
    with tempfile.TemporaryDirectory() as d:
        program = build_host_program(models, Path(d))
        header = (
            f"{'model':28} {'AOT arena':>10} {'lower bnd':>10} {'TFLM arena':>11} {'AOT/TFLM':>9} {'AOT/LB':>7} "
            f"{'host instr/inf':>15} {'M4 text':>9} {'data':>6} {'bss':>7}"
        )
        print(header)
        print("-" * len(header))
        for case, model in enumerate(models):
            result = generate(model)
            tflm = estimate_arena(model).minimum_bytes
            instr = "valgrind missing"
            if have_valgrind:
                run = random_inputs(model, 1, np.random.default_rng(0))
                stdin = b"".join(a.tobytes() for a in run[0])
                one = callgrind_instructions(program.binary, case, 1, stdin)
                zero = callgrind_instructions(program.binary, case, 0, b"")
                instr = f"{one - zero:,}" if one is not None and zero is not None else "n/a"
            sizes = arm_sizes(result.files["model_aot.cc"])
            text, data, bss = (f"{v:,}" for v in sizes) if sizes else ("n/a",) * 3
            print(
                f"{model.name:28} {result.arena_bytes:>10,} {result.lower_bound_bytes:>10,} {tflm:>11,} "
                f"{result.arena_bytes / tflm:>9.3f} {result.arena_bytes / max(result.lower_bound_bytes, 1):>7.3f} "
                f"{instr:>15} {text:>9} {data:>6} {bss:>7}"
            )
    print("\nTFLM arena: smallest arena the tflite-micro runtime accepts on this 64-bit host (tinyflash.arena).")
    print("M4 sizes: arm-none-eabi-size of the generated model_aot.cc compiled alone with -Os for Cortex-M4F.")
    firmware_table(paths)


def firmware_table(paths: list[Path]) -> None:
    """Whole firmware (app + AOT model + startup + UART) built with real PlatformIO for virtual-m4."""
    from tinyflash.build import build
    from tinyflash.project import BuildOptions

    print(f"\n{'virtual-m4 firmware':28} {'app':>9} {'flash B':>9} {'of 1 MB':>8} {'RAM B':>8} {'of 256 KB':>9}")
    with tempfile.TemporaryDirectory() as d:
        os.environ.setdefault("TINYFLASH_PIO_CORE_DIR", str(Path(d) / "core"))
        for path in paths:
            result = build(path, "virtual-m4", BuildOptions(runtime="aot"), out=Path(d) / path.stem)
            size = result.size
            assert size is not None
            flash_share, ram_share = size.flash_used / size.flash_limit, size.ram_used / size.ram_limit
            print(f"{path.stem:28} {result.plan.app:>9} {size.flash_used:>9,} {flash_share:>8.1%} "
                  f"{size.ram_used:>8,} {ram_share:>9.1%}")  # fmt: skip
    print("RAM: .data + .bss (the AOT arena is static); the 16 KB stack comes on top.")


if __name__ == "__main__":
    main()
