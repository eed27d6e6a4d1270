"""The pytest plugin, run by pytest itself (pytester, in subprocesses) on virtual boards: passes, failures showing
the board's last lines, a board kind not in the rack, xdist workers sharing one virtual rack, JUnit properties,
and an infrastructure failure retried once — then a board marked broken."""

from __future__ import annotations

import itertools

import junitparser
import pytest

from conftest import REPO, require_tool

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.integration
SINE = REPO / "examples" / "sine_model.tflite"


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """One core dir and one build folder for every pytester run here: the plugin builds each firmware once."""
    for tool in ("arm-none-eabi-gcc", "qemu-system-arm"):
        require_tool(tool)
    return {
        "core": tmp_path_factory.mktemp("pio-core"),
        "builds": tmp_path_factory.mktemp("builds"),
        "locks": tmp_path_factory.mktemp("locks"),
    }


@pytest.fixture
def run(pytester: pytest.Pytester, shared, monkeypatch):
    monkeypatch.setenv("TINYFLASH_PIO_CORE_DIR", str(shared["core"]))
    monkeypatch.setenv("TINYFLASH_LOCK_DIR", str(shared["locks"]))
    monkeypatch.delenv("CI", raising=False)  # the inner runs are pytest's own, not this suite's CI mode

    def go(*args: str) -> pytest.RunResult:
        return pytester.runpytest_subprocess("--tinyflash-build-dir", str(shared["builds"]), "-p", "no:cacheprovider",
                                             *args, timeout=600)  # fmt: skip

    return go


def case_properties(junit) -> dict[str, str]:
    """The first test case's properties (junitparser reads the file; its TestCase has no properties API)."""
    import xml.etree.ElementTree as ET

    assert len(junitparser.JUnitXml.fromfile(str(junit))) == 1  # a valid JUnit file, as CI systems read it
    case = ET.parse(junit).getroot().find(".//testcase")
    return {p.get("name"): p.get("value") for p in case.iter("property")}


HEADER = f"""
import os, time
from pathlib import Path
import pytest
SINE = {str(SINE)!r}
"""


def test_pass_and_a_failure_that_shows_the_boards_last_lines(pytester, run) -> None:
    pytester.makepyfile(
        HEADER
        + """
@pytest.mark.tinyflash(model=SINE, app="sine")
def test_boots(dut):
    dut.expect(r"^tinyflash: sine_model")
    assert dut.read_lines(3)[0].startswith("x_value: 0.000000")

@pytest.mark.tinyflash(model=SINE, app="sine")
def test_waits_for_what_never_comes(dut):
    dut.expect("this line never comes", timeout=1)
"""
    )
    result = run("--tinyflash-board", "virtual-m4")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*no line matched 'this line never comes' within 1 s*",
                                 "*last lines from the board:*", "*| x_value: *", "*full log: *"])  # fmt: skip


def test_a_board_kind_not_in_the_rack_is_skipped_or_fails_when_strict(pytester, run) -> None:
    rack = pytester.path / "rack.toml"
    rack.write_text('[[board]]\nname = "vm4-a"\nboard = "virtual-m4"\n')
    pytester.makepyfile(
        HEADER
        + """
@pytest.mark.tinyflash(board="nano33ble", model=SINE, app="sine", runtime="aot")
def test_on_a_nano(dut):
    pass
"""
    )
    skipped = run("--tinyflash-rack", str(rack), "-rs")
    skipped.assert_outcomes(skipped=1)
    skipped.stdout.fnmatch_lines(["*no nano33ble in the rack*"])
    strict = run("--tinyflash-rack", str(rack), "--tinyflash-strict")
    strict.assert_outcomes(errors=1)


def test_two_xdist_workers_share_one_virtual_rack_without_overlapping(pytester, run) -> None:
    pytest.importorskip("xdist")
    rack = pytester.path / "rack.toml"
    rack.write_text('[[board]]\nname = "vm4-a"\nboard = "virtual-m4"\n')
    spans = pytester.path / "spans"
    spans.mkdir()
    pytester.makepyfile(
        HEADER
        + f"""
@pytest.mark.parametrize("n", range(4))
@pytest.mark.tinyflash(model=SINE, app="sine")
def test_uses_the_board(dut, n):
    start = time.time()
    dut.expect(r"^tinyflash: ")
    time.sleep(0.5)
    Path({str(spans)!r}, f"{{n}}.txt").write_text(f"{{start}} {{time.time()}} {{os.getpid()}}")
"""
    )
    result = run("--tinyflash-rack", str(rack), "--tinyflash-board", "virtual-m4", "-n", "2")
    result.assert_outcomes(passed=4)
    intervals = sorted(tuple(map(float, p.read_text().split()[:2])) for p in spans.iterdir())
    workers = {p.read_text().split()[2] for p in spans.iterdir()}
    assert len(workers) == 2  # both workers ran tests...
    for (_, end), (start, _) in itertools.pairwise(intervals):
        assert start >= end - 0.05, intervals  # ...one at a time on the rack's one board


