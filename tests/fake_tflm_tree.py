"""A stand-in for a tree from tflite-micro's create_tflm_tree.py: its layout, with empty files."""

from __future__ import annotations

from pathlib import Path

REFERENCE_FILES = (
    "tensorflow/lite/micro/micro_interpreter.cc",
    "tensorflow/lite/micro/micro_interpreter.h",
    "tensorflow/lite/micro/micro_mutable_op_resolver.h",
    "tensorflow/lite/micro/kernels/conv.cc",
    "tensorflow/lite/schema/schema_generated.h",
    "third_party/flatbuffers/include/flatbuffers/flatbuffers.h",
    "third_party/gemmlowp/fixedpoint/fixedpoint.h",
    "third_party/ruy/ruy/profiler/instrumentation.h",
    "third_party/kissfft/kiss_fft.h",
    "signal/src/window.cc",
)
CMSIS_NN_FILES = (
    "tensorflow/lite/micro/kernels/cmsis_nn/conv.cc",
    "third_party/cmsis_nn/Include/arm_nnfunctions.h",
    "third_party/cmsis/CMSIS/Core/Include/cmsis_compiler.h",
)


def fake_tree(root: Path, *, cmsis_nn: bool = False, without: str = "") -> Path:
    """The layout create_tflm_tree.py makes, with empty files: enough to check, render and fingerprint."""
    for rel in (*REFERENCE_FILES, *(CMSIS_NN_FILES if cmsis_nn else ())):
        if rel != without:
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text("")
    return root
