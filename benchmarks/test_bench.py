"""`tinyflash test` speed on virtual-m4: cold and warm runs of 100 random hello_world_int8 vectors, and
person_detect's vectors per second (9 KB in per vector), with where the time goes.

    python benchmarks/test_bench.py [--repeat N] [--person-vectors N]

Every run is a fresh `tinyflash test` process, as CI runs it. The baseline, measured in the same run, is what any
command costs before it does anything: `python -m tinyflash --version` (interpreter start and CLI import).
Targets (issue 9): cold <= 10 s, warm <= 2 s on a 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("TINYFLASH_SHARED", REPO.parent / "shared")) / "models"


def run(cmd: list[str], cwd: Path, env: dict) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def test_run(model: Path, vectors: int, out: str, cwd: Path, env: dict) -> tuple[float, dict]:
    report = cwd / f"{out}-{time.monotonic_ns()}.json"
    cmd = [sys.executable, "-m", "tinyflash", "test", str(model), "-b", "virtual-m4", "--random", str(vectors),
           "--out", out, "--json", str(report)]  # fmt: skip
    return run(cmd, cwd, env), json.loads(report.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--person-vectors", type=int, default=5)
    args = parser.parse_args()
    hello, person = SHARED / "hello_world_int8.tflite", SHARED / "person_detect.tflite"
    with tempfile.TemporaryDirectory() as d:
        work = Path(d)
        env = dict(os.environ, TINYFLASH_PIO_CORE_DIR=str(work / "core"))
        base = statistics.median(
            run([sys.executable, "-m", "tinyflash", "--version"], work, env) for _ in range(args.repeat)
        )
        test_run(hello, 1, "prime", work, env)  # the core dir's one-time bootstrap is not a cold run's cost
        colds, warms, reports = [], [], []
        for _ in range(args.repeat):
            shutil.rmtree(work / "cold", ignore_errors=True)
            seconds, report = test_run(hello, 100, "cold", work, env)
            colds.append(seconds)
            reports.append(("cold", report))
            seconds, report = test_run(hello, 100, "cold", work, env)
            warms.append(seconds)
            reports.append(("warm", report))
        test_run(person, 1, "person", work, env)
        person_s, person_report = test_run(person, args.person_vectors, "person", work, env)

    cold, warm = statistics.median(colds), statistics.median(warms)
    print("tinyflash test, hello_world_int8, 100 random vectors, virtual-m4 (median of", args.repeat, "runs)")
    print(f"{'case':<8} {'wall s':>7} {'vectors/s':>10} {'x baseline':>11} {'target s':>9}")
    for label, seconds, target in (("cold", cold, 10.0), ("warm", warm, 2.0)):
        print(f"{label:<8} {seconds:>7.2f} {100 / seconds:>10.1f} {seconds / base:>11.1f} {target:>9.1f}")
    print(f"baseline: `python -m tinyflash --version` {base:.2f} s")
    for label in ("cold", "warm"):
        timings = next(r for lab, r in reports if lab == label)["timings"]
        spent = ", ".join(f"{k} {v:.2f}" for k, v in timings.items())
        print(f"{label} run, inside tinyflash (s): {spent}")
    vectors_s = person_report["timings"]["vectors"]
    print(f"person_detect, {args.person_vectors} vectors (9,216 B in, 2 B out each): {person_s:.2f} s wall, "
          f"{args.person_vectors / vectors_s:.2f} vectors/s on the link; device latency "
          f"{person_report['vectors'][0]['latency_us']:,} us per inference (virtual time)")  # fmt: skip


if __name__ == "__main__":
    main()
