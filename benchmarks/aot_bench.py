"""AOT runtime figures for the shared models, against TFLM + CMSIS-NN.

    python benchmarks/aot_bench.py [MODELS_DIR] [--model PATH ...] [--profile] [--cmsis-nn-dir TREE]
        [--reference-dir TREE]

Per model and virtual board (virtual-m4 = QEMU mps2-an386 Cortex-M4F, virtual-m7 = mps2-an500 Cortex-M7):
instructions per inference of the inference app built by `tinyflash build` (QEMU -icount shift=0, so the
app's `inference_us` is instructions / 1000, to 40 instructions), whole-firmware flash and RAM, and the ratio
to TFLM + CMSIS-NN. The TFLM figures are the anchors measured with board-lab (docs/platform-facts), or, with
--cmsis-nn-dir, measured in this run from a CMSIS-NN TFLM tree (`board-lab/tflm-tree --cmsis-nn`; a TFLM build
takes 12-17 minutes); --reference-dir likewise measures TFLM's reference kernels. --model adds a model from
elsewhere, e.g. TFLM's keyword_scrambled.tflite (tensorflow/lite/micro/models/ in tflite-micro; int16 input, SVDF,
int16 SOFTMAX). Also: the arena against its lower bound and TFLM's, which implementation each op got, and with
--profile the instructions of every operator. Beside the shared models, one built here: a Keras LSTM classifier
converted to int8 (tests/aot/keras_models.py; it needs tensorflow and tf_keras, as the tests do).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "aot"))

from tinyflash.aot import generate, target_of  # noqa: E402
from tinyflash.arena import estimate_arena  # noqa: E402
from tinyflash.boards import get_board  # noqa: E402
from tinyflash.model import load_model  # noqa: E402

BOARDS = ("virtual-m4", "virtual-m7")
#: Instructions per inference, QEMU -icount shift=0, int8, -O2 -DNDEBUG -DTF_LITE_STRIP_ERROR_STRINGS
#: -DTF_LITE_STATIC_MEMORY, TFLM at 90b983c (board-lab, 2026-11-29): (reference kernels, CMSIS-NN).
ANCHORS = {
    ("person_detect", "virtual-m4"): (95.89e6, 22.93e6),
    ("person_detect", "virtual-m7"): (98.64e6, 22.72e6),
    ("micro_speech_quantized", "virtual-m4"): (9.31e6, 1.50e6),
    ("micro_speech_quantized", "virtual-m7"): (9.33e6, 1.49e6),
    # TFLM's keyword_scrambled (--model), measured with aot_bench's run_inference from board-lab trees, 2026-12-07.
    ("keyword_scrambled", "virtual-m4"): (275_480, 136_520),
    # Built anew by each run (keras_lstm below; training may differ in the last bits): measured on one build of it,
    # with tflm-tree trees at the same TFLM pin (2026-12-07).
    ("keras_lstm_int8", "virtual-m4"): (159_120, 84_080),
}
#: Whole firmware (inference app) on virtual-m4, TFLM + CMSIS-NN: flash, RAM (same source).
TFLM_FIRMWARE = {"person_detect": (387_320, 90_240), "keras_lstm_int8": (77_112, 5_440)}
GOAL = 0.8
RUN_LINE = re.compile(r"^run: 0 inference_us: (\d+(?:\.\d+)?)")


def run_inference(path: Path, board_id: str, workdir: Path, runtime: str = "aot", tflm_dir: Path | None = None):
    """Build the inference app, run it under QEMU until the first inference; (instructions, flash, RAM)."""
    from tinyflash.build import build
    from tinyflash.flash import runner_for
    from tinyflash.monitor import MonitorOptions, open_url, read_lines
    from tinyflash.project import BuildOptions

    options = BuildOptions(app="inference", runtime=runtime, tflm_dir=tflm_dir)
    result = build(path, board_id, options, out=workdir / f"{path.stem}-{board_id}-{runtime}")
    runner = runner_for(result.project, result.board)
    flashed = runner.flash(None)
    lines: list[str] = []
    try:
        read_lines(lambda: open_url(flashed.target, 115200),
                   MonitorOptions(until=RUN_LINE, timeout=600), lambda line: lines.append(line.text))  # fmt: skip
    finally:
        runner.stop()
    match = RUN_LINE.match(lines[-1]) if lines else None
    if match is None:
        raise SystemExit(f"{path.stem} on {board_id}: no inference line in {lines[-5:]}")
    assert result.size is not None
    return round(float(match.group(1)) * 1000), result.size.flash_used, result.size.ram_used


def profile(path: Path, board_id: str, workdir: Path) -> list[tuple[str, str, int]]:
    """(op, implementation, instructions) per operator, from a debug build of the generated model."""
    from qemu_support import build_firmware, run_firmware

    result = generate(load_model(path), target=target_of(get_board(board_id)))
    d = workdir / f"profile-{path.stem}-{board_id}"
    d.mkdir(parents=True, exist_ok=True)
    (d / "model_aot.cc").write_text(result.files["model_aot.cc"])
    common = REPO / "firmware_templates" / "common"
    sources = [d / "model_aot.cc", REPO / "benchmarks" / "aot_profile_main.cc", common / "serial_line.cc"]
    elf = build_firmware(board_id, sources, d, [common], defines=("TINYFLASH_AOT_DEBUG",))
    out = [line.split() for line in run_firmware(board_id, elf, timeout=600).splitlines() if line.startswith("op ")]
    return [(op[2], c.implementation, int(op[4])) for op, c in zip(out, result.choices, strict=True)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "models",
        nargs="?",
        type=Path,
        default=Path(os.environ.get("TINYFLASH_SHARED", REPO.parent / "shared")) / "models",
    )
    parser.add_argument("--profile", action="store_true", help="instructions per operator too")
    parser.add_argument("--model", type=Path, action="append", default=[], help="another .tflite model to report")
    parser.add_argument("--cmsis-nn-dir", type=Path, help="a CMSIS-NN TFLM tree: measure TFLM + CMSIS-NN here")
    parser.add_argument("--reference-dir", type=Path, help="a reference-kernel TFLM tree: measure TFLM here")
    args = parser.parse_args()  # fmt: skip
    missing = [p for p in args.model if not p.is_file()]
    if missing:
        sys.exit(f"no model at {missing[0]}: give the path of a .tflite file")
    paths = sorted(args.models.glob("*.tflite")) + args.model
    if not paths:
        sys.exit(f"no .tflite models in {args.models}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        os.environ.setdefault("TINYFLASH_PIO_CORE_DIR", str(work / "core"))
        lstm = keras_lstm(work)
        paths += [lstm] if lstm else []
        memory_table(paths)
        speed_table(paths, work, args.cmsis_nn_dir, args.reference_dir)
        for path in paths:
            implementations(path)
            if args.profile:
                for board_id in BOARDS:
                    profile_table(path, board_id, work)


def keras_lstm(work: Path) -> Path | None:
    """The Keras LSTM classifier of the tests, converted to int8 (UNIDIRECTIONAL_SEQUENCE_LSTM, STRIDED_SLICE,
    FULLY_CONNECTED, SOFTMAX); None, said in one line, where TensorFlow or tf_keras is missing."""
    import importlib.util

    if not all(importlib.util.find_spec(m) for m in ("tensorflow", "tf_keras")):
        print("keras_lstm_int8: skipped (it needs tensorflow and tf_keras, which scripts/setup.sh installs)")
        return None
    from keras_models import lstm_classifier

    (result,) = lstm_classifier(work, ("int8",))
    return result.out.rename(work / "keras_lstm_int8.tflite")


def memory_table(paths: list[Path]) -> None:
    print(f"{'model':24} {'arena B':>9} {'lower bnd':>9} {'scratch':>8} {'TFLM arena':>11} {'AOT/TFLM':>9}")
    for path in paths:
        model = load_model(path)
        result = generate(model, target=target_of(get_board("virtual-m4")))
        tflm = estimate_arena(model).minimum_bytes
        print(f"{path.stem:24} {result.arena_bytes:>9,} {result.lower_bound_bytes:>9,} {result.scratch_bytes:>8,} "
              f"{tflm:>11,} {result.arena_bytes / tflm:>9.2f}")  # fmt: skip
    print("arena: the virtual-m4 build's (activations + op scratch); TFLM arena: the tflite-micro runtime's minimum\n")


def speed_table(paths: list[Path], work: Path, cmsis_nn_dir: Path | None, reference_dir: Path | None) -> None:
    header = (f"{'model':24} {'board':11} {'AOT instr':>12} {'TFLM+CMSIS-NN':>14} {'ratio':>6} {'goal':>5} "
              f"{'TFLM ref':>12} {'flash B':>9} {'RAM B':>8}")  # fmt: skip
    print(header)
    print("-" * len(header))
    for path in paths:
        for board_id in BOARDS:
            instructions, flash, ram = run_inference(path, board_id, work)
            reference, cmsis = ANCHORS.get((path.stem, board_id), (None, None))
            if cmsis_nn_dir is not None:
                cmsis, _, _ = run_inference(path, board_id, work / "cmsis", "tflm", cmsis_nn_dir)
            if reference_dir is not None:
                reference, _, _ = run_inference(path, board_id, work / "reference", "tflm", reference_dir)
            ratio = f"{instructions / cmsis:.2f}" if cmsis else "-"
            ok = ("ok" if instructions <= GOAL * cmsis else "MISS") if cmsis else ""
            print(f"{path.stem:24} {board_id:11} {instructions:>12,} {_m(cmsis):>14} {ratio:>6} {ok:>5} "
                  f"{_m(reference):>12} {flash:>9,} {ram:>8,}")  # fmt: skip
    measured = [name for name, tree in (("CMSIS-NN", cmsis_nn_dir), ("reference", reference_dir)) if tree]
    source = f"measured in this run ({', '.join(measured)}), otherwise " if measured else ""
    print(f"TFLM figures: {source}recorded anchors (docs/aot.md); goal: AOT <= {GOAL} x TFLM + CMSIS-NN.")
    for stem, (flash, ram) in TFLM_FIRMWARE.items():
        print(f"TFLM + CMSIS-NN firmware for {stem} on virtual-m4: {flash:,} B flash, {ram:,} B RAM (recorded).")
    print()


def _m(value: float | None) -> str:
    return f"{value / 1e6:.2f} M" if value else "-"


def implementations(path: Path) -> None:
    for board_id in ("virtual-m4", "native"):
        result = generate(load_model(path), target=target_of(get_board(board_id)))
        counts = Counter((c.opcode, c.implementation) for c in result.choices)
        text = ", ".join(f"{op} {impl}" + (f" x{n}" if n > 1 else "") for (op, impl), n in counts.items())
        print(f"{path.stem} on {board_id}: {text}")


def profile_table(path: Path, board_id: str, work: Path) -> None:
    rows = profile(path, board_id, work)
    total = sum(n for _, _, n in rows)
    print(f"\n{path.stem} on {board_id}, per operator (debug build; {total:,} instructions in all):")
    for step, (op, impl, n) in enumerate(rows):
        print(f"  {step:3} {op:20} {impl:20} {n:>11,}  {n / max(total, 1):6.1%}")


if __name__ == "__main__":
    main()
