"""--tflm-dir: trees from create_tflm_tree.py checked up front, described to PlatformIO by a generated library
manifest, flags for the whole build, the tree in the up-to-date check; and, when a real tree is at hand, built
and run bit-exact on the virtual boards, with a change of app that recompiles no TFLM object."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import require_tool
from fake_tflm_tree import fake_tree
from tinyflash.arena import estimate_arena
from tinyflash.boards import get_board
from tinyflash.errors import TinyflashError
from tinyflash.model import load_model
from tinyflash.project import BuildOptions, render_project, write_project
from tinyflash.tflm_tree import load_tree, tree_fingerprint

HOW_TO_MAKE_A_TREE = (
    "names no TFLM tree; make one with tflite-micro's create_tflm_tree.py (docs/tflm-tree.md) and set it "
    "to the tree's folder"
)


def render(model: Path, board: str, tree: Path, app: str = "validate"):
    m = load_model(model)
    return render_project(m, get_board(board), BuildOptions(app=app, runtime="tflm", tflm_dir=tree), estimate_arena(m))


# --- checking a tree --------------------------------------------------------------------------------------------


def test_reference_and_cmsis_nn_trees_are_told_apart(tmp_path):
    ref = load_tree(fake_tree(tmp_path / "ref"))
    cmsis = load_tree(fake_tree(tmp_path / "cmsis", cmsis_nn=True))
    assert (ref.kernels, cmsis.kernels) == ("reference", "cmsis_nn")
    assert ref.build_flags == ("-DTF_LITE_STATIC_MEMORY",)
    assert set(cmsis.build_flags) == {
        "-DTF_LITE_STATIC_MEMORY", "-DCMSIS_NN", "-DARM_NN_ENABLE_F16=0", "-DARM_NN_ENABLE_F32=0"
    }  # fmt: skip
    assert [d.relative_to(cmsis.root).as_posix() for d in cmsis.include_dirs] == [
        "third_party/flatbuffers/include", "third_party/gemmlowp", "third_party/ruy", "third_party/kissfft",
        "third_party/cmsis", "third_party/cmsis_nn", "third_party/cmsis/CMSIS/Core/Include",
        "third_party/cmsis_nn/Include",
    ]  # fmt: skip
    assert all(d.is_relative_to(ref.root) for d in ref.include_dirs) and len(ref.include_dirs) == 4


@pytest.mark.parametrize(
    ("cmsis_nn", "missing"),
    [
        (False, "tensorflow/lite/micro/micro_interpreter.cc"),
        (False, "third_party/flatbuffers/include/flatbuffers/flatbuffers.h"),
        (False, "third_party/kissfft/kiss_fft.h"),
        (True, "third_party/cmsis_nn/Include/arm_nnfunctions.h"),
        (True, "third_party/cmsis/CMSIS/Core/Include/cmsis_compiler.h"),
    ],
)
def test_an_incomplete_tree_names_the_missing_file(tmp_path, cmsis_nn, missing):
    root = fake_tree(tmp_path, cmsis_nn=cmsis_nn, without=missing)
    with pytest.raises(TinyflashError) as err:
        load_tree(root)
    assert f"{missing} is missing" in err.value.message and "create_tflm_tree.py" in err.value.hint
    assert ("CMSIS-NN tree" in err.value.message) == cmsis_nn


def test_a_tflite_micro_checkout_is_not_a_tree(tmp_path):
    """The repository itself has TFLM's sources but not the third-party ones: say what to run on it."""
    root = fake_tree(tmp_path, without="third_party/gemmlowp/fixedpoint/fixedpoint.h")
    makefile = root / "tensorflow/lite/micro/tools/make/Makefile"
    makefile.parent.mkdir(parents=True)
    makefile.write_text("")
    with pytest.raises(TinyflashError) as err:
        load_tree(root)
    assert "checkout, not a tree" in err.value.hint


def test_other_optimized_kernels_are_refused(tmp_path):
    root = fake_tree(tmp_path)
    (root / "tensorflow/lite/micro/kernels/xtensa").mkdir()
    with pytest.raises(TinyflashError, match="kernels/xtensa/"):
        load_tree(root)


