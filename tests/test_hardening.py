"""tinyflash never signals, writes or deletes what it did not make, and every bad input is a clean error.

Tried as a hostile but realistic user would: crafted state files, symlinks, markup and escapes in names,
signals at awkward moments, two commands in one project. Tests that signal processes run inside a private
PID namespace (`unshare --fork --pid --mount-proc`), where nothing outside can be touched.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import REPO, require_tool, unavailable
from fake_tflm_tree import fake_tree
from tflite_builder import Graph, Op, T, build, fully_connected_options, tiny_dense

SINE = REPO / "examples" / "sine_model.tflite"
TINYFLASH = [sys.executable, "-m", "tinyflash"]


def cli(*args: str, cwd: Path, timeout: float = 180, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*TINYFLASH, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env=env, start_new_session=True)  # fmt: skip


def clean_failure(proc: subprocess.CompletedProcess, code: int = 2) -> str:
    """The process failed the documented way: one `error:` line, no traceback, no internal error."""
    assert proc.returncode == code, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr, proc.stderr
    assert proc.stderr.startswith("error: "), proc.stderr
    return proc.stderr


def pid_namespace(script: str, *args: str, cwd: Path, timeout: float = 240) -> subprocess.CompletedProcess:
    """Run a Python script as pid 1 of a fresh PID namespace: whatever it (or tinyflash) signals, only
    processes it started can be hit, and all of them die with it."""
    require_tool("unshare")
    probe = subprocess.run(["unshare", "--fork", "--pid", "--mount-proc", "true"], capture_output=True)
    if probe.returncode != 0:
        unavailable(f"cannot create a PID namespace here: {probe.stderr.decode().strip()}")
    cmd = ["unshare", "--fork", "--pid", "--mount-proc", sys.executable, "-c", textwrap.dedent(script), *args]
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def core(tmp_path_factory: pytest.TempPathFactory):
    """One PlatformIO core dir for the module's builds (a path with a space: that must work too)."""
    for tool in ("arm-none-eabi-gcc", "qemu-system-arm"):
        require_tool(tool)
    folder = tmp_path_factory.mktemp("pio core")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TINYFLASH_PIO_CORE_DIR", str(folder))
        yield folder


@pytest.fixture(scope="module")
def sine_project(tmp_path_factory: pytest.TempPathFactory, core: Path) -> Path:
    """The sine model built for virtual-m4, in a folder whose path has a space."""
    work = tmp_path_factory.mktemp("with space")
    proc = cli("build", "-b", "virtual-m4", str(SINE), "--out", "proj", cwd=work)
    assert proc.returncode == 0, proc.stderr
    return work / "proj"


# --- 1, 12: signals only for processes tinyflash started; orphans found; stop --all ----------------------------


SIGNAL_SCRIPT = """
import json, os, subprocess, sys, time
from pathlib import Path

project = Path(sys.argv[1])
state = project / ".tinyflash" / "run.json"
apart = subprocess.Popen(["sleep", "61"], start_new_session=True)  # a stranger leading its own group
beside = subprocess.Popen(["sleep", "62"])  # a stranger in pid 1's group
time.sleep(0.2)
me = open("/proc/1/cmdline", "rb").read().split(b"\\0")[0].decode()
records = [
    # The old format, crafted so a substring check on the command line passes for each target.
    {"pid": 1, "pgid": 1, "port": 1, "command": [me], "log": "", "started": 0},
    {"pid": 0, "pgid": 0, "port": 1, "command": [me], "log": "", "started": 0},
    {"pid": -1, "pgid": -1, "port": 1, "command": [me], "log": "", "started": 0},
    {"pid": apart.pid, "pgid": apart.pid, "port": 61, "command": ["sleep"], "log": "", "started": 0},
    {"pid": beside.pid, "pgid": 1, "port": 62, "command": ["sleep"], "log": "", "started": 0},
    # The current format, naming strangers.
    {"pid": 1, "port": 1, "command": [me], "log": "", "started": 0, "instance": "0" * 16, "project": str(project)},
    {"pid": apart.pid, "port": 61, "command": ["sleep"], "log": "", "started": 0, "instance": "1" * 16,
     "project": str(project)},
]
results = []
for record in records:
    state.write_text(json.dumps(record))
    proc = subprocess.run([sys.executable, "-m", "tinyflash", "stop", "--project", str(project)],
                          capture_output=True, text=True, start_new_session=True, timeout=60)
    results.append({"pid": record["pid"], "rc": proc.returncode, "out": proc.stdout, "err": proc.stderr,
                    "apart": apart.poll(), "beside": beside.poll()})
print(json.dumps(results))
"""


