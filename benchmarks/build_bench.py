"""No-op rebuild: `tinyflash build` vs a raw `pio run` on the same, already built virtual-m4 project.

    python benchmarks/build_bench.py [--repeat N]

Both run as a user runs them (fresh processes, offline PlatformIO settings). Prints median seconds and the
ratio tinyflash / pio (target <= 1.15). tinyflash re-renders the project, finds every file unchanged and
skips `pio run` when nothing PlatformIO reads changed since its last successful build; the second row
forces the PlatformIO run (a source's mtime touched each time) to show tinyflash's overhead on top of it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MODEL = REPO / "examples" / "sine_model.tflite"


def timed(cmd: list[str], cwd: Path, env: dict, before=None) -> float:
    if before:
        before()
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as d:
        work = Path(d)
        env = dict(os.environ, TINYFLASH_PIO_CORE_DIR=str(work / "core"))
        tinyflash = [sys.executable, "-m", "tinyflash", "build", str(MODEL), "--board", "virtual-m4"]
        subprocess.run(tinyflash, cwd=work, env=env, check=True, stdout=subprocess.DEVNULL)
        project = work / "tinyflash-build" / "virtual-m4"
        from tinyflash.platformio import pio_command, pio_environment

        os.environ["TINYFLASH_PIO_CORE_DIR"] = env["TINYFLASH_PIO_CORE_DIR"]
        pio = [*pio_command(), "run", "-d", str(project)]
        pio_env = pio_environment()
        source = project / "src" / "main_functions.cc"

        def touch() -> None:
            os.utime(source)

        rows = []
        for label, before in (("no-op", None), ("forced pio run", touch)):
            t = statistics.median(timed(tinyflash, work, env, before) for _ in range(args.repeat))
            p = statistics.median(timed(pio, work, pio_env, before) for _ in range(args.repeat))
            rows.append((label, t, p))
    print(f"{'case':<16} {'tinyflash s':>11} {'pio run s':>10} {'ratio':>6}")
    for label, t, p in rows:
        print(f"{label:<16} {t:>11.3f} {p:>10.3f} {t / p:>6.2f}")


if __name__ == "__main__":
    main()
