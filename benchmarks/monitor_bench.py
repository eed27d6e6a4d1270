"""Monitor throughput: tinyflash's line reader vs a plain pyserial `readline()` loop, on the same QEMU stream.

    python benchmarks/monitor_bench.py [--lines N]

Builds the example sine model for virtual-m4, then for each reader starts a fresh, deterministic QEMU
instance (same firmware, same output) and reads N lines from its TCP serial port. Prints lines per second,
the reader's CPU use (process time / wall time, as a share of one core) and the ratios against the pyserial
baseline measured in the same run. Target: >= 10k lines/s at < 25 % of a core.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import serial

REPO = Path(__file__).resolve().parents[1]


def measure(read, lines: int) -> tuple[float, float]:
    wall0, cpu0 = time.perf_counter(), time.process_time()
    read(lines)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    return lines / wall, cpu / wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=50_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as d:
        os.environ["TINYFLASH_PIO_CORE_DIR"] = str(Path(d) / "core")
        os.chdir(d)
        from tinyflash import virtual
        from tinyflash.build import build
        from tinyflash.monitor import MonitorOptions, open_url, read_lines
        from tinyflash.project import BuildOptions

        result = build(REPO / "examples" / "sine_model.tflite", "virtual-m4", BuildOptions())
        assert result.firmware is not None

        def tinyflash_reader(url: str):
            def read(n: int) -> None:
                outcome = read_lines(lambda: open_url(url, 115200), MonitorOptions(lines=n), lambda line: None)
                assert outcome.lines == n

            return read

        def pyserial_reader(url: str):
            def read(n: int) -> None:
                port = serial.serial_for_url(url, timeout=5)
                for _ in range(n):
                    if not port.readline():
                        raise SystemExit("pyserial baseline: stream stalled")
                port.close()

            return read

        rows = {}
        for name, make in (("pyserial readline", pyserial_reader), ("tinyflash monitor", tinyflash_reader)):
            running = virtual.start_qemu("mps2-an386", result.firmware, Path(d) / f"{name}.log")
            try:
                rows[name] = measure(make(f"socket://127.0.0.1:{running.port}"), args.lines)
            finally:
                virtual.stop(running)
    base_rate, base_cpu = rows["pyserial readline"]
    print(f"{'reader':<18} {'lines/s':>9} {'CPU':>6} {'rate ratio':>10} {'CPU ratio':>9}")
    for name, (rate, cpu) in rows.items():
        print(f"{name:<18} {rate:>9,.0f} {cpu:>6.1%} {rate / base_rate:>10.2f} {cpu / base_cpu:>9.2f}")


if __name__ == "__main__":
    sys.exit(main())
