"""project.py: the rendered PlatformIO projects — golden files, PlatformIO's own parser, C++ that compiles,
identifiers safe from any name, and re-renders that respect the user's edits."""

from __future__ import annotations

import atexit
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import IN_CI, require_tool
from fake_tflm_tree import fake_tree
from tflite_builder import running_sum, tiny_dense
from tinyflash.arena import estimate_arena
from tinyflash.boards import get_board
from tinyflash.errors import TinyflashError
from tinyflash.model import load_model, parse_model
from tinyflash.project import (
    BuildOptions,
    c_byte_rows,
    c_identifier,
    c_string_body,
    comment_text,
    render_project,
    write_project,
)

GOLDEN = Path(__file__).parent / "golden"
STUBS_SOURCE = Path(__file__).parent / "cpp_stubs"
# The stub headers are kept flat (they are ours, not TFLM's) and laid out under TFLM's include paths per session.
_STUB_LAYOUT = {
    "tflm_c_common.h": "tensorflow/lite/c/common.h",
    "tflm_interpreter_stub.h": "tensorflow/lite/micro/micro_interpreter.h",
    "tflm_micro_mutable_op_resolver.h": "tensorflow/lite/micro/micro_mutable_op_resolver.h",
    "tflm_micro_resource_variable.h": "tensorflow/lite/micro/micro_resource_variable.h",
    "tflm_schema_generated.h": "tensorflow/lite/schema/schema_generated.h",
    "TensorFlowLite.h": "TensorFlowLite.h",
    "Arduino.h": "Arduino.h",
    "SPI.h": "SPI.h",
    "Adafruit_NeoPixel.h": "Adafruit_NeoPixel.h",
    "TFT_eSPI.h": "TFT_eSPI.h",
}


def _stub_tree() -> Path:
    root = Path(tempfile.mkdtemp(prefix="tinyflash-stubs-"))
    atexit.register(shutil.rmtree, root, True)
    for name, rel in _STUB_LAYOUT.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(STUBS_SOURCE / name, root / rel)
    return root


STUBS = _stub_tree()
REAL_BOARDS = ["nano33ble", "sparkfun_edge", "esp32", "disco_f746ng", "wio_terminal", "esp_eye", "edgebadge", "cpb"]
#: Boards with no TFLM library (issue 15): `--runtime tflm` is refused there, so their goldens are AOT projects.
NO_TFLM_LIBRARY = ["edgebadge"]
#: Cores whose builder compiles C++ as gnu++11: TFLM builds there get C++17 (board lab, docs/boards-lab.md).
GNU11_CORES = ["wio_terminal", "edgebadge", "cpb"]
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


@pytest.fixture(autouse=True)
def _no_golden_updates_in_ci():
    """Rewriting goldens makes their tests pass by definition: only a person reviewing the diff may do it."""
    if UPDATE and IN_CI:
        pytest.fail("UPDATE_GOLDEN=1 is refused in CI (CI=true): goldens are updated locally, then reviewed")


def _render(model_path: Path, board: str, **options):
    """The board's default project: TFLM where a library is offered (the first four boards' goldens), else AOT."""
    m = load_model(model_path)
    runtime = "aot" if board in NO_TFLM_LIBRARY else "tflm"
    return m, render_project(m, get_board(board), BuildOptions(runtime=runtime, **options), estimate_arena(m))


# Files whose content does not depend on the board: one golden copy per model, in golden/<model>-common/.
# The Arduino glue differs by baud rate only, and every Arduino board here runs at 115200.
COMMON = {
    "src/main_functions.h", "src/model_runtime.h", "src/tensor_io.h", "src/serial_line.h", "src/serial_line.cc",
    "src/sample_inputs.h", "src/sample_inputs.cc", "src/model_data.h", "src/output_handler.h",
    "src/tinyflash_board.h", "src/board_arduino.cc",
}  # fmt: skip
#: A board whose project is another's but for the names in it (id, name, and the runtime its banner states) keeps
#: only the files that differ beyond those in its golden folder (its platformio.ini, its output handler); every other
#: file must be its twin's golden with the names swapped. The ESP-EYE builds as the esp32 profile does; the AOT-only
#: EdgeBadge runs the Nano 33 BLE's apps; the Wio Terminal and the CPB build the disco's Chirale_TensorFlowLite
#: projects.
TWINS = {"esp_eye": "esp32", "wio_terminal": "disco_f746ng", "edgebadge": "nano33ble", "cpb": "disco_f746ng"}


