"""A TFLM source tree made by tflite-micro's ``create_tflm_tree.py``, as ``--tflm-dir`` builds it.

Such a tree is plain sources with no build manifest, so PlatformIO cannot use it as it is. tinyflash checks it
up front (a missing file is one clear error here, not a compiler error ten minutes into ``pio run``), tells
the reference kernels from CMSIS-NN ones, and describes it to PlatformIO with a library manifest generated
inside the project. The tree itself is never written to.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
from dataclasses import dataclass
from pathlib import Path

from .errors import TinyflashError

KERNELS_DIR = "tensorflow/lite/micro/kernels"
#: The project's library folder for the tree: PlatformIO finds lib/tflm/library.json, `lib_deps = tflm` picks it.
LIBRARY_NAME = "tflm"
LIBRARY_MANIFEST = f"lib/{LIBRARY_NAME}/library.json"
HOW_TO_MAKE = "make one with tflite-micro's create_tflm_tree.py (docs/tflm-tree.md)"

#: Every tree: TFLM's sources and headers, and the third-party headers TFLM's own headers include.
_REQUIRED = (
    "tensorflow/lite/micro/micro_interpreter.cc",
    "tensorflow/lite/micro/micro_interpreter.h",
    "tensorflow/lite/micro/micro_mutable_op_resolver.h",
    "tensorflow/lite/schema/schema_generated.h",
    "third_party/flatbuffers/include/flatbuffers/flatbuffers.h",
    "third_party/gemmlowp/fixedpoint/fixedpoint.h",
    "third_party/ruy/ruy/profiler/instrumentation.h",
)
#: The signal library (present in trees since 2023) is compiled with the rest and includes kissfft.
_SIGNAL_REQUIRED = ("third_party/kissfft/kiss_fft.h",)
#: What tensorflow/lite/micro/kernels/cmsis_nn/ needs, as TFLM's ext_libs/cmsis_nn.inc lays it out.
_CMSIS_NN_REQUIRED = (
    "third_party/cmsis_nn/Include/arm_nnfunctions.h",
    "third_party/cmsis/CMSIS/Core/Include/cmsis_compiler.h",
)
_INCLUDE_DIRS = ("third_party/flatbuffers/include", "third_party/gemmlowp", "third_party/ruy", "third_party/kissfft")
#: ext_libs/cmsis_nn.inc: -I for CMSIS and CMSIS-NN (TFLM's kernels include paths relative to both roots, the
#: CMSIS-NN sources include "arm_math_types.h"-style names).
_CMSIS_NN_INCLUDE_DIRS = (
    "third_party/cmsis",
    "third_party/cmsis_nn",
    "third_party/cmsis/CMSIS/Core/Include",
    "third_party/cmsis_nn/Include",
)
#: Defines that change TFLM's types or which kernels its headers declare: they must reach every file of the
#: build (library and src/ alike), so they go into platformio.ini's build_flags, never into the library
#: manifest. TF_LITE_STATIC_MEMORY sets TfLiteTensor's layout; TFLM's Makefile passes it to everything.
TREE_FLAGS = ("-DTF_LITE_STATIC_MEMORY",)
#: The C++ standard TFLM needs, as a tree or a library: TFLM (90b983c) uses C++17 (std::is_integral_v, constexpr
#: bodies beyond one return statement); cores whose builder forces an older -std (a profile's `cxx_std`) get this.
CXX_STD = "gnu++17"
#: TFLM's Makefile adds -D<OPTIMIZED_KERNEL_DIR> (-DCMSIS_NN); cmsis_nn.inc sets the float kernels off (its
#: defaults, and the tree holds no _f16/_f32 sources to match anything else).
CMSIS_NN_FLAGS = ("-DCMSIS_NN", "-DARM_NN_ENABLE_F16=0", "-DARM_NN_ENABLE_F32=0")
#: File types the compiler reads from a tree; only these count in its fingerprint.
_SOURCE_SUFFIXES = (".c", ".cc", ".cpp", ".h", ".hpp", ".inc", ".s", ".S")


@dataclass(frozen=True)
class TflmTree:
    root: Path
    #: "reference" or "cmsis_nn": the kernels the tree was made with (create_tflm_tree's OPTIMIZED_KERNEL_DIR).
    kernels: str

    @property
    def build_flags(self) -> tuple[str, ...]:
        return TREE_FLAGS + (CMSIS_NN_FLAGS if self.kernels == "cmsis_nn" else ())

    @property
    def include_dirs(self) -> tuple[Path, ...]:
        extra = _CMSIS_NN_INCLUDE_DIRS if self.kernels == "cmsis_nn" else ()
        return tuple(self.root / d for d in (*_INCLUDE_DIRS, *extra) if (self.root / d).is_dir())


def load_tree(path: Path) -> TflmTree:
    """Check that ``path`` is a whole tree and which kernels it has; one error naming what is missing."""
    where = f"--tflm-dir {path}"
    if not path.is_dir():
        raise TinyflashError(f"{where} is not a directory", f"pass the root of a TFLM tree; {HOW_TO_MAKE}")
    root = path.resolve()
    kernels_dir = root / KERNELS_DIR
    optimized = sorted(p.name for p in kernels_dir.iterdir() if p.is_dir()) if kernels_dir.is_dir() else []
    other = [name for name in optimized if name != "cmsis_nn"]
    if other:
        raise TinyflashError(
            f"{where} has {KERNELS_DIR}/{other[0]}/ kernels; tinyflash builds reference and CMSIS-NN trees",
            "make the tree without OPTIMIZED_KERNEL_DIR, or with OPTIMIZED_KERNEL_DIR=cmsis_nn",
        )
    kernels = "cmsis_nn" if optimized else "reference"
    required = list(_REQUIRED)
    if (root / "signal").is_dir():
        required += _SIGNAL_REQUIRED
    if kernels == "cmsis_nn":
        required += _CMSIS_NN_REQUIRED
    missing = [rel for rel in required if not (root / rel).is_file()]
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        hint = HOW_TO_MAKE
        if (root / "tensorflow/lite/micro/tools/make/Makefile").is_file():
            hint = f"this is a tflite-micro checkout, not a tree: {HOW_TO_MAKE}"
        what = "a CMSIS-NN tree" if kernels == "cmsis_nn" else "a TFLM tree"
        raise TinyflashError(f"{where} is not {what}: {missing[0]} is missing{more}", hint)
    return TflmTree(root, kernels)


def library_manifest(tree: TflmTree) -> str:
    """PlatformIO's library.json for the tree: compile it where it is, with its third-party headers on the include
    path (PlatformIO passes a library's include folders on to the project's src/ too). The library's own
    dependency scan is off: the tree includes only itself.

    The version carries the tree's fingerprint, so editing or regenerating the tree changes this generated file:
    that is what makes `tinyflash build` see the project as out of date, and the validate app's build id differ.
    """
    manifest = {
        "name": LIBRARY_NAME,
        "version": f"0.0.0+tree.{tree_fingerprint(tree.root)[:16]}",
        "description": f"The TFLM tree ({tree.kernels} kernels) at {tree.root}, for tinyflash --tflm-dir",
        "build": {
            "srcDir": str(tree.root),
            "includeDir": str(tree.root),
            "flags": [f"-I{shlex.quote(str(d))}" for d in tree.include_dirs],
            "libLDFMode": "off",
        },
    }
    return json.dumps(manifest, indent=2) + "\n"


def tree_fingerprint(root: Path) -> str:
    """Relative path, size and mtime of every source and header in the tree: editing, adding, removing or
    regenerating a file changes it (create_tflm_tree writes every file anew), at the cost of a directory walk."""
    h = hashlib.sha256()
    entries = []
    for folder, dirs, names in os.walk(root):
        dirs.sort()
        for name in names:
            if name.endswith(_SOURCE_SUFFIXES):
                full = os.path.join(folder, name)
                try:
                    st = os.stat(full)
                except OSError:
                    continue
                entries.append(f"{os.path.relpath(full, root)}|{st.st_size}|{st.st_mtime_ns}\n")
    for entry in sorted(entries):
        h.update(entry.encode())
    return h.hexdigest()
