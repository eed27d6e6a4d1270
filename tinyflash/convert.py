"""A trained Keras model or SavedModel → a device-ready ``.tflite``, and proof that it still does the job.

Every source goes through one path: a Keras file is exported to a temporary SavedModel first, so the model
the converter sees and the float model the check runs are the same ``serving_default`` signature, with inputs
and outputs matched by name (the converter may reorder a model's inputs; the ``.tflite`` signature says how).
The converter gets that signature with the batch axis fixed to 1, as TFLM runs it: left free, a Flatten
becomes SHAPE → STRIDED_SLICE → PACK → RESHAPE, three ops a microcontroller has no use for.

Full-integer int8 is the default because it is what TFLM examples and CMSIS-NN kernels run. The converter
silently keeps an op it cannot quantize in float (DEQUANTIZE → op → QUANTIZE); such a model is rejected here,
naming the op, instead of reaching a board slow and large. The check then runs the float model under
TensorFlow and the converted one under the TFLM reference runtime (what the device computes) on the same
inputs — see :mod:`tinyflash.convert_check`.

TensorFlow is an optional extra; it is imported only inside :func:`convert`.
"""

from __future__ import annotations

import os
import sys
import tempfile
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from .convert_check import CheckReport, check_input, compare_output, warnings_for
from .errors import ModelError, TinyflashError, ToolError
from .model import ModelInfo, Operator, Quantization, Tensor, parse_model

INSTALL_HINT = "pip install 'tinyflash[tensorflow]'"
QUANTIZE_MODES = ("int8", "float16", "none")
IO_TYPES = ("int8", "float")
#: Samples drawn for --calibration-range, and the most taken from a --calibration file.
DEFAULT_SAMPLES = 500
#: Seed of the generator that fills multi-value inputs for --calibration-range.
CALIBRATION_SEED = 0
KERAS_SUFFIXES = (".keras", ".h5", ".hdf5")
_FLOAT_TYPES = ("float32", "float16", "float64")
#: Samples per TensorFlow call when running the float model on the check data.
_BATCH = 256


@dataclass(frozen=True)
class ConvertOptions:
    quantize: str = "int8"
    #: Input/output type of an int8 model; None: int8 for --quantize int8, else float.
    io: str | None = None
    calibration: Path | None = None
    calibration_range: tuple[float, float] | None = None
    samples: int = DEFAULT_SAMPLES
    check: Path | None = None

    @property
    def io_type(self) -> str:
        return self.io or ("int8" if self.quantize == "int8" else "float")


@dataclass(frozen=True)
class Dataset:
    """Arrays per model input (first axis = sample) and where they came from, for the report."""

    source: str
    arrays: Mapping[str, np.ndarray]

    @property
    def samples(self) -> int:
        return len(next(iter(self.arrays.values())))

    def sample(self, i: int) -> dict[str, np.ndarray]:
        return {name: a[i : i + 1] for name, a in self.arrays.items()}


@dataclass(frozen=True)
class ConvertResult:
    source: Path
    out: Path
    model: ModelInfo
    quantize: str
    io: str
    calibration: Dataset | None
    check: CheckReport


def parse_range(text: str) -> tuple[float, float]:
    """``LO:HI`` → (lo, hi), with lo < hi."""
    try:
        lo_text, hi_text = text.split(":")
        lo, hi = float(lo_text), float(hi_text)
    except ValueError:
        raise TinyflashError(
            f"--calibration-range {text!r} is not LO:HI", "pass e.g. --calibration-range 0:6.283"
        ) from None
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise TinyflashError(f"--calibration-range {text!r} needs finite LO < HI", "pass e.g. --calibration-range -1:1")
    return lo, hi


def convert(source: Path, out: Path, options: ConvertOptions) -> ConvertResult:
    """Convert ``source``, refuse float fallbacks and models TFLM cannot run, check, then write ``out``."""
    _validate(source, out, options)
    tf = import_tensorflow()
    with tempfile.TemporaryDirectory(prefix="tinyflash-convert-") as tmp, _captured_output():
        float_model = _float_model(tf, source, Path(tmp))
        calibration = _calibration_data(float_model, options)
        check_data = _npz_dataset(options.check, float_model, None) if options.check else calibration
        if check_data is None:
            raise TinyflashError(
                "the check needs data to run both models on",
                "pass --check DATA.npz (or --calibration / --calibration-range)",
            )
        data = _convert_bytes(tf, float_model, calibration, options)
        model = parse_model(data, out)
        if options.quantize == "int8":
            _reject_float_ops(model)
        reference = float_model.run(check_data)
    check = _check(model, check_data, reference, options)
    partial = out.with_name(out.name + ".partial")
    partial.write_bytes(data)
    partial.replace(out)  # an interrupted write never leaves half a model under the name a build would use
    return ConvertResult(source, out, model, options.quantize, options.io_type, calibration, check)