def _runtime(board: str) -> str:
    return "aot" if board in NO_TFLM_LIBRARY else "tflm"


def _as_twin(text: str, board: str, model_name: str) -> str:
    """``text`` as the board's twin would have it: the twin's id, name and runtime where the board's stand."""
    b, twin = get_board(board), get_board(TWINS[board])
    text = text.replace(f" on {b.id} ({_runtime(b.id)})", f" on {b.id} ({_runtime(twin.id)})")
    text = text.replace(b.name, twin.name).replace(f"{model_name}_{b.id}", f"{model_name}_{twin.id}")
    return re.sub(rf"\b{b.id}\b", twin.id, text)


@pytest.mark.parametrize("board", REAL_BOARDS)
@pytest.mark.parametrize("model_name", ["hello_world_float", "person_detect"])
def test_golden_projects(board, model_name):
    """Every generated file equals the reviewed golden copy (UPDATE_GOLDEN=1 rewrites them after review).

    model_data.cc is checked by content instead (its bytes must be the model's), so goldens stay small.
    """
    from conftest import shared_model

    path = shared_model(f"{model_name}.tflite")
    m, plan = _render(path, board)
    folder = GOLDEN / f"{model_name}-{board}"
    common = GOLDEN / f"{model_name}-common"
    for rel, text in plan.files.items():
        if rel == "src/model_data.cc":
            assert _array_bytes(text) == m.data
            continue
        if rel == "src/model_aot.cc":
            # The generated model depends on the target's features only (tests/aot checks its numbers): the same
            # file as for the Nano 33 BLE, another Cortex-M4F, but for the target line in its header comment; not
            # a golden copy (person_detect's is 1.5 MB).
            _, nano = _render_runtime(path, "nano33ble", "aot")
            assert get_board(board).target_features == get_board("nano33ble").target_features
            assert text == nano.files[rel].replace("// Target: nano33ble ", f"// Target: {board} ", 1)
            continue
        golden = (common if rel in COMMON else folder) / rel
        if board in TWINS and rel not in COMMON and not golden.is_file():
            twins = GOLDEN / f"{model_name}-{TWINS[board]}" / rel
            if twins.is_file() and _as_twin(text, board, model_name) == twins.read_text():
                continue
        if UPDATE:
            golden.parent.mkdir(parents=True, exist_ok=True)
            golden.write_text(text)
        assert golden.is_file(), f"new generated file {rel}: review it, then UPDATE_GOLDEN=1"
        assert text == golden.read_text(), f"{rel} differs from {golden}"
    expected = {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}
    generated = set(plan.files) - COMMON - {"src/model_data.cc", "src/model_aot.cc"}
    assert expected <= generated if board in TWINS else expected == generated


def _array_bytes(text: str) -> bytes:
    body = text[text.index("{") + 1 : text.rindex("}")]
    return bytes(int(h, 16) for h in re.findall(r"0x([0-9a-f]{2})", body))


@pytest.mark.parametrize("board", REAL_BOARDS)
def test_platformio_ini_parses_with_platformio(board, hello_float, tmp_path):
    from platformio.project.config import ProjectConfig

    _, plan = _render(hello_float, board)
    ini = tmp_path / "platformio.ini"
    ini.write_text(plan.files["platformio.ini"])
    config = ProjectConfig(str(ini))
    config.validate(envs=[board])
    b = get_board(board)
    assert config.get(f"env:{board}", "board") == b.platformio.board
    assert config.get(f"env:{board}", "platform") == b.platformio.platform
    assert config.get(f"env:{board}", "monitor_speed") == b.baud
    if board in NO_TFLM_LIBRARY:
        # the board's own libraries, then the sine app's handler's
        assert config.get(f"env:{board}", "lib_deps") == [*b.platformio.lib_deps, *b.output_lib_deps]
        return
    flags = config.get(f"env:{board}", "build_flags")
    assert "-DNDEBUG" in flags and "-DTF_LITE_STRIP_ERROR_STRINGS" in flags
    if b.platformio.framework == "arduino":
        # the board's own libraries, the sine app's handler's, then the TFLM library
        assert config.get(f"env:{board}", "lib_deps") == [*b.platformio.lib_deps, *b.output_lib_deps, *b.tflm.lib_deps]