def test_the_cli_checks_the_tree_before_anything_else(run_cli, tmp_path):
    root = fake_tree(tmp_path / "tree", without="third_party/ruy/ruy/profiler/instrumentation.h")
    code, _, err = run_cli("build", "-b", "virtual-m4", str(tmp_path / "no-such-model.tflite"), "--runtime",
                             "tflm", "--tflm-dir", str(root), "--no-compile")  # fmt: skip
    assert code != 0 and "Traceback" not in err
    assert "third_party/ruy/ruy/profiler/instrumentation.h is missing" in err
    assert not (tmp_path / "tinyflash-build").exists()
    code, _, err = run_cli("test", "-b", "virtual-m4", str(tmp_path / "x.tflite"), "--tflm-dir", str(tmp_path / "nope"))
    assert code != 0 and "is not a directory" in err and "Traceback" not in err


def test_cmsis_nn_needs_a_cortex_m_and_esp_idf_takes_no_tree(tmp_path, hello_int8):
    cmsis = fake_tree(tmp_path / "cmsis", cmsis_nn=True)
    with pytest.raises(TinyflashError, match="need an Arm Cortex-M; native is"):
        render(hello_int8, "native", cmsis)
    with pytest.raises(TinyflashError, match="ESP-IDF"):
        render(hello_int8, "esp32", fake_tree(tmp_path / "ref"))


# --- the rendered project -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("cmsis_nn", [False, True])
def test_the_tree_becomes_a_library_and_its_defines_reach_the_whole_build(tmp_path, hello_int8, cmsis_nn):
    from platformio.project.config import ProjectConfig

    root = fake_tree(tmp_path / "tree", cmsis_nn=cmsis_nn)
    tree = load_tree(root)
    plan = render(hello_int8, "virtual-m4", root)
    manifest = json.loads(plan.files["lib/tflm/library.json"])
    assert manifest["name"] == "tflm" and manifest["build"]["srcDir"] == manifest["build"]["includeDir"]
    assert Path(manifest["build"]["srcDir"]) == tree.root
    assert manifest["build"]["flags"] == [f"-I{d}" for d in tree.include_dirs]  # no spaces in tmp_path
    assert not any(f.startswith("-D") for f in manifest["build"]["flags"])  # defines: build_flags only
    ini = tmp_path / "platformio.ini"
    ini.write_text(plan.files["platformio.ini"])
    config = ProjectConfig(str(ini))
    flags = config.get("env:virtual-m4", "build_flags")
    assert "-DTF_LITE_STATIC_MEMORY" in flags and ("-DCMSIS_NN" in flags) == cmsis_nn
    assert ("-DARM_NN_ENABLE_F16=0" in flags) == cmsis_nn
    assert config.get("env:virtual-m4", "lib_deps") == ["tflm"]
    assert config.get("platformio", "build_cache_dir").endswith(".pio/build-cache")
    assert "#include <" not in plan.files["src/model_runtime_tflm.cc"].split('#include "model_runtime.h"')[0]


def test_a_tree_path_with_spaces_stays_one_include_folder(tmp_path, hello_int8):
    root = fake_tree(tmp_path / "my trees" / "ref")
    flags = json.loads(render(hello_int8, "virtual-m4", root).files["lib/tflm/library.json"])["build"]["flags"]
    # PlatformIO hands each flag to SCons' ParseFlags, which splits it as a POSIX shell would.
    assert [shlex.split(f) for f in flags] == [[f"-I{d}"] for d in load_tree(root).include_dirs]


def test_without_a_tree_there_is_no_library_manifest(tmp_path, hello_int8):
    plan = render_project(load_model(hello_int8), get_board("disco_f746ng"), BuildOptions(runtime="tflm"),
                          estimate_arena(load_model(hello_int8)))  # fmt: skip
    assert "lib/tflm/library.json" not in plan.files and "TF_LITE_STATIC_MEMORY" not in plan.files["platformio.ini"]


# --- the tree in the up-to-date check ---------------------------------------------------------------------------


def test_fingerprint_follows_every_source_file_and_nothing_else(tmp_path):
    root = fake_tree(tmp_path)
    first = tree_fingerprint(root)
    assert tree_fingerprint(root) == first
    (root / "README.md").write_text("notes")
    assert tree_fingerprint(root) == first
    kernel = root / "tensorflow/lite/micro/micro_interpreter.cc"
    kernel.write_text("// edited")
    edited = tree_fingerprint(root)
    assert edited != first
    os.utime(kernel, ns=(time.time_ns(), kernel.stat().st_mtime_ns + 1_000))  # same size, rewritten
    assert tree_fingerprint(root) != edited
    touched = tree_fingerprint(root)
    (root / "tensorflow/lite/micro/new_kernel.cc").write_text("")
    assert tree_fingerprint(root) != touched


