"""Keras models built on the spot for the AOT tests and benchmarks (TensorFlow in the venv), converted by tinyflash's
own convert."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tinyflash.convert import ConvertOptions, ConvertResult, convert, import_tensorflow


def lstm_classifier(workdir: Path, quantizations: tuple[str, ...] = ("int8", "none")) -> list[ConvertResult]:
    """Three classes of 12-step, 3-feature sequences (sines of three frequencies in noise): LSTM(8) -> Dense softmax,
    trained briefly in Keras 2 (tf_keras: the converter fuses its LSTM layer into one UNIDIRECTIONAL_SEQUENCE_LSTM;
    Keras 3's stays a loop), exported as a SavedModel and converted to each of ``quantizations``
    (``lstm_<quantization>.tflite`` in ``workdir``)."""
    tf = import_tensorflow()
    import tf_keras as keras

    keras.utils.set_random_seed(4)
    rng = np.random.default_rng(4)
    labels = rng.integers(0, 3, 600)
    t = np.arange(12)[None, :, None]
    x = (rng.normal(0, 0.3, (600, 12, 3)) + np.sin(t * (0.3 + 0.4 * labels[:, None, None]))).astype(np.float32)
    model = keras.Sequential([keras.Input((12, 3)), keras.layers.LSTM(8), keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(0.02), loss="sparse_categorical_crossentropy")
    model.fit(x[:500], labels[:500], epochs=4, batch_size=32, verbose=0)
    tf.saved_model.save(model, str(workdir / "lstm"))
    np.savez(workdir / "lstm_calibration.npz", x=x[:100])
    np.savez(workdir / "lstm_check.npz", x=x[500:])
    options = {"calibration": workdir / "lstm_calibration.npz", "check": workdir / "lstm_check.npz"}
    return [
        convert(workdir / "lstm", workdir / f"lstm_{q}.tflite", ConvertOptions(quantize=q, **options))
        for q in quantizations
    ]