@pytest.mark.parametrize("runtime", ["tflm", "aot"])
def test_nano33ble_unflags_the_platforms_soft_float(runtime, hello_float, tmp_path):
    """nordicnrf52 appends -mfloat-abi=soft after build_flags; only build_unflags (applied after the framework
    script) takes it out, leaving the core's -mfloat-abi=softfp -mfpu=fpv4-sp-d16 (measured in docs/boards-lab.md)."""
    from platformio.project.config import ProjectConfig

    _, plan = _render_runtime(hello_float, "nano33ble", runtime)
    ini = tmp_path / "platformio.ini"
    ini.write_text(plan.files["platformio.ini"])
    assert ProjectConfig(str(ini)).get("env:nano33ble", "build_unflags") == ["-mfloat-abi=soft"]


def test_arduino_tflm_dependencies_are_pinned_and_kept_out_of_the_build(hello_float, tmp_path):
    """Arduino_TensorFlowLite's depends= would install the latest ArduinoBLE, Arduino_LSM9DS1, Arduino_SpiNINA:
    each is pinned ahead of it, and ignored by the build, which includes none of them."""
    from platformio.project.config import ProjectConfig

    _, plan = _render(hello_float, "nano33ble")
    ini = tmp_path / "platformio.ini"
    ini.write_text(plan.files["platformio.ini"])
    config = ProjectConfig(str(ini))
    deps = config.get("env:nano33ble", "lib_deps")
    assert deps[-1].startswith("https://github.com/tensorflow/tflite-micro-arduino-examples.git#")
    pinned = {d.split("/")[1].split("@")[0]: d.split("@")[1] for d in deps[:-1]}
    assert pinned == {"ArduinoBLE": "2.0.1", "Arduino_LSM9DS1": "1.1.1", "Arduino_SpiNINA": "0.0.2"}
    assert sorted(config.get("env:nano33ble", "lib_ignore")) == sorted(pinned)
    _, aot = _render_runtime(hello_float, "nano33ble", "aot")
    assert "lib_ignore" not in aot.files["platformio.ini"] and "lib_deps" not in aot.files["platformio.ini"]


@pytest.mark.parametrize("board", REAL_BOARDS)
def test_src_warning_flags(board, hello_float, tmp_path):
    """-Wall -Wextra for the user's code everywhere; the Edge, whose core force-includes mbed.h into every file
    (65 -Wunused-parameter warnings from it in one AOT build), and the CPB, whose Arduino.h brings the SoftDevice's
    headers (63 per file in the board lab), leave that one warning out."""
    from platformio.project.config import ProjectConfig

    _, plan = _render(hello_float, board)
    ini = tmp_path / "platformio.ini"
    ini.write_text(plan.files["platformio.ini"])
    flags = " ".join(ProjectConfig(str(ini)).get(f"env:{board}", "build_src_flags")).split()
    extra = ["-Wno-unused-parameter"] if board in ("sparkfun_edge", "cpb") else []
    assert flags == ["-Wall", "-Wextra", *extra]


def _render_runtime(model_path: Path, board: str, runtime: str):
    m = load_model(model_path)
    return m, render_project(m, get_board(board), BuildOptions(runtime=runtime), estimate_arena(m))