def test_crafted_run_records_never_signal_strangers(sine_project: Path) -> None:
    """pid 1, pid 0, our own group, a stranger whose command line matches the record: none is signalled, the
    stop succeeds, and a record naming a live stranger is reported and left alone."""
    proc = pid_namespace(SIGNAL_SCRIPT, str(sine_project), cwd=sine_project)
    assert proc.returncode == 0, proc.stderr
    results = json.loads(proc.stdout)
    for r in results:
        assert r["rc"] == 0, r  # tinyflash itself survived (killpg(0) would have ended it)
        assert r["apart"] is None and r["beside"] is None, r  # both strangers still run
        assert "nothing was running" in r["out"], r
    assert "damaged" in results[0]["err"]
    assert "left it alone" in results[-1]["err"] and str(results[-1]["pid"]) in results[-1]["err"]


ORPHAN_SCRIPT = """
import json, os, subprocess, sys
from pathlib import Path

a, b = Path(sys.argv[1]), Path(sys.argv[2])

def tinyflash(*args):
    proc = subprocess.run([sys.executable, "-m", "tinyflash", *args], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, (args, proc.stderr)
    return proc.stdout

def emulators(project):
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        if int(pid) == os.getpid():
            continue
        try:
            cmd = open(f"/proc/{pid}/cmdline", "rb").read().decode(errors="replace")
            state = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if "qemu-system-arm" in cmd and str(project) in cmd and state != "Z":
            found.append(int(pid))
    return found

stranger = subprocess.Popen(["sleep", "60"], start_new_session=True)
steps = {}
tinyflash("flash", "--project", str(a))
steps["flashed"] = len(emulators(a))
(a / ".tinyflash" / "run.json").write_text("{ damaged")
tinyflash("flash", "--project", str(a))  # must replace the running one, not start a second
steps["reflashed_over_damaged_record"] = len(emulators(a))
(a / ".tinyflash" / "run.json").unlink()
steps["stop_without_record"] = tinyflash("stop", "--project", str(a)).strip()
steps["after_stop"] = len(emulators(a))
tinyflash("flash", "--project", str(a))
tinyflash("flash", "--project", str(b))
steps["two_running"] = len(emulators(a)) + len(emulators(b))
steps["stop_all"] = tinyflash("stop", "--all").strip().splitlines()[-1]
steps["after_stop_all"] = len(emulators(a)) + len(emulators(b))
steps["stranger"] = stranger.poll()
print(json.dumps(steps))
"""


