"""Train the project's example sine model and convert it to a full-integer int8 .tflite.

Why: the TinyML book's hello_world model is the model people try first, but the copies in circulation are trained
for few epochs and fit sin(x) loosely. This script reproduces the same architecture (Dense 16 relu -> Dense 16 relu
-> Dense 1) from a fixed seed, trains it long enough for a close fit, quantizes it to int8 the way a
microcontroller runs it, and refuses to write a model whose int8 error under the TFLM reference runtime is too
large. The committed examples/sine_model.tflite is its output.

Needs TensorFlow (`pip install 'tinyflash[tensorflow]'`) and the `tflite-micro` runtime (Linux x86_64).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

import numpy as np

MAE_LIMIT = 0.05
EVAL_POINTS = 1000
ARENA_SIZE = 16 * 1024


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("examples/sine_model.tflite"), help="output .tflite path")
    parser.add_argument("--epochs", type=int, default=800, help="training epochs")
    parser.add_argument("--seed", type=int, default=1234, help="seed for data, weights and shuffling")
    parser.add_argument("--samples", type=int, default=2000, help="number of training samples")
    parser.add_argument("--noise", type=float, default=0.05, help="std of the gaussian noise added to sin(x)")
    parser.add_argument("--batch-size", type=int, default=64, help="training batch size")
    return parser.parse_args(argv)


def make_data(samples: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """x uniform in [0, 2π], y = sin(x) plus gaussian noise, as in the book."""
    x = rng.uniform(0.0, 2.0 * math.pi, size=(samples, 1)).astype(np.float32)
    y = (np.sin(x) + noise * rng.standard_normal(size=x.shape)).astype(np.float32)
    return x, y


def build_and_train(x: np.ndarray, y: np.ndarray, epochs: int, batch_size: int):
    """Same layers as the book; Adam with a cosine-decayed learning rate settles much closer to sin(x)."""
    import tensorflow as tf

    model = tf.keras.Sequential(
        [
            tf.keras.Input(shape=(1,)),
            tf.keras.layers.Dense(16, activation="relu"),
            tf.keras.layers.Dense(16, activation="relu"),
            tf.keras.layers.Dense(1),
        ]
    )
    steps = epochs * math.ceil(len(x) / batch_size)
    schedule = tf.keras.optimizers.schedules.CosineDecay(initial_learning_rate=0.01, decay_steps=steps, alpha=0.01)
    model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate=schedule), loss="mse")
    model.fit(x, y, epochs=epochs, batch_size=batch_size, shuffle=True, verbose=0)
    return model


def convert_int8(model, x_train: np.ndarray) -> bytes:
    """Full-integer conversion: int8 weights, activations, input and output, calibrated on the training x."""
    import tensorflow as tf

    def representative_dataset():
        for value in x_train[:1000]:
            yield [value.reshape(1, 1)]

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative_dataset
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    return converter.convert()


def eval_grid() -> np.ndarray:
    return np.linspace(0.0, 2.0 * math.pi, EVAL_POINTS, dtype=np.float32).reshape(-1, 1)


def tflm_mae(model_bytes: bytes) -> tuple[float, dict[str, tuple[float, int]]]:
    """Run the int8 model in the TFLM reference runtime, the same kernels a microcontroller runs."""
    from tflite_micro.python.tflite_micro import runtime

    interpreter = runtime.Interpreter.from_bytes(model_bytes, arena_size=ARENA_SIZE)
    in_q = interpreter.get_input_details(0)["quantization_parameters"]
    out_q = interpreter.get_output_details(0)["quantization_parameters"]
    in_scale, in_zp = float(in_q["scales"][0]), int(in_q["zero_points"][0])
    out_scale, out_zp = float(out_q["scales"][0]), int(out_q["zero_points"][0])

    xs = eval_grid()
    ys = np.empty(len(xs), dtype=np.float32)
    for i, x in enumerate(xs[:, 0]):
        q = np.clip(np.round(x / in_scale) + in_zp, -128, 127).astype(np.int8).reshape(1, 1)
        interpreter.set_input(q, 0)
        interpreter.invoke()
        ys[i] = (int(interpreter.get_output(0).reshape(-1)[0]) - out_zp) * out_scale
    mae = float(np.mean(np.abs(ys - np.sin(xs[:, 0]))))
    return mae, {"input": (in_scale, in_zp), "output": (out_scale, out_zp)}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep the converter's C++ log chatter out of the report
    import tensorflow as tf

    tf.keras.utils.set_random_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    x, y = make_data(args.samples, args.noise, rng)

    start = time.perf_counter()
    model = build_and_train(x, y, args.epochs, args.batch_size)
    train_seconds = time.perf_counter() - start

    xs = eval_grid()
    float_mae = float(np.mean(np.abs(model.predict(xs, verbose=0)[:, 0] - np.sin(xs[:, 0]))))
    model_bytes = convert_int8(model, x)
    int8_mae, quant = tflm_mae(model_bytes)

    print(f"trained {args.epochs} epochs on {args.samples} samples in {train_seconds:.1f} s")
    print(f"float MAE vs sin(x): {float_mae:.4f}")
    print(f"int8 MAE vs sin(x) (TFLM): {int8_mae:.4f}")
    for name, (scale, zero_point) in quant.items():
        print(f"{name}: scale={scale:.8f} zero_point={zero_point}")
    if int8_mae > MAE_LIMIT:
        print(f"error: int8 MAE {int8_mae:.4f} is above {MAE_LIMIT}; not writing {args.out}", file=sys.stderr)
        return 1

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(model_bytes)
    print(f"wrote {args.out} ({len(model_bytes)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