def import_tensorflow() -> Any:
    """TensorFlow, quietly; or the one line that says how to install it."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        with _captured_output():
            import tensorflow as tf
    except ImportError:
        raise ToolError("`tinyflash convert` needs TensorFlow, which is not installed", INSTALL_HINT) from None
    tf.get_logger().setLevel("ERROR")
    return tf


def _validate(source: Path, out: Path, options: ConvertOptions) -> None:
    if options.quantize not in QUANTIZE_MODES:
        raise TinyflashError(f"unknown --quantize {options.quantize!r}", "choose int8, float16 or none")
    if options.io is not None and options.io not in IO_TYPES:
        raise TinyflashError(f"unknown --io {options.io!r}", "choose int8 or float")
    if options.io == "int8" and options.quantize != "int8":
        raise TinyflashError(f"--io int8 needs --quantize int8 (not {options.quantize})", "drop --io")
    if options.calibration and options.calibration_range:
        raise TinyflashError("--calibration and --calibration-range exclude each other", "pass one of them")
    if options.quantize == "int8" and not (options.calibration or options.calibration_range):
        raise TinyflashError(
            "int8 quantization needs calibration data",
            "pass --calibration DATA.npz (arrays per input) or, for one input, --calibration-range LO:HI",
        )
    if options.samples < 1:
        raise TinyflashError("--samples must be at least 1", "pass e.g. --samples 500")
    for path, what in ((options.calibration, "--calibration"), (options.check, "--check")):
        if path is not None and not path.is_file():
            raise TinyflashError(f"{what} {path} does not exist", "pass an .npz file made with numpy.savez")
    if source.suffix == ".tflite":
        raise ModelError(
            f"{source} is already a .tflite model", f"inspect or build it directly: tinyflash inspect {source}"
        )
    if not source.exists():
        raise ModelError(f"{source} does not exist", "pass a .keras or .h5 file, or a SavedModel directory")
    if out.suffix != ".tflite":
        raise TinyflashError(f"--out {out} does not end in .tflite", "pass e.g. --out model.tflite")
    if not out.parent.is_dir():
        raise TinyflashError(f"the folder of --out {out} does not exist", "create it, or write elsewhere")


@dataclass(frozen=True)
class FloatModel:
    """The source model as one SavedModel signature: named inputs (batch axis free) and named outputs."""

    #: The loaded SavedModel: owns the variables ``function`` reads.
    loaded: Any
    function: Any
    inputs: Mapping[str, tuple[tuple[int, ...], str]]
    outputs: tuple[str, ...]

    def run(self, data: Dataset) -> dict[str, np.ndarray]:
        """Outputs by name for every sample, in float32, computed in batches."""
        import tensorflow as tf

        chunks: dict[str, list[np.ndarray]] = {name: [] for name in self.outputs}
        for start in range(0, data.samples, _BATCH):
            feed = {k: tf.constant(a[start : start + _BATCH]) for k, a in data.arrays.items()}
            for name, value in self.function(**feed).items():
                chunks[name].append(np.asarray(value, dtype=np.float32))
        return {name: np.concatenate(parts) for name, parts in chunks.items()}


def _float_model(tf: Any, source: Path, tmp: Path) -> FloatModel:
    if source.is_dir():
        saved = source
        if not (saved / "saved_model.pb").is_file() and not (saved / "saved_model.pbtxt").is_file():
            raise ModelError(f"{source} is not a SavedModel directory (no saved_model.pb)", _SOURCE_HINT)
    elif source.suffix.lower() in KERAS_SUFFIXES:
        try:
            keras_model = tf.keras.models.load_model(str(source), compile=False)
        except Exception as exc:  # Keras raises many types for an unreadable or unsafe file; all mean the same
            raise ModelError(f"Keras cannot load {source}: {_first_line(exc)}", _SOURCE_HINT) from exc
        saved = tmp / "saved_model"
        keras_model.export(str(saved), format="tf_saved_model", verbose=False)
    else:
        raise ModelError(f"{source} is not a Keras file or a SavedModel directory", _SOURCE_HINT)
    try:
        loaded = tf.saved_model.load(str(saved))
    except Exception as exc:  # a damaged SavedModel fails in TensorFlow's internals with many exception types
        raise ModelError(f"TensorFlow cannot load {source}: {_first_line(exc)}", _SOURCE_HINT) from exc
    signatures = dict(loaded.signatures)
    key = "serving_default" if "serving_default" in signatures or len(signatures) != 1 else next(iter(signatures))
    if key not in signatures:
        raise ModelError(
            f"{source} has no serving_default signature (it has: {', '.join(signatures) or 'none'})",
            "export the model with model.export(DIR) or tf.saved_model.save(model, DIR, signatures=...)",
        )
    function = signatures[key]
    inputs = {}
    # Sorted: the order a SavedModel lists its inputs in varies between loads; the .tflite signature's is sorted.
    for name, spec in sorted(function.structured_input_signature[1].items()):
        dims = spec.shape.as_list()
        if any(d is None for d in dims[1:]):
            raise ModelError(
                f"input {name} of {source} has an unknown dimension {dims}",
                "give the model a fixed input shape (TFLM needs static shapes)",
            )
        inputs[name] = (tuple(dims[1:]), spec.dtype.name)
    return FloatModel(loaded, function, MappingProxyType(inputs), tuple(function.structured_outputs))


_SOURCE_HINT = "pass a .keras or .h5 file (model.save) or a SavedModel directory (model.export)"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _calibration_data(m: FloatModel, options: ConvertOptions) -> Dataset | None:
    if options.calibration is not None:
        return _npz_dataset(options.calibration, m, options.samples)
    if options.calibration_range is not None:
        return range_dataset(m.inputs, options.calibration_range, options.samples)
    return None


def range_dataset(
    inputs: Mapping[str, tuple[tuple[int, ...], str]], value_range: tuple[float, float], samples: int
) -> Dataset:
    """The documented --calibration-range sampling: an input of one value gets ``samples`` evenly spaced values
    from LO to HI inclusive; a bigger input gets values uniform in [LO, HI) from a generator seeded with 0."""
    if len(inputs) != 1:
        raise TinyflashError(
            f"--calibration-range works for a model with one input; this one has {len(inputs)} ({', '.join(inputs)})",
            "pass --calibration DATA.npz with one array per input name",
        )
    ((name, (shape, dtype)),) = inputs.items()
    lo, hi = value_range
    if int(np.prod(shape)) == 1:
        values = np.linspace(lo, hi, samples).reshape((samples, *shape))
    else:
        values = np.random.default_rng(CALIBRATION_SEED).uniform(lo, hi, (samples, *shape))
    return Dataset(f"--calibration-range {lo:g}:{hi:g}", MappingProxyType({name: values.astype(dtype)}))


def _npz_dataset(path: Path, m: FloatModel, limit: int | None) -> Dataset:
    """Arrays per input from an .npz: by input name, or the only array for a one-input model."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            stored = {k: npz[k] for k in npz.files}
    except (OSError, ValueError) as exc:
        raise TinyflashError(f"cannot read {path}: {_first_line(exc)}", "write it with numpy.savez") from None
    names = list(m.inputs)
    if len(names) == 1 and len(stored) == 1:
        stored = {names[0]: next(iter(stored.values()))}
    missing = [n for n in names if n not in stored]
    if missing:
        raise TinyflashError(
            f"{path} has no array for input {', '.join(missing)} (it has: {', '.join(stored) or 'nothing'})",
            f"save one array per input, named {', '.join(names)}: numpy.savez(FILE, {names[0]}=...)",
        )
    arrays: dict[str, np.ndarray] = {}
    for name in names:
        shape, dtype = m.inputs[name]
        a = stored[name]
        if a.ndim != len(shape) + 1 or tuple(a.shape[1:]) != shape or len(a) == 0:
            want = "(N, " + ", ".join(map(str, shape)) + ")" if shape else "(N,)"
            raise TinyflashError(
                f"array {name} in {path} has shape {a.shape}; input {name} needs {want}",
                "the first axis is the sample, the rest is the input's shape without its batch axis",
            )
        arrays[name] = (a[:limit] if limit else a).astype(dtype)
    counts = {len(a) for a in arrays.values()}
    if len(counts) != 1:
        raise TinyflashError(f"the arrays in {path} hold different numbers of samples", "give every input N samples")
    return Dataset(str(path), MappingProxyType(arrays))


