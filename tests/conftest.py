"""Shared fixtures. Tests that need a tool or ../shared skip without it, except in CI where they fail:
a green CI that skipped the real tests would be a lie."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("TINYFLASH_SHARED", REPO.parent / "shared"))
MODELS = SHARED / "models"
IN_CI = os.environ.get("CI") == "true"


def unavailable(reason: str) -> None:
    """Skip locally; fail in CI, where everything the tests need must have been installed."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: required, not skipped)")
    pytest.skip(reason)


def require_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        unavailable(f"{name} is not installed")
    return path


def shared_model(name: str) -> Path:
    path = MODELS / name
    if not path.is_file():
        unavailable(f"{path} is not present")
    return path


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test session gets its own arena cache, so a stale cache can never make a test pass."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "cache"))


@pytest.fixture
def hello_int8() -> Path:
    return shared_model("hello_world_int8.tflite")


@pytest.fixture
def hello_float() -> Path:
    return shared_model("hello_world_float.tflite")


@pytest.fixture
def person_detect() -> Path:
    return shared_model("person_detect.tflite")


@pytest.fixture
def micro_speech() -> Path:
    return shared_model("micro_speech_quantized.tflite")


@pytest.fixture
def run_cli(monkeypatch, capsys, tmp_path):
    """Run `tinyflash ARGS` in this process as the console script does; returns (exit code, stdout, stderr).

    Much faster than a subprocess per call. The arena probe is switched off (it runs the TFLM runtime in
    subprocesses; its own tests cover it), and the signal handlers the CLI installs are put back afterwards.
    """
    import signal
    import sys

    from tinyflash import arena, cli

    monkeypatch.setattr(arena, "runtime_available", lambda: False)
    monkeypatch.chdir(tmp_path)
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}

    def run(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["tinyflash", *args])
        try:
            cli.main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        finally:
            for s, handler in saved.items():
                signal.signal(s, handler)
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture(scope="session", autouse=True)
def _nothing_left_running(tmp_path_factory: pytest.TempPathFactory):
    """After the whole session, no emulator or native board the tests started may still run: a leak fails the
    run (and is cleaned up). Found by the tags tinyflash puts on every process it starts."""
    yield
    from tinyflash import procs

    base = str(tmp_path_factory.getbasetemp().resolve())
    left = [p for p in procs.find() if p.project.startswith(base)]
    procs.terminate(left)
    assert not left, f"processes left running by the tests: {[(p.command, p.project) for p in left]}"


@pytest.fixture
def fake_usb(monkeypatch, tmp_path):
    """FAKE USB bus — the one mock in the suite, since no USB board exists here: plug(*ports) replaces what
    `connected_ports` reports. Each port is a real file under tmp_path, so access checks run for real."""
    from tinyflash import ports, rack

    def plug(*plugged):
        real = []
        for p in plugged:
            path = tmp_path / os.path.basename(p.device)
            path.write_text("")
            real.append(ports.Port(str(path), p.vid, p.pid, p.description, p.serial_number, p.location))
        monkeypatch.setattr(ports, "connected_ports", lambda: list(real))
        monkeypatch.setattr(rack, "connected_ports", lambda: list(real))
        return real

    return plug