def test_junit_carries_board_model_and_log(pytester, run) -> None:
    pytester.makepyfile(
        HEADER
        + """
@pytest.mark.tinyflash(model=SINE, app="sine")
def test_boots(dut):
    dut.expect(r"^tinyflash: ")
"""
    )
    junit = pytester.path / "junit.xml"
    run("--tinyflash-board", "virtual-m4", f"--junitxml={junit}").assert_outcomes(passed=1)
    props = case_properties(junit)
    assert props["board"] == "virtual-m4" and len(props["model_sha256"]) == 64 and props["log"].endswith(".log")


KILLER = (
    HEADER
    + """
from tinyflash import procs

def kill_my_board(dut):
    # The board's port vanishes mid-test: its emulator dies (found by the tag it carries, never by a guess).
    for proc in procs.find():
        if Path(proc.project) == dut.log_path.with_suffix(""):
            os.kill(proc.pid, 9)
"""
)


def test_an_infrastructure_failure_is_retried_once_and_reported_flaky(pytester, run) -> None:
    marker = pytester.path / "attempted"
    pytester.makepyfile(
        KILLER
        + f"""
@pytest.mark.tinyflash(model=SINE, app="sine")
def test_survives_one_lost_port(dut):
    dut.expect(r"^tinyflash: ")
    if not Path({str(marker)!r}).exists():
        Path({str(marker)!r}).write_text("1")
        kill_my_board(dut)
        dut.expect("a line after the board died", timeout=20)
    dut.read_lines(5)
"""
    )
    junit = pytester.path / "junit.xml"
    run("--tinyflash-board", "virtual-m4", f"--junitxml={junit}").assert_outcomes(passed=1)
    props = case_properties(junit)
    assert "infrastructure failure, retried once" in props["flaky"] and "went away" in props["flaky"]


def test_wrong_numbers_are_never_retried(pytester, run) -> None:
    count = pytester.path / "count"
    pytester.makepyfile(
        HEADER
        + f"""
@pytest.mark.tinyflash(model=SINE, app="sine")
def test_wrong(dut):
    p = Path({str(count)!r})
    p.write_text(str(int(p.read_text()) + 1) if p.exists() else "1")
    assert dut.read_lines(2)[1] == "not what the board prints"
"""
    )
    run("--tinyflash-board", "virtual-m4").assert_outcomes(failed=1)
    assert count.read_text() == "1"


def test_a_board_that_keeps_failing_is_marked_broken_and_the_rest_skip(pytester, run) -> None:
    rack = pytester.path / "rack.toml"
    rack.write_text('[[board]]\nname = "vm4-a"\nboard = "virtual-m4"\n')
    pytester.makepyfile(
        KILLER
        + """
@pytest.mark.tinyflash(model=SINE, app="sine")
def test_a_loses_its_port_every_time(dut):
    dut.expect(r"^tinyflash: ")
    kill_my_board(dut)
    dut.expect("a line after the board died", timeout=20)

@pytest.mark.tinyflash(model=SINE, app="sine")
def test_b_would_need_the_same_board(dut):
    dut.expect(r"^tinyflash: ")
"""
    )
    result = run("--tinyflash-rack", str(rack), "--tinyflash-board", "virtual-m4", "-rs")
    result.assert_outcomes(failed=1, skipped=1)
    result.stdout.fnmatch_lines(["*every virtual-m4 in the rack is marked broken*vm4-a*went away*"])


def test_validate_fixtures_infer_and_run_vectors(pytester, run) -> None:
    pytester.makepyfile(
        HEADER
        + """
import numpy as np
from tinyflash.model import load_model
from tinyflash.reference import Interpreter

@pytest.mark.tinyflash(model=SINE, app="validate")
def test_vectors(dut):
    model = load_model(SINE)
    x = np.full(model.inputs[0].shape, 7, dtype=model.inputs[0].dtype)
    assert np.array_equal(dut.infer([x])[0], Interpreter(model).run([x])[0])
    report = dut.run_vectors(random=20, seed=3)
    assert report.status == "passed" and report.summary["vectors"] == 20, report.message
"""
    )
    run("--tinyflash-board", "native").assert_outcomes(passed=1)