def _convert_bytes(tf: Any, m: FloatModel, calibration: Dataset | None, options: ConvertOptions) -> bytes:
    specs = {name: tf.TensorSpec((1, *shape), dtype, name=name) for name, (shape, dtype) in m.inputs.items()}
    batch_of_one = tf.function(lambda **feed: m.function(**feed)).get_concrete_function(**specs)
    converter = tf.lite.TFLiteConverter.from_concrete_functions([batch_of_one], m.loaded)
    if options.quantize == "int8":
        assert calibration is not None

        def representative() -> Iterator[dict[str, np.ndarray]]:
            for i in range(calibration.samples):
                yield calibration.sample(i)

        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = representative
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        io_type = tf.int8 if options.io_type == "int8" else tf.float32
        converter.inference_input_type = io_type
        converter.inference_output_type = io_type
    elif options.quantize == "float16":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_types = [tf.float16]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return bytes(converter.convert())
    except Exception as exc:  # ConverterError and friends: the converter's own first line says what failed
        raise ModelError(f"the TFLite converter failed: {_first_line(exc)}", "rerun with --debug for its log") from exc


def _reject_float_ops(model: ModelInfo) -> None:
    """Full-integer means no float compute: name every op the converter left in float."""
    tensors = model.main.tensors
    left = []
    for op in model.main.operators:
        if op.opcode in ("QUANTIZE", "DEQUANTIZE"):
            continue
        touched = [tensors[i] for i in (*op.inputs, *op.outputs) if i >= 0]
        floats = [t for t in touched if t.dtype in _FLOAT_TYPES and not t.is_constant]
        if floats:
            left.append(f"{op.opcode} ({floats[-1].name})")
    if left:
        raise ModelError(
            f"cannot quantize {', '.join(left)} to int8: the converter could only leave "
            f"{'it' if len(left) == 1 else 'them'} in float",
            "replace the layer with one that has an int8 kernel, or convert with --quantize none",
        )