@pytest.mark.parametrize("compiler", ["g++", "arm-none-eabi-g++"])
@pytest.mark.parametrize(("model_name", "board"), [("hello_world_float", "esp32"), ("person_detect", "nano33ble")])
def test_board_independent_sources_compile(compiler, model_name, board, tmp_path):
    """Type-checks the board-independent sources, warnings as errors, against real headers where they exist here
    (the apps, serial output, tensor I/O, model data) and tests/cpp_stubs for TFLM's (see its README for what that
    does and does not prove)."""
    from conftest import shared_model

    exe = require_tool(compiler)
    _, plan = _render(shared_model(f"{model_name}.tflite"), board)
    write_project(tmp_path, plan.files)
    src = tmp_path / "src"
    sources = ["main_functions.cc", "serial_line.cc", "model_data.cc", "model_runtime_tflm.cc"]
    sources += [s for s in ("sample_inputs.cc",) if (src / s).exists()]
    if get_board(board).output_handler == "serial" and (src / "output_handler.cc").exists():
        sources.append("output_handler.cc")
    arch = ["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"] if "arm" in compiler else []
    proc = subprocess.run(
        [exe, "-std=gnu++14", *arch, "-Wall", "-Wextra", "-Werror", "-fsyntax-only", "-I.", f"-I{STUBS}", *sources],
        cwd=src,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("compiler", ["g++", "arm-none-eabi-g++"])
def test_resource_variables_get_tflm_storage_and_compile(compiler, tmp_path):
    """A model with VAR_HANDLE: TFLM needs its ops registered and a MicroResourceVariables passed to the interpreter
    (VAR_HANDLE's Prepare fails without one), created from a MicroAllocator on the arena. The runtime type-checks
    against tests/cpp_stubs; a model without variables keeps the plain constructor."""
    exe = require_tool(compiler)
    path = tmp_path / "running_sum.tflite"
    path.write_bytes(running_sum())
    _, plan = _render(path, "nano33ble")
    code = plan.files["src/model_runtime_tflm.cc"]
    for method in ("AddAdd", "AddAssignVariable", "AddReadVariable", "AddVarHandle"):
        assert code.count(f"resolver.{method}()") == 1
    assert "constexpr int kResourceVariables = 1;" in code
    assert "MicroResourceVariables::Create(allocator, kResourceVariables)" in code
    assert "interpreter(flatbuffer, resolver, allocator, variables)" in code
    assert "error: no room for the model's resource variables" in code  # a failed Create is reported, not used
    assert '#include "tensorflow/lite/micro/micro_resource_variable.h"' in plan.files["src/tflm_headers.h"]
    write_project(tmp_path / "project", plan.files)
    src = tmp_path / "project" / "src"
    arch = ["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"] if "arm" in compiler else []
    proc = subprocess.run(
        [exe, "-std=gnu++14", *arch, "-Wall", "-Wextra", "-Werror", "-fsyntax-only", "-I.", f"-I{STUBS}",
         "model_runtime_tflm.cc"],
        cwd=src, capture_output=True, text=True,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    plain = tmp_path / "dense.tflite"
    plain.write_bytes(tiny_dense())
    _, plan = _render(plain, "nano33ble")
    assert "ResourceVariables" not in plan.files["src/model_runtime_tflm.cc"] + plan.files["src/tflm_headers.h"]


def test_resolver_has_exactly_the_models_ops(person_detect):
    _, plan = _render(person_detect, "nano33ble")
    code = plan.files["src/model_runtime_tflm.cc"]
    assert "MicroMutableOpResolver<5>" in code
    for method in ("AddAveragePool2D", "AddConv2D", "AddDepthwiseConv2D", "AddReshape", "AddSoftmax"):
        assert code.count(f"resolver.{method}()") == 1
    assert code.count("resolver.Add") == 5
    assert "alignas(16) uint8_t g_arena[kArenaSize]" in code


def test_model_array_is_aligned_and_exact(hello_int8):
    m, plan = _render(hello_int8, "nano33ble")
    data = plan.files["src/model_data.cc"]
    assert "alignas(16) const unsigned char g_model_data[]" in data
    assert f"const unsigned int g_model_data_len = {m.size_bytes};" in data
    assert _array_bytes(data) == m.data


def test_app_defaults_and_checks(hello_int8, person_detect):
    assert _render(hello_int8, "esp32")[1].app == "sine"
    assert _render(person_detect, "esp32")[1].app == "inference"
    with pytest.raises(TinyflashError, match="--app inference"):
        _render(person_detect, "esp32", app="sine")


def test_virtual_board_without_tflm_sources_says_what_to_do(hello_int8):
    with pytest.raises(TinyflashError, match="not available offline") as err:
        _render(hello_int8, "virtual-m4")
    assert "--runtime aot" in err.value.hint


def test_hostile_model_name_stays_inert(tmp_path):
    """A file name with quotes, comment terminators, newlines and non-ASCII cannot break the C++."""
    name = 'my "model" *\\ ??= naïve\n#define x.tflite'  # a file name cannot hold "/", so no "*/" here
    path = tmp_path / name
    path.write_bytes(tiny_dense())
    m = load_model(path)
    plan = render_project(m, get_board("esp32"), BuildOptions(runtime="tflm"), estimate_arena(m))
    for rel, text in plan.files.items():
        if rel.endswith((".cc", ".h")):
            assert not any(line.startswith("#define x") for line in text.splitlines())
            assert "*/" not in text and "??" not in text and "naïve" not in text
    assert 'my \\"model\\"' in plan.files["src/main_functions.cc"]  # escaped inside the banner string
    assert c_identifier("9 lives.tflite") == "m_9_lives_tflite"
    assert c_identifier("") == "model"
    assert c_string_body('a"b\\c?\n') == 'a\\"b\\\\c\\??'
    assert "*/" not in comment_text("x*/y")


def test_c_byte_rows_round_trip():
    data = bytes(range(256)) * 3 + b"\x01"
    assert _array_bytes("{" + c_byte_rows(data) + "}") == data


def test_rewrite_only_changed_files_and_keep_edits(tmp_path):
    m = parse_model(tiny_dense(), Path("dense.tflite"))
    board = get_board("nano33ble")
    plan = render_project(m, board, BuildOptions(runtime="tflm"), estimate_arena(m))
    first = write_project(tmp_path, plan.files)
    assert set(first.written) == set(plan.files)
    stamps = {rel: (tmp_path / rel).stat().st_mtime_ns for rel in plan.files}

    again = write_project(tmp_path, plan.files)
    assert again.written == () and set(again.unchanged) == set(plan.files)
    assert stamps == {rel: (tmp_path / rel).stat().st_mtime_ns for rel in plan.files}

    handler = tmp_path / "src/main_functions.cc"
    handler.write_text(handler.read_text() + "// my tweak\n")
    changed = dict(plan.files, **{"src/main_functions.cc": plan.files["src/main_functions.cc"] + "// v2\n"})
    kept = write_project(tmp_path, changed)
    assert kept.kept_edits == ("src/main_functions.cc",)
    assert handler.read_text().endswith("// my tweak\n")
    # Still the user's on the next run, even with the same new content.
    assert write_project(tmp_path, changed).kept_edits == ("src/main_functions.cc",)
    forced = write_project(tmp_path, changed, force=True)
    assert "src/main_functions.cc" in forced.written
    assert handler.read_text().endswith("// v2\n")


def test_files_no_longer_generated_are_removed_or_moved_aside_if_edited(tmp_path):
    files = {"src/a.cc": "a\n", "src/b.cc": "b\n"}
    write_project(tmp_path, files)
    (tmp_path / "src/b.cc").write_text("mine\n")
    result = write_project(tmp_path, {"src/c.cc": "c\n"})
    assert result.removed == ("src/a.cc",) and result.moved == (("src/b.cc", ".tinyflash/kept/src/b.cc"),)
    assert not (tmp_path / "src/a.cc").exists() and not (tmp_path / "src/b.cc").exists()
    # Out of the build, but nothing lost.
    assert (tmp_path / ".tinyflash/kept/src/b.cc").read_text() == "mine\n"


def test_existing_user_file_is_never_clobbered(tmp_path):
    (tmp_path / "platformio.ini").write_text("; mine\n")
    result = write_project(tmp_path, {"platformio.ini": "; generated\n"})
    assert result.kept_edits == ("platformio.ini",)
    assert (tmp_path / "platformio.ini").read_text() == "; mine\n"


def _tflm_method_name(op: str) -> str:
    """TFLM's own rule (tools/gen_micro_mutable_op_resolver): split on '_' or '-'; a part longer than one
    character that starts with a letter is capitalised, anything else is upper-cased; prefix 'Add'."""
    parts = re.split("_|-", op.replace("TFLite", ""))
    return "Add" + "".join(p[0].upper() + p[1:].lower() if len(p) > 1 and p[0].isalpha() else p.upper() for p in parts)


#: Where TFLM's hand-written resolver deviates from its own generator's rule (checked against the real header).
RULE_EXCEPTIONS = {"CUMSUM": "AddCumSum", "UNIDIRECTIONAL_SEQUENCE_LSTM": "AddUnidirectionalSequenceLSTM",
                   "BATCH_MATMUL": "AddBatchMatMul", "PADV2": "AddPadV2"}  # fmt: skip


def test_resolver_table_follows_tflms_naming_rule():
    """An independent derivation of every method name: a typo in the table cannot agree with the rule."""
    from tinyflash.tflm_ops import RESOLVER_METHODS

    for op, method in RESOLVER_METHODS.items():
        assert method == RULE_EXCEPTIONS.get(op, _tflm_method_name(op)), (op, method, _tflm_method_name(op))
    for op, method in RULE_EXCEPTIONS.items():  # each exception is real: the rule alone would get it wrong
        assert _tflm_method_name(op) != method and RESOLVER_METHODS.get(op) == method


def test_every_resolver_method_exists_in_tflm():
    """tinyflash's op table against the resolver's real method list (transcribed in tests/cpp_stubs)."""
    from tinyflash.tflm_ops import CUSTOM_RESOLVER_METHODS, RESOLVER_METHODS

    header = (STUBS_SOURCE / "tflm_micro_mutable_op_resolver.h").read_text()
    declared = set(re.findall(r"TfLiteStatus (Add\w+)\(\);", header))
    assert set(RESOLVER_METHODS.values()) | set(CUSTOM_RESOLVER_METHODS.values()) == declared


#: What the boards' variant.h defines that a handler uses (Adafruit_nRF52_Arduino 1.7.0, circuitplayground_nrf52840).
VARIANT_DEFINES = {"cpb": ["-DPIN_NEOPIXEL=8", "-DNEOPIXEL_NUM=10"]}


@pytest.mark.parametrize(
    ("board", "cpu"),
    [("nano33ble", "cortex-m4"), ("sparkfun_edge", "cortex-m4"), ("disco_f746ng", "cortex-m7"),
     ("wio_terminal", "cortex-m4"), ("edgebadge", "cortex-m4"), ("cpb", "cortex-m4")],
)  # fmt: skip
def test_arduino_board_sources_compile(board, cpu, hello_int8, tmp_path):
    """The Arduino glue and each board's output handler, type-checked for its CPU against tests/cpp_stubs (Arduino.h,
    SPI.h, Adafruit_NeoPixel.h, TFT_eSPI.h: the APIs' shapes only; this proves the code is well-formed C++ for those
    APIs, not that the core links it)."""
    exe = require_tool("arm-none-eabi-g++")
    _, plan = _render(hello_int8, board)
    write_project(tmp_path, plan.files)
    fpu = "-mfpu=fpv5-sp-d16" if cpu == "cortex-m7" else "-mfpu=fpv4-sp-d16"
    proc = subprocess.run(
        [exe, "-std=gnu++17", f"-mcpu={cpu}", "-mthumb", "-mfloat-abi=hard", fpu, "-Wall", "-Wextra", "-Werror",
         *VARIANT_DEFINES.get(board, []), "-fsyntax-only", "-I.", f"-I{STUBS}", "output_handler.cc",
         "board_arduino.cc"],
        cwd=tmp_path / "src", capture_output=True, text=True,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("board", NO_TFLM_LIBRARY)
def test_runtime_tflm_without_a_library_is_refused_and_auto_picks_aot(board, hello_int8, tmp_path):
    """No TFLM library compiles on these cores: --runtime tflm says so and what to do instead; auto never gets
    there (AOT takes every model the library could)."""
    m = load_model(hello_int8)
    with pytest.raises(TinyflashError, match=f"--runtime tflm on {board}: no TFLM library") as err:
        render_project(m, get_board(board), BuildOptions(runtime="tflm"), estimate_arena(m))
    assert "--runtime aot" in err.value.hint and "--tflm-dir" in err.value.hint
    # what the board lab found, named: the library refusing the board, the other failing to compile on its core
    assert "Arduino_TensorFlowLite stops with #error" in err.value.message and "Chirale" in err.value.message
    assert render_project(m, get_board(board), BuildOptions(), estimate_arena(m)).runtime == "aot"


@pytest.mark.parametrize("board", NO_TFLM_LIBRARY)
@pytest.mark.parametrize("app", ["sine", "inference"])
def test_a_tflm_tree_builds_on_the_boards_without_a_library(board, app, hello_int8, tmp_path):
    """--tflm-dir works on any core: the tree is the project's lib/tflm, next to the sine handler's own library."""
    from platformio.project.config import ProjectConfig

    m = load_model(hello_int8)
    tree = fake_tree(tmp_path / "tree")
    plan = render_project(m, get_board(board), BuildOptions(app=app, runtime="tflm", tflm_dir=tree), estimate_arena(m))
    assert plan.runtime == "tflm" and "lib/tflm/library.json" in plan.files
    ini = tmp_path / "platformio.ini"
    ini.write_text(plan.files["platformio.ini"])
    config = ProjectConfig(str(ini))
    config.validate(envs=[board])
    b = get_board(board)
    handler_deps = list(b.output_lib_deps) if app == "sine" else []
    assert config.get(f"env:{board}", "lib_deps") == [*b.platformio.lib_deps, *handler_deps, "tflm"]
    assert "-DTF_LITE_STATIC_MEMORY" in config.get(f"env:{board}", "build_flags")


@pytest.mark.parametrize("model_name", ["hello_world_float", "person_detect"])
def test_tflm_header_warnings_stay_out_of_the_users_log(model_name, tmp_path):
    """src/ builds with -Wall -Wextra; a warning inside TFLM's headers must not show, and the user's own still must.
    The stub header gets an inline function with an unused parameter, as TFLM's micro_memory_planner.h has."""
    from conftest import shared_model

    exe = require_tool("arm-none-eabi-g++")
    stubs = tmp_path / "stubs"
    shutil.copytree(STUBS, stubs)
    (stubs / "noisy_vendor.h").write_text(
        "#ifndef NOISY_VENDOR_H_\n#define NOISY_VENDOR_H_\ninline int NoisyVendor(int unused) { return 0; }\n#endif\n"
    )
    rel = "tensorflow/lite/micro/micro_interpreter.h"
    (stubs / rel).write_text('#include "noisy_vendor.h"\n' + (stubs / rel).read_text())
    _, plan = _render(shared_model(f"{model_name}.tflite"), "nano33ble")  # its umbrella header has a stub
    write_project(tmp_path / "p", plan.files)
    src = tmp_path / "p" / "src"
    (src / "mine.cc").write_text('#include "tflm_headers.h"\nint Mine(int forgotten) { return 1; }\n')
    sources = sorted(p.name for p in src.glob("*.cc"))
    proc = subprocess.run(
        [exe, "-std=gnu++17", "-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16", "-Wall",
         "-Wextra", "-fsyntax-only", "-I.", f"-I{stubs}", *sources],
        cwd=src, capture_output=True, text=True,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    warnings = [line for line in proc.stderr.splitlines() if "warning:" in line]
    assert len(warnings) == 1 and "mine.cc" in warnings[0] and "forgotten" in warnings[0], proc.stderr


@pytest.mark.parametrize(
    ("board", "cpu"),
    [("nano33ble", "cortex-m4"), ("sparkfun_edge", "cortex-m4"), ("disco_f746ng", "cortex-m7"),
     ("wio_terminal", "cortex-m4"), ("edgebadge", "cortex-m4"), ("cpb", "cortex-m4")],
)  # fmt: skip
def test_validate_app_compiles_for_real_boards(board, cpu, hello_int8, tmp_path):
    """`tinyflash test` on a real board: the validate app and its framing, type-checked for the board's CPU with
    -Werror against tests/cpp_stubs/Arduino.h (the API's shapes; the link itself runs on the virtual boards)."""
    exe = require_tool("arm-none-eabi-g++")
    m = load_model(hello_int8)
    runtime = "aot" if board in NO_TFLM_LIBRARY else "tflm"
    plan = render_project(m, get_board(board), BuildOptions(app="validate", runtime=runtime), estimate_arena(m))
    assert plan.app == "validate" and plan.build_id != 0
    write_project(tmp_path, plan.files)
    fpu = "-mfpu=fpv5-sp-d16" if cpu == "cortex-m7" else "-mfpu=fpv4-sp-d16"
    proc = subprocess.run(
        [exe, "-std=gnu++17", f"-mcpu={cpu}", "-mthumb", "-mfloat-abi=hard", fpu, "-Wall", "-Wextra", "-Werror",
         "-fsyntax-only", "-I.", f"-I{STUBS}", "main_functions.cc", "validate_link.cc", "board_arduino.cc"],
        cwd=tmp_path / "src", capture_output=True, text=True,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("app", ["sine", "inference", "validate"])
@pytest.mark.parametrize("runtime", ["aot", "tflm"])
def test_cpb_links_the_cores_tinyusb_in_every_app(app, runtime, hello_int8, tmp_path):
    """The Adafruit nRF52 core's Serial lives in its bundled TinyUSB library, which PlatformIO builds only when it
    is asked for: the board lab's inference app failed to link (`undefined reference to 'Serial'`) without it."""
    from platformio.project.config import ProjectConfig

    m = load_model(hello_int8)
    tree = fake_tree(tmp_path / "tree") if runtime == "tflm" else None
    plan = render_project(m, get_board("cpb"), BuildOptions(app=app, runtime=runtime, tflm_dir=tree), estimate_arena(m))
    ini = tmp_path / "platformio.ini"
    ini.write_text(plan.files["platformio.ini"])
    assert ProjectConfig(str(ini)).get("env:cpb", "lib_deps")[0] == "Adafruit TinyUSB Library"


@pytest.mark.parametrize("app", ["sine", "inference"])
def test_edgebadge_keeps_the_cores_tinyusb_out(app, hello_int8, tmp_path):
    """NeoPixel's header pulls the core's bundled TinyUSB into the EdgeBadge build, and its Serial collided with the
    core's CDC Serial in the board lab's link: the library is ignored in every build of the board."""
    from platformio.project.config import ProjectConfig

    m = load_model(hello_int8)
    plan = render_project(m, get_board("edgebadge"), BuildOptions(app=app, runtime="aot"), estimate_arena(m))
    ini = tmp_path / "platformio.ini"
    ini.write_text(plan.files["platformio.ini"])
    assert ProjectConfig(str(ini)).get("env:edgebadge", "lib_ignore") == ["Adafruit TinyUSB Library"]


@pytest.mark.parametrize("board", GNU11_CORES)
def test_a_tflm_tree_gets_cxx17_on_the_gnu11_cores(board, hello_int8, tmp_path):
    """These cores compile C++ with -std=gnu++11 after build_flags, and TFLM's headers need C++17 (the board lab:
    'is_integral_v' is not a member of 'std'): with a tree the core's flag is unset and gnu++17 given instead;
    without one the core's own standard stays."""
    from platformio.project.config import ProjectConfig

    m = load_model(hello_int8)
    b = get_board(board)
    assert b.platformio.cxx_std == "gnu++11"
    tree = fake_tree(tmp_path / "tree")
    configs = {}
    for name, options in (("tree", BuildOptions(runtime="tflm", tflm_dir=tree)), ("aot", BuildOptions(runtime="aot"))):
        ini = tmp_path / f"{name}.ini"
        ini.write_text(render_project(m, b, options, estimate_arena(m)).files["platformio.ini"])
        configs[name] = ProjectConfig(str(ini))
    assert configs["tree"].get(f"env:{board}", "build_unflags") == ["-std=gnu++11"]
    assert "-std=gnu++17" in configs["tree"].get(f"env:{board}", "build_flags")
    assert not configs["aot"].get(f"env:{board}", "build_unflags") and "-std=" not in str(
        configs["aot"].get(f"env:{board}", "build_flags")
    )


def test_board_unflags_and_the_trees_standard_merge_into_one_option(hello_int8, tmp_path):
    """A profile's own build_unflags (nano33ble's) and the tree's -std swap share one platformio.ini line."""
    from dataclasses import replace

    from platformio.project.config import ProjectConfig

    m = load_model(hello_int8)
    nano = get_board("nano33ble")
    b = replace(nano, platformio=replace(nano.platformio, cxx_std="gnu++14"))
    tree = fake_tree(tmp_path / "tree")
    ini = tmp_path / "platformio.ini"
    plan = render_project(m, b, BuildOptions(runtime="tflm", tflm_dir=tree), estimate_arena(m))
    ini.write_text(plan.files["platformio.ini"])
    assert ProjectConfig(str(ini)).get("env:nano33ble", "build_unflags") == ["-mfloat-abi=soft", "-std=gnu++14"]


@pytest.mark.parametrize("board", ["wio_terminal", "cpb"])
@pytest.mark.parametrize("app", ["sine", "inference"])
def test_chirale_builds_without_its_arduino_glue_on_the_gnu11_cores(board, app, hello_int8, tmp_path):
    """The board lab linked Chirale_TensorFlowLite 2.0.0 on Seeed's SAMD and Adafruit's nRF52 cores with its
    system_setup.cpp left out (-DARDUINO_EXCLUDE_CODE, which the library itself must see) and C++17 instead of the
    cores' gnu++11."""
    from platformio.project.config import ProjectConfig

    m = load_model(hello_int8)
    plan = render_project(m, get_board(board), BuildOptions(app=app, runtime="tflm"), estimate_arena(m))
    ini = tmp_path / "platformio.ini"
    ini.write_text(plan.files["platformio.ini"])
    config = ProjectConfig(str(ini))
    assert config.get(f"env:{board}", "lib_deps")[-1] == "spaziochirale/Chirale_TensorFLowLite@2.0.0"
    flags = config.get(f"env:{board}", "build_flags")
    assert "-DARDUINO_EXCLUDE_CODE" in flags and "-std=gnu++17" in flags
    assert config.get(f"env:{board}", "build_unflags") == ["-std=gnu++11"]
    assert "#include <Chirale_TensorFlowLite.h>" in plan.files["src/tflm_headers.h"]