def test_orphans_are_found_without_records_and_stop_all_ends_every_board(sine_project: Path, tmp_path: Path) -> None:
    other = tmp_path / "second project"
    proc = cli("build", "-b", "virtual-m4", str(SINE), "--out", str(other), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    result = pid_namespace(ORPHAN_SCRIPT, str(sine_project), str(other), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    steps = json.loads(result.stdout)
    assert steps == {
        "flashed": 1,
        "reflashed_over_damaged_record": 1,
        "stop_without_record": "stopped",
        "after_stop": 0,
        "two_running": 2,
        "stop_all": "stopped 2 process(es)",
        "after_stop_all": 0,
        "stranger": None,
    }


# --- 2, 3: state paths stay inside the project; writes never go through a symlink ------------------------------


def _hash(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()


def test_crafted_manifest_cannot_touch_files_outside_the_generated_ones(tmp_path: Path) -> None:
    from tinyflash.project import MANIFEST, write_project

    root = tmp_path / "project"
    outside = tmp_path / "outside.txt"
    outside.write_text("precious\n")
    (root / ".git").mkdir(parents=True)
    (root / ".git" / "config").write_text("[core]\n")
    manifest = {
        "../outside.txt": _hash("precious\n"),
        str(outside): _hash("precious\n"),
        "src/../../outside.txt": _hash("precious\n"),
        ".git/config": _hash("[core]\n"),
        "src/ok.cc": 42,
    }
    (root / ".tinyflash").mkdir()
    (root / MANIFEST).write_text(json.dumps(manifest))
    result = write_project(root, {"src/main.cc": "int main() {}\n"})
    assert outside.read_text() == "precious\n" and (root / ".git" / "config").read_text() == "[core]\n"
    assert result.removed == () and result.moved == ()
    assert len(result.warnings) == len(manifest)
    assert not (tmp_path / ".tinyflash").exists()  # nothing was moved "aside" outside the project


def test_manifest_of_the_wrong_type_is_ignored_with_a_warning(tmp_path: Path) -> None:
    from tinyflash.project import MANIFEST, write_project

    (tmp_path / ".tinyflash").mkdir()
    for damaged in ("[1, 2]", "not json", '"a string"'):
        (tmp_path / MANIFEST).write_text(damaged)
        result = write_project(tmp_path, {"src/a.cc": "a\n"})
        assert result.warnings and (tmp_path / "src/a.cc").read_text() == "a\n"


def test_dangling_symlink_is_never_written_through(tmp_path: Path) -> None:
    from tinyflash.project import write_project

    root, target = tmp_path / "project", tmp_path / "created-outside.cc"
    (root / "src").mkdir(parents=True)
    (root / "src" / "main.cc").symlink_to(target)
    kept = write_project(root, {"src/main.cc": "generated\n"})
    assert kept.kept_edits == ("src/main.cc",) and not target.exists()
    forced = write_project(root, {"src/main.cc": "generated\n"}, force=True)
    assert not target.exists() and not (root / "src" / "main.cc").is_symlink()
    assert (root / "src" / "main.cc").read_text() == "generated\n"
    assert forced.moved == (("src/main.cc", ".tinyflash/kept/src/main.cc"),)
    assert (root / ".tinyflash/kept/src/main.cc").is_symlink()  # the user's link, kept as it was


def test_force_never_overwrites_a_links_target(tmp_path: Path) -> None:
    from tinyflash.project import write_project

    root, target = tmp_path / "project", tmp_path / "theirs.cc"
    target.write_text("someone else's file\n")
    (root / "src").mkdir(parents=True)
    (root / "src" / "main.cc").symlink_to(target)
    write_project(root, {"src/main.cc": "generated\n"}, force=True)
    assert target.read_text() == "someone else's file\n"


@pytest.mark.parametrize("linked", ["src", ".tinyflash"])
def test_symlinked_folders_are_refused_before_anything_is_written(tmp_path: Path, linked: str) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    root = tmp_path / "project"
    root.mkdir()
    (root / linked).symlink_to(elsewhere)
    proc = cli("build", "-b", "virtual-m4", str(SINE), "--out", str(root), "--no-compile", cwd=tmp_path)
    assert "is a symlink or not a folder" in clean_failure(proc)
    assert list(elsewhere.iterdir()) == []


def test_edited_file_overwritten_by_force_is_saved_first(tmp_path: Path) -> None:
    from tinyflash.project import write_project

    write_project(tmp_path, {"src/a.cc": "v1\n"})
    (tmp_path / "src/a.cc").write_text("mine\n")
    forced = write_project(tmp_path, {"src/a.cc": "v2\n"}, force=True)
    assert (tmp_path / "src/a.cc").read_text() == "v2\n"
    assert forced.moved == (("src/a.cc", ".tinyflash/kept/src/a.cc"),)
    (tmp_path / "src/a.cc").write_text("mine again\n")
    again = write_project(tmp_path, {"src/a.cc": "v3\n"}, force=True)
    assert again.moved == (("src/a.cc", ".tinyflash/kept/src/a.cc.1"),)  # the earlier copy is not replaced
    assert (tmp_path / ".tinyflash/kept/src/a.cc").read_text() == "mine\n"


def test_writes_are_atomic_and_leave_no_temporary_files(tmp_path: Path) -> None:
    from tinyflash import files

    files.write_file(tmp_path, "src/x.cc", "one\n")
    inode = (tmp_path / "src/x.cc").stat().st_ino
    files.write_file(tmp_path, "src/x.cc", "two\n")
    assert (tmp_path / "src/x.cc").read_text() == "two\n"
    assert (tmp_path / "src/x.cc").stat().st_ino != inode  # replaced by rename, never rewritten in place
    assert sorted(p.name for p in (tmp_path / "src").iterdir()) == ["x.cc"]


@pytest.mark.parametrize("rel", ["../x", "/etc/passwd", "src/../../x", "", "a//b", "./a", "a\\b", "a\0b"])
def test_paths_from_state_must_stay_inside(rel: str) -> None:
    from tinyflash.files import clean_relative

    assert clean_relative(rel) is None


# --- 4: markup and terminal escapes from users and models are shown as text ------------------------------------


def _hostile_model(tmp_path: Path, name: str) -> Path:
    evil = "[bold red]FAKE: verified OK[/] \x1b]0;pwned\x07 \x1b[31mred\u202e"
    w = np.ones((2, 2), np.float32)
    g = Graph(
        tensors=[T(f"in[/]{evil}", (1, 2)), T("w", (2, 2), data=w), T("b[/x]", (1, 2)), T("out", (1, 2))],
        ops=[Op("FULLY_CONNECTED", (0, 1), (2,), options=fully_connected_options()), Op(evil, (2,), (3,), custom=True)],
        inputs=(0,),
        outputs=(3,),
        description=evil,
    )
    path = tmp_path / name
    path.write_bytes(build(g))
    return path


def test_markup_and_escapes_in_model_strings_are_shown_literally(tmp_path: Path) -> None:
    (tmp_path / "a[").mkdir()
    _hostile_model(tmp_path / "a[", "x]b.tflite")
    proc = cli("inspect", "a[/x]b.tflite", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "[bold red]FAKE: verified OK[/]" in proc.stdout  # the markup, as text
    assert "a[/x]b.tflite" in proc.stdout and "in[/]" in proc.stdout
    assert "\x1b" not in proc.stdout and "\x07" not in proc.stdout and "\u202e" not in proc.stdout
    assert "\\u001b" in proc.stdout and "\\u202e" in proc.stdout  # neutralised, still visible


def test_markup_in_arguments_is_a_clean_error(tmp_path: Path) -> None:
    proc = cli("build", "-b", "[/]", str(SINE), cwd=tmp_path)
    assert "unknown board '[/]'" in clean_failure(proc)
    missing = cli("inspect", "nope[/]\x1b[2J.tflite", cwd=tmp_path)
    err = clean_failure(missing)
    assert "nope[/]" in err and "\x1b" not in err


# --- 5, 9, 11, 17: monitoring never loses lines, never passes silently, never hangs -----------------------------


class Streamer:
    """A loopback TCP 'board' sending numbered lines for as long as the reader stays."""

    def __init__(self, lines: int | None = None, pause: float = 0.0, silent: bool = False) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.url = f"socket://127.0.0.1:{self.sock.getsockname()[1]}"
        self.lines, self.pause, self.silent = lines, pause, silent
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        conn, _ = self.sock.accept()
        with conn:
            if self.silent:
                time.sleep(30)
                return
            n = 0
            try:
                while self.lines is None or n < self.lines:
                    conn.sendall(b"".join(f"line {i} x_value: {i}\n".encode() for i in range(n, n + 50)))
                    n += 50
                    time.sleep(self.pause)
            except OSError:
                pass


def test_interrupt_between_printing_and_logging_loses_no_line(tmp_path: Path) -> None:
    """The signal lands while a chunk's lines are being printed (delivered to on_line): every line delivered
    must be in the log too."""
    from tinyflash import signals
    from tinyflash.monitor import MonitorOptions, open_url, read_lines

    old = {s: signal.getsignal(s) for s in signals.HANDLED}
    signals.install()
    try:
        log = tmp_path / "serial.log"
        got: list[str] = []

        def on_line(line) -> None:
            got.append(line.text)
            if len(got) == 7:
                os.kill(os.getpid(), signal.SIGTERM)

        srv = Streamer()
        result = read_lines(lambda: open_url(srv.url, 115200), MonitorOptions(log=log, timeout=20), on_line)
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
    assert result.reason == "interrupted" and result.exit_code == 128 + signal.SIGTERM
    logged = [line.split(" ", 1)[1] for line in log.read_text().splitlines()]
    assert logged == got and len(got) >= 7


def test_monitor_interrupted_at_random_moments_logs_every_printed_line(tmp_path: Path) -> None:
    srv_lines = []
    for attempt in range(6):
        srv = Streamer(pause=0.001)
        log = tmp_path / f"log{attempt}.txt"
        proc = subprocess.Popen([*TINYFLASH, "monitor", "--port", srv.url, "--log", str(log)], cwd=tmp_path,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
        assert _wait_for(lambda: log.exists() and log.stat().st_size > 0, timeout=30)  # noqa: B023
        time.sleep(0.02 * attempt)
        proc.send_signal(signal.SIGINT if attempt % 2 else signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
        assert proc.returncode in (130, 143) and "Traceback" not in err, err
        printed = out.splitlines()
        logged = [line.split(" ", 1)[1] for line in log.read_text().splitlines()]
        assert printed == logged and printed
        srv_lines.append(len(printed))
    assert min(srv_lines) > 0


def test_silence_and_ended_streams_are_not_success(tmp_path: Path) -> None:
    silent = Streamer(silent=True)
    proc = cli("monitor", "--port", silent.url, "--timeout", "1", cwd=tmp_path)
    assert "no output from the board in 1 s" in clean_failure(proc, 4)
    ended = Streamer(lines=100)
    proc = cli("monitor", "--port", ended.url, "--timeout", "20", cwd=tmp_path)
    assert "output ended (100 lines received)" in clean_failure(proc, 4)
    assert len(proc.stdout.splitlines()) == 100
    flowing = Streamer(pause=0.05)
    proc = cli("monitor", "--port", flowing.url, "--timeout", "1", cwd=tmp_path)
    assert proc.returncode == 0 and proc.stdout and not proc.stderr  # watched for as long as asked


@pytest.mark.parametrize(
    "option",
    [
        ["--timeout", "nan"],
        ["--timeout", "inf"],
        ["--timeout", "-1"],
        ["--baud", "-5"],
        ["--baud", "0"],
        ["--lines", "0"],
        ["--until", "("],
    ],
)
def test_bad_monitor_options_are_refused_up_front(tmp_path: Path, option: list[str]) -> None:
    t0 = time.monotonic()
    proc = cli("monitor", "--port", "socket://127.0.0.1:9", *option, cwd=tmp_path)
    clean_failure(proc)
    assert time.monotonic() - t0 < 10


def test_run_checks_monitor_options_before_building(tmp_path: Path) -> None:
    for option in (["--until", "("], ["--plot-png", "/proc/tinyflash-plot.png"], ["--timeout", "nan"]):
        t0 = time.monotonic()
        proc = cli("run", "-b", "virtual-m4", str(SINE), *option, cwd=tmp_path)
        clean_failure(proc)
        assert time.monotonic() - t0 < 10 and not (tmp_path / "tinyflash-build").exists()


def test_monitor_into_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    srv = Streamer(pause=0.001)
    shell = f"{' '.join(TINYFLASH)} monitor --port {srv.url} | head -n 3; echo status=${{PIPESTATUS[0]}}"
    proc = subprocess.run(["bash", "-c", shell], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert proc.stdout.splitlines()[:3] == ["line 0 x_value: 0", "line 1 x_value: 1", "line 2 x_value: 2"]
    assert proc.stdout.splitlines()[-1] == "status=141" and proc.stderr == ""


def test_inspect_reads_at_most_the_size_limit(tmp_path: Path) -> None:
    t0 = time.monotonic()
    proc = cli("inspect", "/dev/zero", cwd=tmp_path, timeout=30)
    assert "not a TFLite flatbuffer" in clean_failure(proc) and time.monotonic() - t0 < 10


# --- 6, 7: SIGTERM ends children; two commands in one project --------------------------------------------------


def _processes_mentioning(text: str) -> list[str]:
    """Live processes whose command line mentions ``text`` or that run inside it (compilers use relative paths)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            cwd = os.readlink(f"/proc/{pid}/cwd")
        except OSError:
            continue
        if (text in cmd or cwd.startswith(text)) and state != "Z" and int(pid) != os.getpid():
            found.append(cmd)
    return found


def _wait_for(predicate, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_signal_during_run_leaves_no_emulator(sine_project: Path, signum: int) -> None:
    log = sine_project.parent / f"run-{signum}.log"
    proc = subprocess.Popen([*TINYFLASH, "run", "-b", "virtual-m4", str(SINE), "--out", str(sine_project),
                             "--log", str(log)], cwd=sine_project.parent, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    assert _wait_for(lambda: log.exists() and log.read_text().count("\n") > 3)
    proc.send_signal(signum)
    proc.send_signal(signum)  # a second one while cleaning up must not cut the cleanup short
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 128 + signum and "Traceback" not in err, err
    assert f"error: stopped by {signal.Signals(signum).name}" in err
    assert _processes_mentioning(str(sine_project)) == []


def test_sigterm_during_a_build_ends_pio_and_the_compiler(tmp_path: Path, core: Path) -> None:
    from conftest import shared_model

    model = shared_model("person_detect.tflite")  # a few seconds of compiling: time to be interrupted
    project = tmp_path / "slow"
    proc = subprocess.Popen([*TINYFLASH, "build", "-b", "virtual-m7", str(model), "--out", str(project)],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    assert _wait_for(lambda: any("model_aot" in c for c in _processes_mentioning(str(project)))), "no compiler seen"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 143 and "Traceback" not in err, err
    assert _wait_for(lambda: _processes_mentioning(str(project)) == [], timeout=10), _processes_mentioning(str(project))


def test_second_command_in_a_busy_project_names_the_holder(sine_project: Path) -> None:
    log = sine_project.parent / "busy.log"
    first = subprocess.Popen([*TINYFLASH, "run", "-b", "virtual-m4", str(SINE), "--out", str(sine_project),
                              "--log", str(log)], cwd=sine_project.parent, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert _wait_for(lambda: log.exists() and log.read_text().count("\n") > 3)
        for args in (["flash", "--project", str(sine_project)], ["stop", "--project", str(sine_project)],
                     ["build", "-b", "virtual-m4", str(SINE), "--out", str(sine_project)]):  # fmt: skip
            second = cli(*args, cwd=sine_project.parent)
            err = clean_failure(second)
            assert f"is in use by `tinyflash run` (pid {first.pid}" in err, err
        assert first.poll() is None  # the first run was not disturbed
    finally:
        first.send_signal(signal.SIGINT)
        first.communicate(timeout=30)
    assert first.returncode == 130
    assert _processes_mentioning(str(sine_project)) == []


# --- 8: paths with spaces ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("board", ["virtual-m7", "native"])
def test_builds_and_runs_in_a_path_with_spaces(sine_project: Path, board: str) -> None:
    """The module's project and core dir both have spaces in their paths; virtual-m4 built there already."""
    assert " " in str(sine_project) and (sine_project / ".pio/build/virtual-m4/firmware.map").is_file()
    proc = cli("run", "-b", board, str(SINE), "--out", f"{board} proj", "--lines", "3", "--timeout", "60",
               cwd=sine_project.parent)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    from tinyflash.boards import get_board
    from tinyflash.model import load_model
    from tinyflash.reference import sine_steps

    first = sine_steps(load_model(SINE), get_board(board).inferences_per_cycle, 1)[0]
    assert proc.stdout.splitlines()[1] == first.line


# --- 10, 13, 14, 18: inputs that used to be internal errors ----------------------------------------------------


def _project_with_state(tmp_path: Path, sine_project: Path) -> Path:
    root = tmp_path / "state"
    shutil.copytree(sine_project / ".tinyflash", root / ".tinyflash", ignore=shutil.ignore_patterns("lock"))
    return root


@pytest.mark.parametrize(
    ("state", "content", "message"),
    [
        ("tinyflash-build/latest.json", "not json", "latest.json is not valid JSON"),
        ("tinyflash-build/latest.json", "[1, 2]", "latest.json is damaged"),
        ("tinyflash-build/latest.json", '{"project": 7}', "latest.json is damaged"),
        ("tinyflash-build/latest.json", '{"project": "relative/dir"}', "is not an absolute path"),
        ("tinyflash-build/latest.json", '{"project": "/nonexistent/dir"}', "does not exist"),
        ("project.json", '{"board": ["virtual-m4"]}', "project.json is damaged"),
        ("project.json", "[]", "project.json is damaged"),
        ("project.json", "{", "project.json is not valid JSON"),
    ],
)
def test_damaged_state_is_a_clean_error(tmp_path: Path, sine_project: Path, state: str, content: str, message: str):
    root = _project_with_state(tmp_path, sine_project)
    if state.startswith("tinyflash-build"):
        (tmp_path / state).parent.mkdir(exist_ok=True)
        (tmp_path / state).write_text(content)
        args = ["flash"]
    else:
        (root / ".tinyflash" / state).write_text(content)
        args = ["flash", "--project", str(root)]
    assert message in clean_failure(cli(*args, cwd=tmp_path))


def test_out_that_is_a_file_or_unwritable_is_a_clean_error(tmp_path: Path) -> None:
    afile = tmp_path / "afile"
    afile.write_text("")
    assert "is a file, not a folder" in clean_failure(cli("build", "-b", "native", str(SINE), "--out", str(afile),
                                                           "--no-compile", cwd=tmp_path))  # fmt: skip
    under = cli("build", "-b", "native", str(SINE), "--out", str(afile / "sub"), "--no-compile", cwd=tmp_path)
    assert "cannot create the project folder" in clean_failure(under)
    proc = cli("build", "-b", "native", str(SINE), "--out", "/proc/tinyflash", "--no-compile", cwd=tmp_path)
    assert "project folder" in clean_failure(proc)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--arena", "1" * 21], "out of range"),
        (["--arena", "-4"], "out of range"),
        (["--runtime", "tflm", "--arena", str(10**9)], "more than nano33ble's"),
        (["--runtime", "aot", "--arena", "4096"], "AOT runtime, which plans its own"),
    ],
)
def test_arena_is_validated(tmp_path: Path, args: list[str], message: str) -> None:
    proc = cli("build", "-b", "nano33ble", str(SINE), "--no-compile", *args, cwd=tmp_path)
    assert message in clean_failure(proc)


def test_arena_below_the_measured_minimum_is_a_warning(tmp_path: Path) -> None:
    proc = cli("build", "-b", "nano33ble", str(SINE), "--no-compile", "--runtime", "tflm", "--arena", "256",
               cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "warning: --arena 256 is below the" in proc.stderr


def test_switching_app_under_an_edit_that_needs_the_old_files_is_refused(tmp_path: Path) -> None:
    model = tmp_path / "dense.tflite"
    model.write_bytes(tiny_dense(out_features=1, in_features=1))
    assert cli("build", "-b", "native", str(model), "--app", "inference", "--no-compile", cwd=tmp_path).returncode == 0
    main = tmp_path / "tinyflash-build/native/src/main_functions.cc"
    main.write_text(main.read_text() + "// my change\n")
    before = {p: p.read_bytes() for p in (tmp_path / "tinyflash-build").rglob("*") if p.is_file()}
    proc = cli("build", "-b", "native", str(model), "--app", "sine", "--no-compile", cwd=tmp_path)
    assert "includes sample_inputs.h, which this build no longer generates" in clean_failure(proc)
    after = {p: p.read_bytes() for p in (tmp_path / "tinyflash-build").rglob("*") if p.is_file()}
    assert after == before  # refused before anything was written
    forced = cli("build", "-b", "native", str(model), "--app", "sine", "--force", "--no-compile", cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert (
        (tmp_path / "tinyflash-build/native/.tinyflash/kept/src/main_functions.cc")
        .read_text()
        .endswith("// my change\n")
    )


def _int16_relu(tmp_path: Path) -> Path:
    g = Graph(tensors=[T("x", (1, 4), "int16", scales=(0.01,), zero_points=(0,)),
                       T("y", (1, 4), "int16", scales=(0.01,), zero_points=(0,))],
              ops=[Op("RELU", (0,), (1,))], inputs=(0,), outputs=(1,))  # fmt: skip
    path = tmp_path / "relu16.tflite"
    path.write_bytes(build(g))
    return path


def test_inspect_and_build_decide_the_runtime_by_one_rule(tmp_path: Path) -> None:
    model = _int16_relu(tmp_path)
    inspected = cli("inspect", str(model), "--json", cwd=tmp_path)
    assert inspected.returncode == 0, inspected.stderr
    report = json.loads(inspected.stdout)
    assert report["runtime"] == "tflm" and not report["aot"]["supported"] and "int16" in report["aot"]["reason"]
    built = cli("build", "-b", "nano33ble", str(model), "--no-compile", "--json", cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    assert json.loads(built.stdout)["runtime"] == report["runtime"]


@pytest.mark.parametrize(
    ("shape", "message"),
    [((1, 0), "empty or unknown dimension"), ((1 << 14, 1 << 14, 1 << 14), "alone needs")],
)
def test_io_shapes_are_bounded_before_anything_is_allocated(tmp_path: Path, shape: tuple, message: str) -> None:
    g = Graph(tensors=[T("x", shape), T("y", shape)], ops=[Op("RELU", (0,), (1,))], inputs=(0,), outputs=(1,))
    model = tmp_path / "odd.tflite"
    model.write_bytes(build(g))
    t0 = time.monotonic()
    tree = fake_tree(tmp_path / "tree")
    proc = cli("build", "-b", "native", str(model), "--runtime", "tflm", "--tflm-dir", str(tree),
               "--no-compile", cwd=tmp_path)  # fmt: skip
    assert message in clean_failure(proc) and time.monotonic() - t0 < 20


# --- 16, 17: shared core dir, piped output, progress -----------------------------------------------------------


def test_boards_piped_keeps_every_id_whole(tmp_path: Path) -> None:
    from tinyflash.boards import all_boards

    proc = subprocess.run([*TINYFLASH, "boards"], cwd=tmp_path, capture_output=True, text=True,
                          env={k: v for k, v in os.environ.items() if k != "COLUMNS"})  # fmt: skip
    assert proc.returncode == 0
    for board in all_boards():
        assert re.search(rf"^{re.escape(board.id)}\s", proc.stdout, re.M), (board.id, proc.stdout)


def test_inspect_shows_progress_on_a_terminal(tmp_path: Path) -> None:
    import pty

    model = tmp_path / "fresh.tflite"
    model.write_bytes(tiny_dense(out_features=5, in_features=7, seed=3))  # not in any arena cache
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"), COLUMNS="200")
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(tmp_path)
        os.execvpe(sys.executable, [sys.executable, "-m", "tinyflash", "inspect", str(model)], env)
    seen = b""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    os.waitpid(pid, 0)
    assert b"measuring the arena" in seen


def test_corrupt_model_error_says_what_is_wrong(tmp_path: Path) -> None:
    data = bytearray(tiny_dense())
    data[:4] = (len(data) - 6).to_bytes(4, "little")  # root table offset near the end of the file
    model = tmp_path / "cut.tflite"
    model.write_bytes(bytes(data))
    err = clean_failure(cli("inspect", str(model), cwd=tmp_path))
    assert "while decoding" not in err and ("offset" in err or "inconsistent" in err or "truncated" in err), err


def _fc(x: T, w: T, y: T) -> Graph:
    return Graph(tensors=[x, w, y], ops=[Op("FULLY_CONNECTED", (0, 1), (2,), options=fully_connected_options())],
                 inputs=(0,), outputs=(2,))  # fmt: skip


def _int8_fc(scale: float) -> Graph:
    return _fc(T("x", (1, 3), "int8", scales=(scale,), zero_points=(0,)),
               T("w", (2, 3), "int8", data=np.ones((2, 3), np.int8), scales=(0.1,), zero_points=(0,)),
               T("y", (1, 2), "int8", scales=(0.2,), zero_points=(0,)))  # fmt: skip


@pytest.mark.parametrize(
    ("graph", "message"),
    [
        (_fc(T("x", (1, 0)), T("w", (4, 0), data=np.ones((4, 0), np.float32)), T("y", (1, 4))), "empty dimension"),
        (_fc(T("x", (1, 3)), T("w", (1, 3), data=np.ones((1, 3), np.float32)), T("y", ())), "inconsistent"),
        (_fc(T("x", (1, 3)), T("w", (2, 3), data=np.ones((1, 3), np.float32)), T("y", (1, 2))), "holds 12 bytes"),
        (_int8_fc(float("nan")), "quantization scale nan"),
        (_int8_fc(float("inf")), "quantization scale inf"),
        (_int8_fc(0.0), "quantization scale 0.0"),
        (_int8_fc(-0.5), "quantization scale -0.5"),
        (
            Graph(tensors=[T("x", (1, 2)), T("y", (1, 2))], ops=[Op("RELU", (0,), ())], inputs=(0,), outputs=(1,)),
            "no output tensor",
        ),
        (
            Graph(
                tensors=[T("x", (1, 8)), T("y", (1, 8))], ops=[Op("MAX_POOL_2D", (0,), (1,))], inputs=(0,), outputs=(1,)
            ),
            "must be 4-D",
        ),
    ],
)
def test_damaged_models_are_refused_by_the_aot_generator_by_name(run_cli, tmp_path: Path, graph: Graph, message: str):
    """What fuzzing found reaching the generator (zero depth, rank-0 output, NaN/inf scales...): a clean error
    naming the op, from `build --runtime aot`; `inspect` still reports the model, with the reason."""
    model = tmp_path / "damaged.tflite"
    model.write_bytes(build(graph))
    code, _, err = run_cli("build", "-b", "virtual-m4", str(model), "--runtime", "aot", "--no-compile")
    assert code == 2 and err.startswith("error: the AOT runtime cannot compile operator 0 (") and message in err, err
    code, out, err = run_cli("inspect", str(model), "--json")
    assert code == 0, err
    assert message in json.loads(out)["aot"]["reason"]