def signature_positions(model: ModelInfo) -> tuple[dict[str, int], dict[str, int]]:
    """Signature names → positions among the subgraph's inputs and outputs."""
    import tflite

    sig = tflite.Model.GetRootAsModel(model.data, 0)
    if sig.SignatureDefsLength() == 0:
        raise ModelError("the converted model has no signature", "report this: tinyflash always converts one")
    sd = sig.SignatureDefs(0)
    main = model.main
    inputs = {
        sd.Inputs(j).Name().decode(): main.inputs.index(sd.Inputs(j).TensorIndex()) for j in range(sd.InputsLength())
    }
    outputs = {
        sd.Outputs(j).Name().decode(): main.outputs.index(sd.Outputs(j).TensorIndex())
        for j in range(sd.OutputsLength())
    }
    return inputs, outputs


def _producer(model: ModelInfo, tensor: int) -> Operator | None:
    return next((op for op in model.main.operators if tensor in op.outputs), None)


# With --io float the model starts with QUANTIZE and ends with DEQUANTIZE: the quantization that decides
# saturation, and the op that computed an output, are on the int8 side of them.


def _int8_input(model: ModelInfo, t: Tensor) -> Tensor | None:
    if t.dtype == "int8":
        return t
    tensors = model.main.tensors
    for op in model.main.operators:
        if op.opcode == "QUANTIZE" and op.inputs[0] == t.index and tensors[op.outputs[0]].dtype == "int8":
            return tensors[op.outputs[0]]
    return None


def _int8_output(model: ModelInfo, t: Tensor) -> tuple[Tensor | None, str | None]:
    """The int8 tensor behind an output, and the op that computed it."""
    producer = _producer(model, t.index)
    if t.dtype == "int8" or producer is None:
        return (t if t.dtype == "int8" else None), producer.opcode if producer else None
    inner = model.main.tensors[producer.inputs[0]]
    if producer.opcode == "DEQUANTIZE" and inner.dtype == "int8":
        computed = _producer(model, inner.index)
        return inner, computed.opcode if computed else None
    return None, producer.opcode


