"""Bare-metal test programs for the virtual Cortex-M boards, built without PlatformIO: arm-none-eabi-g++
with the tinyflash-virtual platform's startup code, UART driver and linker script (the same runtime the
virtual boards' firmware uses), run under QEMU with ``-icount shift=0``, stdout = the UART.

A program defines ``setup()`` (which prints and calls ``board_exit``) and ``loop()``.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PLATFORM = REPO / "pio_platform" / "tinyflash-virtual"
MACHINES = {
    "virtual-m4": ("mps2-an386", ["-mcpu=cortex-m4", "-mfpu=fpv4-sp-d16"], "virtual_m4.ld"),
    "virtual-m7": ("mps2-an500", ["-mcpu=cortex-m7", "-mfpu=fpv5-d16"], "virtual_m7.ld"),
}
#: The flags the platform's builder uses for firmware (builder/main.py).
FLAGS = ["-mthumb", "-mfloat-abi=hard", "-O2", "-ffunction-sections", "-fdata-sections", "-DNDEBUG"]
CXX_FLAGS = ["-std=gnu++17", "-fno-exceptions", "-fno-rtti", "-fno-threadsafe-statics", "-fno-use-cxa-atexit"]


def build_firmware(board: str, sources: list[Path], workdir: Path, includes: list[Path], defines=()) -> Path:
    """Compile and link ``sources`` (C++) with the platform runtime (C) into ``workdir/firmware.elf``."""
    _, cpu, ldscript = MACHINES[board]
    workdir.mkdir(parents=True, exist_ok=True)
    runtime = sorted((PLATFORM / "runtime" / "cortex_m").glob("*.c"))
    incs = [f"-I{p}" for p in (*includes, PLATFORM / "include")]
    defs = [f"-D{d}" for d in defines]
    objects = []
    for src in (*runtime, *sources):
        obj = workdir / (src.stem + ".o")
        lang = ["-std=gnu11"] if src.suffix == ".c" else CXX_FLAGS
        _run(["arm-none-eabi-gcc" if src.suffix == ".c" else "arm-none-eabi-g++", *cpu, *FLAGS, *lang, *incs, *defs,
              "-Wall", "-Wextra", "-Werror", "-c", str(src), "-o", str(obj)])  # fmt: skip
        objects.append(str(obj))
    elf = workdir / "firmware.elf"
    _run(["arm-none-eabi-g++", *cpu, "-mthumb", "-mfloat-abi=hard", "--specs=nano.specs", "--specs=nosys.specs",
          "-nostartfiles", "-Wl,--gc-sections", f"-L{PLATFORM / 'ldscripts'}", f"-T{ldscript}", *objects,
          "-lm", "-o", str(elf)])  # fmt: skip
    return elf


def run_firmware(board: str, elf: Path, timeout: float = 120) -> str:
    """Run until the program calls board_exit(0); its serial output."""
    machine = MACHINES[board][0]
    proc = subprocess.run(
        ["qemu-system-arm", "-M", machine, "-nographic", "-monitor", "none", "-serial", "stdio",
         "-semihosting-config", "enable=on,target=native", "-icount", "shift=0,align=off,sleep=off",
         "-kernel", str(elf)],
        capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    out = proc.stdout.decode(errors="replace")
    assert proc.returncode == 0, f"QEMU exit {proc.returncode}: {out[-2000:]} {proc.stderr.decode()[-2000:]}"
    return out


def _run(args: list[str]) -> None:
    proc = subprocess.run(args, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0 and not proc.stderr, f"{' '.join(args[:2])} ... failed:\n{proc.stderr[:6000]}"


def run_models(board: str, models: list, inputs: list, workdir: Path, targets: list | None = None, defines=()) -> list:
    """Generate each model (for ``targets[case]``, default ``board``'s target), run every case's runs
    (``inputs[case][run][i]``, numpy arrays) on the board under QEMU, and return the outputs the same way:
    ``outputs[case][run][o]``."""
    import numpy as np

    from tinyflash.aot import generate, target_of
    from tinyflash.boards import get_board

    targets = targets or [target_of(get_board(board))] * len(models)
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "model_runtime.h").write_text((REPO / "firmware_templates" / "common" / "model_runtime.h").read_text())
    units, decls, rows = [], [], []
    for c, (model, runs, target) in enumerate(zip(models, inputs, targets, strict=True)):
        source = generate(model, namespace=f"case{c}", target=target).files["model_aot.cc"]
        (workdir / f"case{c}.inc").write_text(source)
        units.append(f'#include "case{c}.inc"\n')
        data = b"".join(np.ascontiguousarray(a).tobytes() for run in runs for a in run) or b"\0"
        ins = ", ".join(str(t.nbytes) for t in model.inputs)
        outs = ", ".join(str(t.nbytes) for t in model.outputs)
        decls.append(
            f"namespace case{c} {{ bool Setup(); model::TensorView Input(size_t); model::TensorView Output(size_t); "
            "bool Invoke(); }\n"
            f"const uint8_t kInputs{c}[] = {{{', '.join(str(b) for b in data)}}};\n"
            f"const uint32_t kInputBytes{c}[] = {{{ins}}};\nconst uint32_t kOutputBytes{c}[] = {{{outs}}};"
        )
        runtime = f"{{case{c}::Setup, case{c}::Input, case{c}::Output, case{c}::Invoke}}"
        rows.append(f"    {{{runtime}, kInputs{c}, {len(runs)}, "
                    f"kInputBytes{c}, {len(model.inputs)}, kOutputBytes{c}, {len(model.outputs)}}},")  # fmt: skip
    (workdir / "models.cc").write_text("".join(units))
    (workdir / "cases.inc").write_text("\n".join(decls) + "\n\nconst Case kCases[] = {\n" + "\n".join(rows) + "\n};\n")
    main = Path(__file__).with_name("qemu_models_main.cc")
    elf = build_firmware(board, [workdir / "models.cc", main], workdir, [workdir], defines)
    lines = run_firmware(board, elf).splitlines()
    assert lines and lines[-1] == "done", lines[-5:]
    results: list = [[] for _ in models]
    for line in lines[:-1]:
        c, _, *hexes = line.split(" ")
        model = models[int(c)]
        pairs = zip(hexes, model.outputs, strict=True)
        results[int(c)].append([np.frombuffer(bytes.fromhex(h), dtype=t.dtype).reshape(t.shape) for h, t in pairs])
    return results