def test_editing_the_tree_makes_the_project_out_of_date(tmp_path, hello_int8):
    """The tree's fingerprint is in the generated lib/tflm/library.json, which the build's inputs cover: the same
    path to an edited or regenerated tree rewrites it, and changes the validate app's build id."""
    from tinyflash.build import _inputs_fingerprint

    root = fake_tree(tmp_path / "tree")
    project = tmp_path / "project"
    plan = render(hello_int8, "virtual-m4", root)
    write_project(project, plan.files)
    before = _inputs_fingerprint(project)
    assert render(hello_int8, "virtual-m4", root).files == plan.files  # nothing changed: nothing to rebuild
    (root / "tensorflow/lite/micro/micro_interpreter.cc").write_text("// regenerated")
    again = render(hello_int8, "virtual-m4", root)
    # The validate app's main_functions.cc carries the build id.
    assert set(write_project(project, again.files).written) == {"lib/tflm/library.json", "src/main_functions.cc"}
    assert _inputs_fingerprint(project) != before and again.build_id != plan.build_id


# --- real trees (TINYFLASH_TEST_TFLM_DIR, TINYFLASH_TEST_TFLM_CMSIS_DIR) -----------------------------------------


def real_tree(variable: str) -> Path:
    """The one skip CI allows: a real tree takes a tflite-micro checkout and its downloads to make."""
    value = os.environ.get(variable)
    if not value:
        pytest.skip(f"{variable} {HOW_TO_MAKE_A_TREE}")
    return Path(value)


_TFLM_COMPILE = re.compile(r"^Compiling \S+/lib[0-9a-f]+/tflm/", re.M)


@pytest.mark.integration
@pytest.mark.parametrize(
    ("variable", "board_id"),
    [("TINYFLASH_TEST_TFLM_DIR", "virtual-m4"), ("TINYFLASH_TEST_TFLM_CMSIS_DIR", "virtual-m7")],
)
def test_a_real_tree_builds_runs_bit_exact_and_survives_a_change_of_app(variable, board_id, tmp_path, monkeypatch):
    """About 15 minutes per tree on two cores: the whole tree is compiled once; `tinyflash test` then checks the
    board's outputs bit for bit; switching the app in the same folder takes every TFLM object from the cache."""
    from conftest import shared_model
    from tinyflash.build import build

    tree = load_tree(real_tree(variable))
    for tool in ("arm-none-eabi-gcc", "qemu-system-arm"):
        require_tool(tool)
    monkeypatch.setenv("TINYFLASH_PIO_CORE_DIR", str(tmp_path / "core"))
    monkeypatch.chdir(tmp_path)
    model = shared_model("hello_world_int8.tflite")
    project = tmp_path / "project"
    options = BuildOptions(app="validate", runtime="tflm", tflm_dir=tree.root)
    first = build(model, board_id, options, out=project, remember=False)
    log = (project / ".tinyflash" / "build.log").read_text()
    assert first.firmware is not None and len(_TFLM_COMPILE.findall(log)) > 150, "the whole tree is compiled"
    assert ("-DCMSIS_NN" in (project / "platformio.ini").read_text()) == (tree.kernels == "cmsis_nn")
    report = tmp_path / "report.json"
    proc = subprocess.run(
        [sys.executable, "-m", "tinyflash", "test", "-b", board_id, "--runtime", "tflm", "--tflm-dir", str(tree.root),
         str(model), "--random", "20", "--seed", "1", "--out", str(project), "--json", str(report)],
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads(report.read_text())
    assert result["status"] == "passed" and result["summary"]["vectors"] == 20, result["summary"]
    assert [m["exact"] for m in result["metrics"]] == [20] * len(result["metrics"]), result["metrics"]

    switched = build(model, board_id, BuildOptions(app="inference", runtime="tflm", tflm_dir=tree.root), out=project,
                     remember=False)  # fmt: skip
    log = (project / ".tinyflash" / "build.log").read_text()
    assert switched.compiled and switched.firmware is not None
    assert _TFLM_COMPILE.findall(log) == [], "TFLM's objects come from the build cache"