def _per_tensor(t: Tensor | None) -> Quantization | None:
    return t.quant if t is not None and t.quant is not None and not t.quant.per_channel else None


def _check(model: ModelInfo, data: Dataset, reference: dict[str, np.ndarray], options: ConvertOptions) -> CheckReport:
    from .reference import Interpreter, dequantize, quantize_array

    in_pos, out_pos = signature_positions(model)
    try:
        with _captured_output() as tflm_log:
            interpreter = Interpreter(model)
            raw_outputs: dict[str, list[np.ndarray]] = {name: [] for name in out_pos}
            for i in range(data.samples):
                interpreter.reset()  # each sample from the initial state, as TensorFlow ran it (LSTM, SVDF state)
                feed = [np.empty(0)] * len(in_pos)
                for name, pos in in_pos.items():
                    t = model.inputs[pos]
                    feed[pos] = quantize_array(data.arrays[name][i].reshape(t.shape), t)
                results = interpreter.run(feed)
                for name, pos in out_pos.items():
                    raw_outputs[name].append(results[pos].reshape(model.outputs[pos].shape))
    except RuntimeError:
        why = _tflm_reason(tflm_log.text)
        hint = (
            "TFLM has no float16 kernels: use --quantize int8, or none for float32"
            if options.quantize == "float16"
            else "TFLM must run every op of the model: replace the layer it names"
        )
        raise ModelError(f"the TFLM reference runtime cannot run the converted model ({why})", hint) from None
    inputs = []
    for name, pos in in_pos.items():
        inputs.append(check_input(name, data.arrays[name], _per_tensor(_int8_input(model, model.inputs[pos]))))
    outputs = []
    for name, pos in out_pos.items():
        t = model.outputs[pos]
        raw = np.stack(raw_outputs[name])
        real = dequantize(raw, t)
        device, producer = _int8_output(model, t)
        quant = _per_tensor(device)
        codes = None
        if quant is not None:
            codes = raw if t.dtype == "int8" else np.clip(np.rint(real / quant.scale) + quant.zero_point, -128, 127)
        ref = reference[name].reshape(real.shape)
        outputs.append(compare_output(name, ref, real, codes=codes, quant=quant, producer=producer))
    found = warnings_for(tuple(inputs), tuple(outputs))
    return CheckReport(data.source, data.samples, interpreter.name, tuple(inputs), tuple(outputs), found)


def _tflm_reason(text: str) -> str:
    """TFLM's log names the failing node on one line and the failed condition (after a source path) on another."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    node = next((line for line in lines if line.startswith("Node ")), None)
    condition = next((line.split(" ", 1)[-1] for line in lines if line.endswith("was not true.")), None)
    if node and condition:
        return f"{node}: {condition}"
    return node or condition or (lines[-1] if lines else "it refused to allocate or invoke")


class _Log:
    text = ""


@contextmanager
def _captured_output() -> Iterator[_Log]:
    """Route fds 1 and 2 to a temporary file: TensorFlow and the TFLM runtime log from C++, and `--json`
    must keep stdout clean. The captured text is available afterwards (TFLM's reason for refusing a model)."""
    log = _Log()
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
        try:
            yield log
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
            sink.seek(0)
            log.text = sink.read().decode(errors="replace")


def result_json(r: ConvertResult) -> dict[str, Any]:
    c = r.check
    return {
        "source": str(r.source),
        "out": str(r.out),
        "size_bytes": r.model.size_bytes,
        "sha256": r.model.sha256,
        "quantize": r.quantize,
        "io": r.io,
        "calibration": {"data": r.calibration.source, "samples": r.calibration.samples} if r.calibration else None,
        "check": {
            "data": c.data,
            "samples": c.samples,
            "runtime": c.runtime,
            "inputs": [{"name": i.name, "range": i.range, "saturation": i.saturation} for i in c.inputs],
            "outputs": [
                {
                    "name": o.name,
                    "mae": o.mae,
                    "max_abs_error": o.max_abs_error,
                    "rmse": o.rmse,
                    "cosine": o.cosine,
                    "top1_agreement": o.top1_agreement,
                    "range": o.range,
                    "saturation": o.saturation,
                }
                for o in c.outputs
            ],
            "warnings": list(c.warnings),
            "ok": c.ok,
        },
    }
