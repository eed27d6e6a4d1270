"""The calibration check: how far the converted model is from the float one, in numbers a user can act on.

Pure numpy, no TensorFlow: :mod:`tinyflash.convert` runs both models and hands the arrays here. Every
threshold lives in this module, and README.md ("Converting a model") documents them.

- Accuracy, per output, over every value of every check sample: MAE, max abs error, RMSE, and the cosine
  similarity of the two outputs flattened into one vector each (for a scalar regressor that is the shape of
  the whole curve). For SOFTMAX outputs also top-1 agreement: the share of samples whose argmax is the same.
- Saturation, the way calibration goes wrong silently:
  - *input*: the share of check input values that quantize outside −128..127 with the input's scale and
    zero point, i.e. that the device clips before the model even runs (calibration did not cover them);
  - *output*: the share of int8 output values pinned at −128 or 127 while the float model's value lies beyond
    that limit, i.e. clipped. Values at a limit that is the output's real bound (0 after a ReLU) are not
    counted, and outputs of SOFTMAX, LOGISTIC and TANH have none: TFLite fixes their int8 range to the
    function's own (a probability of 0.999 is stored as 255/256), so calibration cannot move it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .model import Quantization
from .reference import quantize_codes

#: Share of input values allowed outside the int8 input range before the check warns.
INPUT_SATURATION_MAX = 0.01
#: Share of output values allowed clipped at the int8 limits before the check warns.
OUTPUT_SATURATION_MAX = 0.01
#: Lowest cosine similarity (float vs device, per output) that passes.
COSINE_MIN = 0.99
#: Lowest top-1 agreement (SOFTMAX outputs) that passes.
TOP1_MIN = 0.95

INT8_MIN, INT8_MAX = -128, 127
#: Ops whose int8 output range the converter fixes to the function's range, whatever the calibration data.
FIXED_RANGE_OPS = ("SOFTMAX", "LOGISTIC", "TANH")
#: Ops whose outputs are compared by top-1 agreement.
CLASSIFIER_OPS = ("SOFTMAX",)


@dataclass(frozen=True)
class InputCheck:
    name: str
    #: The real values the int8 input represents (None: a float input with no quantization).
    range: tuple[float, float] | None
    saturation: float | None


@dataclass(frozen=True)
class OutputCheck:
    name: str
    mae: float
    max_abs_error: float
    rmse: float
    cosine: float
    top1_agreement: float | None
    range: tuple[float, float] | None
    saturation: float | None


@dataclass(frozen=True)
class CheckReport:
    """The float model (TensorFlow) against the converted one on the device's reference runtime."""

    data: str
    samples: int
    runtime: str
    inputs: tuple[InputCheck, ...]
    outputs: tuple[OutputCheck, ...]
    warnings: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.warnings


def int8_range(q: Quantization) -> tuple[float, float]:
    """The real values an int8 tensor with this (per-tensor) quantization can hold."""
    return q.scale * (INT8_MIN - q.zero_point), q.scale * (INT8_MAX - q.zero_point)


def input_saturation(values: np.ndarray, q: Quantization) -> float:
    codes = quantize_codes(values, q)
    return float(np.mean((codes < INT8_MIN) | (codes > INT8_MAX))) if codes.size else 0.0


def output_saturation(codes: np.ndarray, reference: np.ndarray, q: Quantization) -> float:
    """Share of int8 output codes at a limit where the float model's value quantizes beyond that limit."""
    wanted = quantize_codes(reference, q)
    codes = codes.astype(np.int64)
    clipped = ((codes == INT8_MAX) & (wanted > INT8_MAX)) | ((codes == INT8_MIN) & (wanted < INT8_MIN))
    return float(np.mean(clipped)) if codes.size else 0.0


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    a64, b64 = a.astype(np.float64).ravel(), b.astype(np.float64).ravel()
    na, nb = np.linalg.norm(a64), np.linalg.norm(b64)
    if na == 0.0 or nb == 0.0:
        return 1.0 if na == nb else 0.0
    return float(np.dot(a64, b64) / (na * nb))


def compare_output(
    name: str,
    reference: np.ndarray,
    device: np.ndarray,
    *,
    codes: np.ndarray | None,
    quant: Quantization | None,
    producer: str | None,
) -> OutputCheck:
    """``reference``/``device``: real values, first axis = sample; ``codes``: the int8 values behind ``device``;
    ``producer``: the op that computed the (int8) output."""
    diff = device.astype(np.float64) - reference.astype(np.float64)
    top1 = None
    if producer in CLASSIFIER_OPS:
        n = len(reference)
        top1 = float(np.mean(reference.reshape(n, -1).argmax(1) == device.reshape(n, -1).argmax(1)))
    saturation = None
    if codes is not None and quant is not None and producer not in FIXED_RANGE_OPS:
        saturation = output_saturation(codes, reference, quant)
    return OutputCheck(
        name=name,
        mae=float(np.mean(np.abs(diff))),
        max_abs_error=float(np.max(np.abs(diff))),
        rmse=float(np.sqrt(np.mean(diff**2))),
        cosine=cosine(reference, device),
        top1_agreement=top1,
        range=int8_range(quant) if quant is not None else None,
        saturation=saturation,
    )


def check_input(name: str, values: np.ndarray, quant: Quantization | None) -> InputCheck:
    if quant is None:
        return InputCheck(name, None, None)
    return InputCheck(name, int8_range(quant), input_saturation(values, quant))


def warnings_for(inputs: tuple[InputCheck, ...], outputs: tuple[OutputCheck, ...]) -> tuple[str, ...]:
    """One sentence per threshold crossed, each saying what to do."""
    found = []
    for i in inputs:
        if i.saturation is not None and i.range is not None and i.saturation > INPUT_SATURATION_MAX:
            lo, hi = i.range
            found.append(
                f"input {i.name}: {i.saturation:.1%} of the check values lie outside the int8 input range "
                f"[{lo:.4g}, {hi:.4g}] and are clipped — calibrate on data that covers the inputs the model "
                "will see (widen --calibration-range, or add such samples to --calibration)"
            )
    for o in outputs:
        if o.saturation is not None and o.range is not None and o.saturation > OUTPUT_SATURATION_MAX:
            lo, hi = o.range
            found.append(
                f"output {o.name}: {o.saturation:.1%} of the values are pinned at the int8 limits of "
                f"[{lo:.4g}, {hi:.4g}] where the float model goes beyond — the calibration data does not reach "
                "these outputs: widen it, and check the range of the inputs"
            )
        if o.cosine < COSINE_MIN:
            found.append(
                f"output {o.name}: cosine similarity {o.cosine:.4f} < {COSINE_MIN} — the int8 model departs "
                "from the float one: calibrate on more representative data, or convert with --quantize none"
            )
        if o.top1_agreement is not None and o.top1_agreement < TOP1_MIN:
            found.append(
                f"output {o.name}: top-1 agrees with the float model on {o.top1_agreement:.1%} of samples "
                f"(< {TOP1_MIN:.0%}) — calibrate on more representative data"
            )
    return tuple(found)
