"""`tinyflash test` end to end: real PlatformIO, real QEMU and the native board, real pyserial over TCP, the TFLM
Python runtime as reference — and builds with a fault switch, to prove the check fails the right way."""

from __future__ import annotations

import json
import os
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path

import junitparser
import numpy as np
import pytest

from conftest import REPO, require_tool
from tflite_builder import tiny_dense

pytestmark = pytest.mark.integration
TINYFLASH = [sys.executable, "-m", "tinyflash"]


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory):
    for tool in ("arm-none-eabi-gcc", "qemu-system-arm", "g++"):
        require_tool(tool)
    folder = tmp_path_factory.mktemp("validate")
    env = dict(os.environ, TINYFLASH_PIO_CORE_DIR=str(tmp_path_factory.mktemp("pio-core")))
    env.pop("PLATFORMIO_BUILD_FLAGS", None)
    return folder, env


def tf_test(
    work, *args: str, env_extra: dict | None = None, timeout: float = 600
) -> tuple[subprocess.CompletedProcess, dict]:
    folder, env = work
    report = folder / f"report-{time.monotonic_ns()}.json"
    proc = subprocess.run([*TINYFLASH, "test", *args, "--json", str(report)], cwd=folder, capture_output=True,
                          text=True, timeout=timeout, env={**env, **(env_extra or {})})  # fmt: skip
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr, proc.stderr
    return proc, json.loads(report.read_text())


def shared(name: str) -> str:
    from conftest import shared_model

    return str(shared_model(name))


# --- Every shared model the runtime supports, and models the tests build, on all three virtual boards -----------

SMALL = ["hello_world_int8.tflite", "hello_world_float.tflite"]
LARGE = {"micro_speech_quantized.tflite": 10, "person_detect.tflite": 2}


@pytest.mark.parametrize("board", ["virtual-m4", "virtual-m7", "native"])
@pytest.mark.parametrize("name", [*SMALL, *LARGE])
def test_shared_models_match_the_reference(work, board: str, name: str) -> None:
    count = LARGE.get(name, 100)
    junit = work[0] / f"{board}-{name}.xml"
    proc, report = tf_test(work, shared(name), "-b", board, "--random", str(count), "--seed", "7",
                           "--out", f"{board}-{name}", "--junit", str(junit))  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert report["status"] == "passed" and report["vectors_sent"] == count
    assert report["summary"]["vectors"] == count
    assert report["summary"]["checksum"] == report["summary"]["expected_checksum"]
    assert report["runtime"] == "aot" and report["reference"] == "tflite-micro"
    for m in report["metrics"]:
        if name.endswith("int8.tflite") or name in LARGE:
            assert m["exact"] == count and m["max_lsb"] == 0  # int8: bit-exact, no tolerance anywhere
        else:
            assert m["max_abs_error"] <= 1e-5  # float32: the device's fused multiply-adds, within the default
    assert all(v["latency_us"] > 0 or board == "native" for v in report["vectors"])
    assert report["device"]["arena_bytes"] > 0
    suite = next(iter(junitparser.JUnitXml.fromfile(str(junit))))
    cases = list(suite)
    assert [c.name for c in cases[:3]] == ["build", "flash", "handshake"] and cases[-1].name == "summary"
    assert len(cases) == count + 4 and all(c.is_passed for c in cases)
    props = {prop.name: prop.value for prop in suite.properties()}
    assert props["board"] == board and props["runtime"] == "aot" and len(props["firmware_sha256"]) == 64


