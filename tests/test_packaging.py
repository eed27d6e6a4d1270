"""A non-editable `pip install .` into a fresh venv works and finds its data folders (boards, templates)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import REPO


@pytest.mark.integration
def test_fresh_venv_install(tmp_path, hello_int8):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", str(REPO)], capture_output=True, text=True)
    assert pip.returncode == 0, pip.stderr[-2000:]
    exe = str(venv / "bin" / "tinyflash")
    # Run from elsewhere so nothing can come from the source tree.
    boards = subprocess.run([exe, "boards", "--json"], capture_output=True, text=True, cwd=tmp_path, check=True)
    assert len(json.loads(boards.stdout)) == 11
    known = subprocess.run([exe, "boards", "--all", "--json"], capture_output=True, text=True, cwd=tmp_path, check=True)
    assert sum(not b["supported"] for b in json.loads(known.stdout)) == 2  # himax_we1, arc_emsdp
    data = venv / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages" / "tinyflash"
    assert (data / "_data" / "boards" / "nano33ble.toml").is_file()
    assert (data / "_data" / "firmware_templates" / "runtime" / "model_runtime_tflm.cc.j2").is_file()
    assert (data / "_data" / "firmware_templates" / "output_handlers" / "neopixel_breathe.inc.j2").is_file()
    assert (data / "_data" / "pio_platform" / "tinyflash-virtual" / "builder" / "main.py").is_file()
    report = subprocess.run([exe, "inspect", str(hello_int8), "--json"], capture_output=True, text=True,
                            cwd=tmp_path, check=True)  # fmt: skip
    assert json.loads(report.stdout)["arena_method"] == "probed"


def test_sparkfun_edge_builds_need_no_pip_install_mid_build():
    """apollo3blue's builder pip-installs pycryptodome into PlatformIO's Python when `Crypto` is missing: tinyflash
    declares it, so it is there (CI installs only what pyproject.toml declares)."""
    import importlib.util
    import tomllib

    deps = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    assert any(d.startswith("pycryptodome") for d in deps)
    assert importlib.util.find_spec("Crypto.Cipher.AES") is not None
