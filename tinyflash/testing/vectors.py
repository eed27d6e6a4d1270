"""The input vectors `tinyflash test` streams to the board: from a ``.npz`` file, or random and reproducible.

A vector is one value per model input, in the input tensor's own type (the bytes the device receives).
``--random`` draws quantized inputs uniformly over the whole integer range and float inputs uniformly in
[-1, 1) (the usual range of normalised features); a file can hold anything else, and expected outputs too.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import TinyflashError
from ..model import ModelInfo, Tensor
from ..reference import quantize_array

FLOAT_RANGE = (-1.0, 1.0)
#: A file bigger than this is not a set of test vectors for a microcontroller.
MAX_FILE_BYTES = 1 << 30


@dataclass(frozen=True)
class VectorSet:
    inputs: tuple[tuple[np.ndarray, ...], ...]  # per vector, per model input, shaped like the tensor
    expected: tuple[tuple[np.ndarray, ...], ...] | None  # per vector, per model output (from the file), or None
    source: str

    def __len__(self) -> int:
        return len(self.inputs)


def _names(tensors: tuple[Tensor, ...], prefix: str) -> list[tuple[str, str]]:
    """The names a file may use for each tensor: its own name, or input_0 / output_0..."""
    return [(t.name, f"{prefix}_{i}") for i, t in enumerate(tensors)]


def random_vectors(model: ModelInfo, count: int, seed: int) -> VectorSet:
    if count <= 0:
        raise TinyflashError(f"--random {count}: need at least one vector", "pass e.g. --random 100")
    rng = np.random.default_rng(seed)
    vectors = []
    for _ in range(count):
        values = []
        for t in model.inputs:
            if t.dtype == "float32":
                values.append(rng.uniform(*FLOAT_RANGE, t.shape).astype(np.float32))
            else:
                info = np.iinfo(np.dtype(t.dtype))
                values.append(rng.integers(info.min, info.max, t.shape, endpoint=True).astype(t.dtype))
        vectors.append(tuple(values))
    return VectorSet(tuple(vectors), None, f"random, {count} vectors, seed {seed}")


def load_vectors(path: Path, model: ModelInfo) -> VectorSet:
    """Arrays named after the model's inputs (or input_0, input_1...), axis 0 = vector; optional expected
    outputs named after its outputs (or output_0...). Float arrays for quantized inputs are quantized."""
    hint = "save one array per input with numpy.savez(FILE, input_0=..., output_0=...), axis 0 = vector"
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise TinyflashError(f"{path} is larger than 1 GiB", "use fewer vectors")
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
    except FileNotFoundError:
        raise TinyflashError(f"{path} does not exist", hint) from None
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise TinyflashError(f"{path} is not a readable .npz file ({exc})", hint) from None
    inputs = [_pick(arrays, names, path, hint) for names in _names(model.inputs, "input")]
    counts = {len(a) for a in inputs}
    if len(counts) != 1 or 0 in counts:
        raise TinyflashError(f"{path}: the inputs hold different numbers of vectors ({sorted(counts)})", hint)
    (count,) = counts
    per_input = [_as_tensor(a, t, path) for a, t in zip(inputs, model.inputs, strict=True)]
    outputs = [arrays.get(a, arrays.get(b)) for a, b in _names(model.outputs, "output")]
    expected = None
    if any(o is not None for o in outputs):
        if any(o is None for o in outputs):
            raise TinyflashError(f"{path} has expected values for some outputs but not all", hint)
        if {len(o) for o in outputs} != {count}:
            raise TinyflashError(f"{path}: expected outputs and inputs hold different numbers of vectors", hint)
        shaped = [_shaped(o, t, path) for o, t in zip(outputs, model.outputs, strict=True)]
        expected = tuple(tuple(o[v] for o in shaped) for v in range(count))
    vectors = tuple(tuple(a[v] for a in per_input) for v in range(count))
    return VectorSet(vectors, expected, f"{path.name}, {count} vectors")


def _pick(arrays: dict[str, np.ndarray], names: tuple[str, str], path: Path, hint: str) -> np.ndarray:
    for name in names:
        if name in arrays:
            return arrays[name]
    raise TinyflashError(f"{path} has no array named {names[0]!r} or {names[1]!r} (it has {sorted(arrays)})", hint)


def _shaped(array: np.ndarray, t: Tensor, path: Path) -> np.ndarray:
    per_vector = int(np.prod(array.shape[1:], dtype=np.int64))
    if per_vector != t.elements:
        raise TinyflashError(
            f"{path}: '{t.name}' needs {t.elements} values per vector, the file has {per_vector}",
            f"shape the array as (vectors, {', '.join(map(str, t.shape))})",
        )
    return array.reshape((len(array), *t.shape))


def _as_tensor(array: np.ndarray, t: Tensor, path: Path) -> np.ndarray:
    array = _shaped(array, t, path)
    if array.dtype == np.dtype(t.dtype):
        return array
    if np.issubdtype(array.dtype, np.floating) and t.dtype != "float32" and t.quant is not None:
        return quantize_array(array.astype(np.float32), t)
    if np.issubdtype(array.dtype, np.integer) and t.dtype == "float32":
        return array.astype(np.float32)
    raise TinyflashError(
        f"{path}: '{t.name}' is {t.dtype} and the file's array is {array.dtype}",
        f"save {t.dtype} values (or floats, which are quantized with the tensor's scale)",
    )
