"""Render-time benchmark: how long `tinyflash build --no-compile` spends turning a model into a project.

    python benchmarks/render_bench.py [--repeat N]

Prints, for person_detect (when ../shared is present) and a generated 4 MB model, the time to render all
files and to re-write them (unchanged files are compared, not written), and the ratio against a baseline
measured in the same run: Python writing the model's bytes as hex text the simplest way
(`", ".join(f"0x{b:02x}" ...)`). Target: rendering a 4 MB model well under a second.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from tflite_builder import Graph, Op, T, build, fully_connected_options
from tinyflash.arena import estimate_arena
from tinyflash.boards import get_board
from tinyflash.model import parse_model
from tinyflash.project import BuildOptions, render_project, write_project

SHARED = Path(__file__).resolve().parents[2] / "shared" / "models"


def big_model(megabytes: float = 4.0) -> bytes:
    """A float dense layer whose weights make the file about `megabytes` MB."""
    rows = int(megabytes * 1024 * 1024 / 4 / 256)
    w = np.random.default_rng(0).standard_normal((rows, 256)).astype(np.float32)
    g = Graph(
        tensors=[T("in", (1, 256)), T("w", (rows, 256), data=w), T("out", (1, rows))],
        ops=[Op("FULLY_CONNECTED", (0, 1, -1), (2,), options=fully_connected_options())],
        inputs=(0,),
        outputs=(2,),
    )
    return build(g)


def timed(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    cases = [("generated 4 MB", big_model(4.0))]
    if (SHARED / "person_detect.tflite").is_file():
        cases.insert(0, ("person_detect", (SHARED / "person_detect.tflite").read_bytes()))
    board = get_board("nano33ble")
    print(f"{'model':<16} {'bytes':>10} {'render s':>9} {'rewrite s':>9} {'baseline s':>10} {'ratio':>6}")
    for name, data in cases:
        model = parse_model(data, Path(f"{name.replace(' ', '_')}.tflite"))
        arena = estimate_arena(model)
        options = BuildOptions(runtime="tflm")
        render = timed(lambda: render_project(model, board, options, arena), args.repeat)  # noqa: B023
        plan = render_project(model, board, options, arena)
        with tempfile.TemporaryDirectory() as d:
            write = timed(lambda: write_project(Path(d), plan.files, force=True), args.repeat)  # noqa: B023
        baseline = timed(lambda: ", ".join(f"0x{b:02x}" for b in data), args.repeat)  # noqa: B023
        print(f"{name:<16} {len(data):>10,} {render:>9.3f} {write:>9.3f} {baseline:>10.3f} {render / baseline:>6.2f}")


if __name__ == "__main__":
    main()
