"""What the device should compute: the model run on the host by the TFLM Python runtime.

The ``tflite-micro`` runtime executes TFLM's own reference kernels, so for int8 models its outputs are
what a correct device produces bit for bit. Where that wheel does not exist (macOS, ARM hosts) the
LiteRT interpreter is used instead; it agrees to about 1e-6 on float models but is not bit-exact.
The app-level helpers reproduce the firmware's own arithmetic (float32 x, round-half-away quantization,
six-decimal printing) so expected serial lines can be compared as text.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .errors import ToolError
from .model import ModelInfo, Quantization, Tensor

_DTYPES = {"float32": np.float32, "int8": np.int8, "uint8": np.uint8, "int16": np.int16, "int32": np.int32}
ARENA_FOR_REFERENCE = 64 * 1024 * 1024


class Interpreter:
    """One loaded model; ``run`` takes and returns arrays in the tensors' own types."""

    def __init__(self, model: ModelInfo) -> None:
        self.model = model
        try:
            from tflite_micro.python.tflite_micro import runtime

            self._tflm = runtime.Interpreter.from_bytes(model.data, arena_size=ARENA_FOR_REFERENCE)
            self._litert = None
            self.name = "tflite-micro"
        except ImportError:
            self._tflm = None
            self._litert = _litert(model)
            self.name = "ai-edge-litert"

    def reset(self) -> None:
        """Variable tensors (an LSTM's or SVDF's state) back to their initial values, as a fresh interpreter has."""
        if self._tflm is not None:
            self._tflm.reset()
        else:
            assert self._litert is not None
            self._litert.reset_all_variables()

    def run(self, inputs: list[np.ndarray]) -> list[np.ndarray]:
        if self._tflm is not None:
            for i, value in enumerate(inputs):
                self._tflm.set_input(value, i)
            self._tflm.invoke()
            return [np.array(self._tflm.get_output(i)) for i in range(len(self.model.outputs))]
        assert self._litert is not None
        for detail, value in zip(self._litert.get_input_details(), inputs, strict=True):
            self._litert.set_tensor(detail["index"], value)
        self._litert.invoke()
        return [self._litert.get_tensor(d["index"]) for d in self._litert.get_output_details()]


def _litert(model: ModelInfo):
    try:
        from ai_edge_litert.interpreter import Interpreter as LiteRT
    except ImportError:
        raise ToolError(
            "no reference interpreter is installed",
            "pip install tflite-micro (Linux x86_64) or pip install 'tinyflash[litert]'",
        ) from None
    interpreter = LiteRT(model_content=model.data)
    interpreter.allocate_tensors()
    return interpreter


def quantize(value: float, t: Tensor) -> np.ndarray:
    """A real value as the tensor stores it, the way the firmware's tensor_io.h does it."""
    return quantize_array(np.full(t.shape, np.float32(value), dtype=np.float32), t)


def quantize_array(values: np.ndarray, t: Tensor) -> np.ndarray:
    """Real values as the tensor stores them: :func:`quantize_codes`, clipped to the tensor's type."""
    if t.dtype == "float32" or t.quant is None:
        return values.astype(np.float32)
    dtype = _DTYPES[t.dtype]
    info = np.iinfo(dtype)
    return np.clip(quantize_codes(values, t.quant), info.min, info.max).astype(dtype)


def quantize_codes(values: np.ndarray, q: Quantization) -> np.ndarray:
    """Integer codes before clipping, as tensor_io.h and TFLM's QUANTIZE compute them: the float32 quotient
    rounded half away from zero, plus the zero point."""
    scaled = (np.asarray(values, dtype=np.float32) / np.float32(q.scale)).astype(np.float64)
    return np.sign(scaled) * np.floor(np.abs(scaled) + 0.5) + q.zero_point


def dequantize(raw: np.ndarray, t: Tensor) -> np.ndarray:
    if t.dtype == "float32" or t.quant is None:
        return raw.astype(np.float32)
    return ((raw.astype(np.float32) - np.float32(t.quant.zero_point)) * np.float32(t.quant.scale)).astype(np.float32)


def format_fixed(value: float, decimals: int = 6) -> str:
    """The firmware's SerialLine::Float: the float widened to double, scaled, rounded half up."""
    v = float(np.float32(value))
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "-inf" if v < 0 else "inf"
    scale = 10**decimals
    scaled = math.floor(abs(v) * scale + 0.5)
    whole, fraction = divmod(scaled, scale)
    sign = "-" if v < 0 and scaled != 0 else ""
    return f"{sign}{whole}.{fraction:0{decimals}d}" if decimals else f"{sign}{whole}"


@dataclass(frozen=True)
class SineStep:
    x: float
    y: float

    @property
    def line(self) -> str:
        return f"x_value: {format_fixed(self.x)} y_value: {format_fixed(self.y)}"


def sine_steps(model: ModelInfo, inferences_per_cycle: int, count: int) -> list[SineStep]:
    """The sine app's first ``count`` (x, y) pairs, computed as the firmware computes them."""
    interpreter = Interpreter(model)
    (inp,), (out,) = model.inputs, model.outputs
    x_range = np.float32(2.0) * np.float32(3.14159265358979)
    steps = []
    for i in range(count):
        position = np.float32(i % inferences_per_cycle) / np.float32(inferences_per_cycle)
        x = np.float32(position * x_range)
        (raw,) = interpreter.run([quantize(float(x), inp)])
        steps.append(SineStep(float(x), float(dequantize(raw, out).reshape(-1)[0])))
    return steps


def inference_lines(model: ModelInfo, max_printed: int = 16) -> list[str]:
    """The inference app's output lines for one run (without the timing line), as the firmware prints them."""
    from .project import sample_arrays

    outputs = Interpreter(model).run(sample_arrays(model))
    lines = []
    for o, (t, raw) in enumerate(zip(model.outputs, outputs, strict=True)):
        flat = raw.reshape(-1)
        real = dequantize(flat, t)
        for i in range(min(len(flat), max_printed)):
            line = f"output{o}[{i}]: {format_fixed(float(real[i]))}"
            if t.dtype != "float32":
                line += f" raw: {int(flat[i])}"
            lines.append(line)
    return lines