def test_a_model_built_here_with_vectors_and_expected_outputs(work) -> None:
    """An .npz of inputs and expected outputs: compared too, and a wrong expected value fails that vector."""
    from tinyflash.model import parse_model
    from tinyflash.reference import Interpreter

    folder = work[0]
    model_path = folder / "dense.tflite"
    model_path.write_bytes(tiny_dense(out_features=5, in_features=3, seed=4))
    model = parse_model(model_path.read_bytes(), model_path)
    inputs = np.random.default_rng(1).uniform(-2, 2, (12, 1, 3)).astype(np.float32)
    ref = Interpreter(model)
    expected = np.stack([ref.run([x])[0] for x in inputs])
    np.savez(folder / "good.npz", input_0=inputs, output_0=expected)
    proc, report = tf_test(work, str(model_path), "-b", "virtual-m4", "--vectors", str(folder / "good.npz"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert report["vectors_sent"] == 12 and report["vector_source"].startswith("good.npz")
    expected[5, 0, 2] += 0.5
    np.savez(folder / "bad.npz", input_0=inputs, output_0=expected)
    proc, report = tf_test(work, str(model_path), "-b", "virtual-m4", "--vectors", str(folder / "bad.npz"))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert [v["index"] for v in report["vectors"] if not v["ok"]] == [5]


def test_second_run_neither_rebuilds_nor_reflashes_needlessly(work) -> None:
    args = (shared("hello_world_int8.tflite"), "-b", "virtual-m4", "--random", "5", "--out", "warm")
    tf_test(work, *args)
    firmware = work[0] / "warm/.pio/build/virtual-m4/firmware.elf"
    before = firmware.stat().st_mtime_ns
    proc, report = tf_test(work, *args)
    assert proc.returncode == 0 and firmware.stat().st_mtime_ns == before
    assert report["timings"]["build"] < report["timings"]["vectors"] + 2  # no compiler ran


# --- The check can fail: fault-injection builds are reported as the right failure, never a pass -----------------


def _fault(work, fault: int, vector: int = 0, count: int = 20):
    flags = f"-DTINYFLASH_VALIDATE_FAULT={fault} -DTINYFLASH_VALIDATE_FAULT_VECTOR={vector}"
    junit = work[0] / f"fault{fault}.xml"
    proc, report = tf_test(work, shared("hello_world_int8.tflite"), "-b", "virtual-m4", "--random", str(count),
                           "--out", f"fault{fault}", "--junit", str(junit),
                           env_extra={"PLATFORMIO_BUILD_FLAGS": flags})  # fmt: skip
    return proc, report, next(iter(junitparser.JUnitXml.fromfile(str(junit))))


def test_fault_one_flipped_bit_is_a_mismatch_on_that_vector(work) -> None:
    proc, report, suite = _fault(work, 1, vector=7)
    assert proc.returncode == 1 and report["status"] == "mismatch"
    assert [v["index"] for v in report["vectors"] if not v["ok"]] == [7]
    failed = [c for c in suite if not c.is_passed]
    assert [c.name for c in failed] == ["vector 7"]
    message = failed[0].result[0].message
    assert "vector 7 differs" in message and "device" in message and "reference" in message and "1 LSB" in message
    assert "1 of 20 vectors differ (first: vector 7)" in proc.stderr


def test_fault_missing_summary_is_an_incomplete_run(work) -> None:
    proc, report, suite = _fault(work, 2)
    assert proc.returncode == 4 and report["status"] == "device-failed"
    assert "never sent its final summary" in report["message"]
    assert [c.name for c in suite if not c.is_passed] == ["summary"]
    assert all(v["ok"] for v in report["vectors"]) and len(report["vectors"]) == 20  # every vector matched: no pass


def test_fault_corrupted_reply_is_resent_and_reported(work) -> None:
    """The first RESULT arrives damaged: the host resends RUN, the board answers from its cache (the inference is
    not run twice: the summary still counts 20), and the report says a request was resent."""
    proc, report, _ = _fault(work, 3)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert report["retries"] == 1 and report["bad_frames"] >= 1 and report["summary"]["vectors"] == 20
    assert "1 request(s) resent" in proc.stdout


def test_fault_other_model_is_named_in_the_handshake_error(work) -> None:
    proc, report, suite = _fault(work, 4)
    assert proc.returncode == 4
    assert "the board runs model" in report["message"] and "not hello_world_int8" in report["message"]
    assert [c.name for c in suite if not c.is_passed] == ["handshake"]


# --- The device under noise: garbage and corrupted frames on its serial input -----------------------------------


class NoisyStream:
    """Wraps the QEMU TCP serial: every third request is preceded by garbage and every fifth is sent with one bit
    flipped (the link must resend it; the device must NAK or ignore the damage, never act on it)."""

    def __init__(self, stream, seed: int = 0) -> None:
        self.stream = stream
        self.rng = np.random.default_rng(seed)
        self.writes = 0

    def read(self, size: int = 1) -> bytes:
        return self.stream.read(size)

    def write(self, data: bytes) -> int:
        self.writes += 1
        if self.writes % 3 == 0:
            self.stream.write(self.rng.integers(0, 256, 7, dtype=np.uint8).tobytes().replace(b"\xa5", b"\x00"))
        if self.writes % 5 == 0:
            damaged = bytearray(data)
            damaged[int(self.rng.integers(2, len(damaged)))] ^= 1 << int(self.rng.integers(0, 8))
            self.stream.write(bytes(damaged))
            return len(data)
        return self.stream.write(data)

    def close(self) -> None:
        self.stream.close()


def test_device_survives_noise_on_its_serial_input(work) -> None:
    from tinyflash import virtual
    from tinyflash.model import load_model
    from tinyflash.monitor import open_url
    from tinyflash.reference import Interpreter
    from tinyflash.testing.link import ExchangeLog, Link

    tf_test(work, shared("micro_speech_quantized.tflite"), "-b", "virtual-m4", "--random", "1", "--out", "noise")
    firmware = work[0] / "noise/.pio/build/virtual-m4/firmware.elf"
    running = virtual.start_qemu("mps2-an386", firmware)
    try:
        link = Link(NoisyStream(open_url(f"socket://127.0.0.1:{running.port}", 115200)), ExchangeLog(None))
        info = link.hello(10)
        model = load_model(shared("micro_speech_quantized.tflite"))
        ref = Interpreter(model)
        rng = np.random.default_rng(3)
        for v in range(4):
            x = rng.integers(-128, 128, model.inputs[0].shape, endpoint=False).astype(np.int8)
            link.load(0, x.tobytes(), info.max_payload - 5)
            result = link.run(v)
            got = np.frombuffer(result.inline or link.read(0, info.outputs[0].nbytes, 507), np.int8)
            assert np.array_equal(got, ref.run([x])[0].reshape(-1))
        count, _ = link.end()
        assert count == 4 and link.retries > 0
    finally:
        virtual.stop(running)


# --- Stopped early: reports are still written, nothing is left running ------------------------------------------


def _our_processes(folder: Path) -> list[str]:
    from tinyflash import procs

    return [p.command for p in procs.find() if p.project.startswith(str(folder))]


def test_timeout_fires_and_still_writes_both_reports(work) -> None:
    tf_test(work, shared("hello_world_int8.tflite"), "-b", "virtual-m4", "--random", "2", "--out", "slow")  # warm
    junit = work[0] / "timeout.xml"
    proc, report = tf_test(work, shared("hello_world_int8.tflite"), "-b", "virtual-m4", "--random", "20000",
                           "--timeout", "4", "--out", "slow", "--junit", str(junit))  # fmt: skip
    assert proc.returncode == 4 and "--timeout 4 s ran out" in report["message"]
    assert 0 < report["vectors_sent"] < 20000
    suite = next(iter(junitparser.JUnitXml.fromfile(str(junit))))
    assert any(not c.is_passed for c in suite) or report["status"] != "passed"
    assert _our_processes(work[0] / "slow") == []


def _long_run(work, out: str) -> tuple[subprocess.Popen, Path]:
    """A warm `tinyflash test` of 20,000 vectors, returned once more than 20 have run (its JSON report path)."""
    folder, env = work
    tf_test(work, shared("hello_world_int8.tflite"), "-b", "virtual-m4", "--random", "2", "--out", out)  # warm
    report_path, log = folder / f"{out}.json", folder / f"{out}.log"
    proc = subprocess.Popen([*TINYFLASH, "test", shared("hello_world_int8.tflite"), "-b", "virtual-m4", "--random",
                             "20000", "--out", out, "--json", str(report_path), "--log", str(log)], cwd=folder,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (log.exists() and log.read_text().count("RESULT") > 20):
        time.sleep(0.1)
    return proc, report_path


def test_ctrl_c_mid_run_writes_reports_and_stops_the_board(work) -> None:
    proc, report_path = _long_run(work, "intr")
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "Traceback" not in err, err
    report = json.loads(report_path.read_text())
    assert report["exit_code"] == 130 and report["vectors_sent"] > 20
    assert _our_processes(work[0] / "intr") == []


def test_board_that_dies_mid_run_is_a_device_failure(work) -> None:
    from tinyflash import procs

    proc, report_path = _long_run(work, "dies")
    victims = [p for p in procs.find() if p.project == str((work[0] / "dies").resolve())]
    assert victims
    for victim in victims:
        os.kill(victim.pid, signal.SIGKILL)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 4, err
    report = json.loads(report_path.read_text())
    assert report["status"] == "device-failed" and report["vectors_sent"] > 20


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tolerance", "bogus"], "--tolerance 'bogus' is not understood"),
        (["--metric", "speed:3"], "--metric 'speed:3' is not understood"),
        (["--vectors", "missing.npz"], "missing.npz does not exist"),
        (["--random", "0"], "need at least one vector"),
        (["--timeout", "nan"], "not a positive number"),
    ],
)
def test_bad_input_is_exit_2_with_a_report(work, args: list[str], message: str) -> None:
    proc, report = tf_test(work, shared("hello_world_int8.tflite"), "-b", "virtual-m4", *args)
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr
    assert report["status"] == "bad-input" and report["exit_code"] == 2


def test_build_failure_is_exit_3_with_its_errors_in_the_junit(work) -> None:
    junit = work[0] / "broken.xml"
    proc, report = tf_test(work, shared("hello_world_int8.tflite"), "-b", "virtual-m4", "--out", "broken",
                           "--junit", str(junit),
                           env_extra={"PLATFORMIO_BUILD_FLAGS": "-DTINYFLASH_VALIDATE_FAULT=not_a_fault"})  # fmt: skip
    assert proc.returncode == 3 and report["status"] == "build-failed"
    build_case = next(iter(next(iter(junitparser.JUnitXml.fromfile(str(junit))))))
    assert build_case.name == "build" and not build_case.is_passed
    assert "error" in build_case.result[0].message


def test_protocol_doc_matches_the_code() -> None:
    """docs/validate-protocol.md is what other implementations follow: its type codes must be the code's."""
    from tinyflash.testing import protocol as p

    doc = (REPO / "docs" / "validate-protocol.md").read_text()
    for code, name in p.NAMES.items():
        assert f"`{name}` 0x{code:02X}" in doc, name
    assert "`0xA5 0x5A`" in doc and struct.pack("<H", 0xA5 | 0x5A << 8) == p.MARKER
    device = (REPO / "firmware_templates" / "common" / "validate_link.h").read_text()
    for code, name in p.NAMES.items():
        assert f"= 0x{code:02X}," in device, name


def test_over_a_tty_at_uart_speed(work) -> None:
    """The host side over a real serial port (pyserial on a pty, termios and all) with the line paced at 115200
    baud (11,520 bytes/s each way, as a UART with 8N1 framing carries): the validate firmware of the native
    board answers on the other end."""
    import pty
    import threading
    import tty

    from tinyflash.model import load_model
    from tinyflash.monitor import open_url
    from tinyflash.reference import Interpreter
    from tinyflash.testing.link import ExchangeLog, Link

    model_path = shared("micro_speech_quantized.tflite")
    tf_test(work, model_path, "-b", "native", "--random", "1", "--out", "tty")
    firmware = work[0] / "tty/.pio/build/native/firmware"
    master, slave = pty.openpty()
    tty.setraw(slave)
    device = subprocess.Popen([str(firmware)], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    rate = 115200 / 10

    def pace(read, write) -> None:
        while True:
            try:
                chunk = read(64)
            except OSError:
                return
            if not chunk:
                return
            time.sleep(len(chunk) / rate)
            try:
                write(chunk)
            except OSError:
                return

    def to_device(chunk: bytes) -> None:
        device.stdin.write(chunk)
        device.stdin.flush()

    threading.Thread(target=pace, args=(lambda n: os.read(master, n), to_device), daemon=True).start()
    threading.Thread(target=pace, args=(lambda n: os.read(device.stdout.fileno(), n), lambda c: os.write(master, c)),
                     daemon=True).start()  # fmt: skip
    stream = open_url(os.ttyname(slave), 115200)
    try:
        link = Link(stream, ExchangeLog(None))
        info = link.hello(10)
        model = load_model(model_path)
        ref = Interpreter(model)
        x = np.random.default_rng(5).integers(-128, 128, model.inputs[0].shape).astype(np.int8)
        start = time.monotonic()
        link.load(0, x.tobytes(), info.max_payload - 5)
        result = link.run(0)
        elapsed = time.monotonic() - start
        assert np.array_equal(np.frombuffer(result.inline, np.int8), ref.run([x])[0].reshape(-1))
        assert link.end() == (1, result.crc)
        assert elapsed > 1960 / rate  # the line really was paced: the input alone takes 0.17 s at 115200 baud
    finally:
        stream.close()
        device.kill()
        device.wait()
        os.close(master)
