"""Seeded random small graphs of supported ops, for the fuzz-style AOT test."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from cases import lstm_layer
from modelbuilder import NONE, RELU, RELU6, RELU_N1_TO_1, SAME, VALID, GraphBuilder, options

from tinyflash.model import ModelInfo

ACTS = (NONE, RELU, RELU6, RELU_N1_TO_1)


@dataclass
class Value:
    index: int
    shape: tuple[int, ...]
    quant: tuple  # (dtype, scale, zero_point)


#: The ops each graph type draws from (16x8 graphs: what TFLM takes in int16, zero points 0).
KINDS = {
    "float32": ("conv", "dw", "pool", "binary", "unary", "concat", "pad", "move", "resize", "tconv", "matmul"),
    "int8": ("conv", "dw", "pool", "binary", "unary", "concat", "pad", "move", "resize", "tconv", "matmul"),
    "int16": ("conv", "dw", "pool", "binary", "concat", "pad", "move", "resize"),
}
BINARY = {
    "float32": ("ADD", "SUB", "MUL", "MAXIMUM", "MINIMUM", "SQUARED_DIFFERENCE", "PRELU"),
    "int8": ("ADD", "SUB", "MUL", "MAXIMUM", "MINIMUM", "SQUARED_DIFFERENCE", "PRELU"),
    "int16": ("ADD", "SUB", "MUL", "MAXIMUM", "MINIMUM"),
}
TAILS = {
    "float32": ("mean", "fc_softmax", "svdf", "lstm", "none"),
    "int8": ("mean", "fc_softmax", "svdf", "lstm", "none"),
}
TAILS["int16"] = ("fc", "lstm", "none")


def _q(rng: np.random.Generator, kind: str) -> tuple:
    if kind == "float32":
        return ("float32", None, 0)
    if kind == "int16":
        return ("int16", float(rng.uniform(0.0002, 0.002)), 0)
    return ("int8", float(rng.uniform(0.02, 0.25)), int(rng.integers(-30, 30)))


def _bias(g: GraphBuilder, kind: str, n: int, scales) -> int:
    """A bias for ``n`` channels: float32, int32 (int8 graphs) or int64 (16x8) at the input x weights scale."""
    if kind == "float32":
        return g.weights((n,))
    if kind == "int16":
        values = g.rng.integers(-(2**20), 2**20, n).astype(np.int64)
        return g.tensor((n,), "int64", np.broadcast_to(scales, (n,)), 0, values)
    return g.weights((n,), "int32", scales)


def _window_out(size: int, k: int, stride: int, dilation: int, padding: int) -> int:
    eff = (k - 1) * dilation + 1
    return -(-size // stride) if padding == SAME else (size - eff + stride) // stride


def _move(g: GraphBuilder, rng: np.random.Generator, cur: Value) -> tuple[tuple[int, ...], int]:
    """TRANSPOSE of height and width, or a STRIDED_SLICE of them with random starts and strides (reversed too)."""
    n, h, w, c = cur.shape
    if rng.random() < 0.4:
        y = g.tensor((n, w, h, c), *cur.quant)
        g.op("TRANSPOSE", [cur.index, g.const([0, 2, 1, 3])], [y], options("TransposeOptions"))
        return (n, w, h, c), y
    begin, strides, sizes = [0, 0, 0, 0], [1, 1, 1, 1], [n, h, w, c]
    for axis in (1, 2):
        size = cur.shape[axis]
        strides[axis] = int(rng.choice([1, 2, -1, -2]))
        begin[axis] = int(rng.integers(0, size))
        stop = size if strides[axis] > 0 else -1
        sizes[axis] = len(range(begin[axis], stop, strides[axis]))
    y = g.tensor(tuple(sizes), *cur.quant)
    ends = g.const([0, 0, 0, 0])  # every end comes from end_mask
    g.op("STRIDED_SLICE", [cur.index, g.const(begin), ends, g.const(strides)], [y],
         options("StridedSliceOptions", begin_mask=0b1001, end_mask=0b1111))  # fmt: skip
    return tuple(sizes), y


def _resize(g: GraphBuilder, rng: np.random.Generator, cur: Value, dtype: str) -> tuple[tuple[int, ...], int]:
    """RESIZE_NEAREST_NEIGHBOR (any type) or RESIZE_BILINEAR (float32, int8) to a random size, random flags."""
    n, _, _, c = cur.shape
    size = [int(rng.integers(2, 10)), int(rng.integers(2, 10))]
    nearest = dtype == "int16" or rng.random() < 0.5
    opcode, table = ("RESIZE_NEAREST_NEIGHBOR", "ResizeNearestNeighborOptions") if nearest else (
        "RESIZE_BILINEAR", "ResizeBilinearOptions")  # fmt: skip
    align, half = [(False, False), (True, False), (False, True)][int(rng.integers(0, 3))]
    y = g.tensor((n, *size, c), *cur.quant)
    g.op(opcode, [cur.index, g.const(size)], [y], options(table, align_corners=align, half_pixel_centers=half))
    return (n, *size, c), y


def _transpose_conv(g: GraphBuilder, rng: np.random.Generator, cur: Value, dtype: str, act: int):
    """TRANSPOSE_CONV, SAME, stride 1 or 2, a filter as large as the stride or up to 2 more, per-channel int8."""
    n, h, w, c = cur.shape
    s, oc = int(rng.integers(1, 3)), int(rng.integers(1, 5))
    k = s + int(rng.integers(0, 3))
    oq = _q(rng, dtype)
    ws = rng.uniform(0.002, 0.03, oc)
    wt = g.weights((oc, k, k, c), *(("int8", ws) if dtype == "int8" else ()))
    b = _bias(g, dtype, oc, None if dtype == "float32" else cur.quant[1] * ws)
    out = (n, h * s, w * s, oc)
    y = g.tensor(out, *oq)
    opts = options("TransposeConvOptions", padding=SAME, stride_h=s, stride_w=s, fused_activation_function=act)
    g.op("TRANSPOSE_CONV", [g.const(list(out)), wt, cur.index, b], [y], opts)
    return out, y, oq


def random_graph(seed: int, dtype: str) -> ModelInfo:
    """A random chain of ``dtype`` ops ("float32", "int8", or "int16": 16x8 with int8 weights, int64 biases)."""
    rng = np.random.default_rng(seed)
    g = GraphBuilder(rng)
    int8 = dtype != "float32"  # quantized (int8 or int16)
    shape = (1, int(rng.integers(3, 9)), int(rng.integers(3, 9)), int(rng.integers(1, 5)))
    q = _q(rng, dtype)
    values = [Value(g.input(shape, *q), shape, q)]
    outputs: list[int] = []
    for _ in range(int(rng.integers(2, 6))):
        cur = values[-1]
        kind = rng.choice(KINDS[dtype])
        n, h, w, c = cur.shape
        act = int(rng.choice(ACTS))
        if kind in ("conv", "dw"):
            k = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
            stride = (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
            dil = (int(rng.integers(1, 3)), 1) if stride == (1, 1) else (1, 1)
            pad = int(rng.choice([SAME, VALID]))
            if _window_out(h, k[0], stride[0], dil[0], pad) < 1 or _window_out(w, k[1], stride[1], dil[1], pad) < 1:
                pad = SAME
            oh, ow = _window_out(h, k[0], stride[0], dil[0], pad), _window_out(w, k[1], stride[1], dil[1], pad)
            oc = c * int(rng.integers(1, 3)) if kind == "dw" else int(rng.integers(1, 7))
            fshape = (1, *k, oc) if kind == "dw" else (oc, *k, c)
            oq = _q(rng, dtype)
            if int8:
                per_channel = bool(rng.integers(0, 2))
                ws = rng.uniform(0.002, 0.03, oc) if per_channel else 0.01
                wt = g.weights(fshape, "int8", ws, 3 if kind == "dw" else 0)
                b = _bias(g, dtype, oc, cur.quant[1] * np.asarray(ws))
            else:
                wt, b = g.weights(fshape), g.weights((oc,))
            y = g.tensor((n, oh, ow, oc), *oq)
            fields = dict(
                padding=pad,
                stride_w=stride[1],
                stride_h=stride[0],
                dilation_w_factor=dil[1],
                dilation_h_factor=dil[0],
                fused_activation_function=act,
            )
            if kind == "dw":
                g.op(
                    "DEPTHWISE_CONV_2D",
                    [cur.index, wt, b],
                    [y],
                    options("DepthwiseConv2DOptions", depth_multiplier=oc // c, **fields),
                )
            else:
                g.op("CONV_2D", [cur.index, wt, b], [y], options("Conv2DOptions", **fields))
            values.append(Value(y, (n, oh, ow, oc), oq))
        elif kind == "pool":
            k, s = int(rng.integers(1, 4)), int(rng.integers(1, 3))
            oh, ow = _window_out(h, k, s, 1, SAME), _window_out(w, k, s, 1, SAME)
            y = g.tensor((n, oh, ow, c), *cur.quant)
            opcode = str(rng.choice(["AVERAGE_POOL_2D", "MAX_POOL_2D"]))
            g.op(
                opcode,
                [cur.index],
                [y],
                options(
                    "Pool2DOptions",
                    padding=SAME,
                    stride_w=s,
                    stride_h=s,
                    filter_width=k,
                    filter_height=k,
                    fused_activation_function=act,
                ),
            )
            values.append(Value(y, (n, oh, ow, c), cur.quant))
        elif kind == "binary":
            same = [v for v in values if v.shape == cur.shape]
            other = same[int(rng.integers(0, len(same)))]
            opcode = str(rng.choice(BINARY[dtype]))
            oq = other.quant if dtype == "int16" and opcode in ("MAXIMUM", "MINIMUM") else _q(rng, dtype)
            y = g.tensor(cur.shape, *oq)
            table = {"ADD": "AddOptions", "SUB": "SubOptions", "MUL": "MulOptions"}.get(opcode)
            opts = options(table, fused_activation_function=act) if table else None
            g.op(opcode, [cur.index, other.index], [y], opts)
            values.append(Value(y, cur.shape, oq))
        elif kind == "move":
            out, y = _move(g, rng, cur)
            values.append(Value(y, out, cur.quant))
        elif kind == "resize":
            out, y = _resize(g, rng, cur, dtype)
            values.append(Value(y, out, cur.quant))
        elif kind == "tconv":
            out, y, oq = _transpose_conv(g, rng, cur, dtype, act)
            values.append(Value(y, out, oq))
        elif kind == "matmul":
            depth = int(rng.integers(1, 6))
            rq = ("int8", 0.02, 0) if int8 else ("float32", None, 0)
            data = rng.integers(-127, 128, (c, depth)).astype(np.int8) if int8 else None
            rhs = g.tensor((c, depth), *rq, data=data if int8 else rng.standard_normal((c, depth)).astype(np.float32))
            oq = _q(rng, dtype)
            y = g.tensor((n, h, w, depth), *oq)
            g.op("BATCH_MATMUL", [cur.index, rhs], [y], options("BatchMatMulOptions", adj_x=False, adj_y=False))
            values.append(Value(y, (n, h, w, depth), oq))
        elif kind == "unary":
            unary = ["RELU", "RELU6", "LOGISTIC", "TANH", "ABS", "LEAKY_RELU", "HARD_SWISH"]
            opcode = str(rng.choice(unary if int8 else [*unary, "NEG"]))
            if not int8:
                oq = cur.quant
            elif opcode == "LOGISTIC":
                oq = ("int8", 1 / 256, -128)
            elif opcode == "TANH":
                oq = ("int8", 1 / 128, 0)
            elif opcode == "RELU6":
                oq = cur.quant
            else:
                oq = _q(rng, dtype)
            y = g.tensor(cur.shape, *oq)
            alpha = float(rng.choice([0.1, 0.3, -0.2, 1.5]))
            g.op(opcode, [cur.index], [y], options("LeakyReluOptions", alpha=alpha) if opcode == "LEAKY_RELU" else None)
            values.append(Value(y, cur.shape, oq))
        elif kind == "concat":
            fits = [v for v in values if v.shape[:3] == cur.shape[:3] and v.quant == cur.quant]
            other = fits[int(rng.integers(0, len(fits)))]
            out = (n, h, w, c + other.shape[3])
            y = g.tensor(out, *cur.quant)
            g.op("CONCATENATION", [cur.index, other.index], [y], options("ConcatenationOptions", axis=3))
            values.append(Value(y, out, cur.quant))
        else:
            pads = [[0, 0]] + [[int(rng.integers(0, 3)), int(rng.integers(0, 3))] for _ in range(3)]
            out = tuple(d + a + b for d, (a, b) in zip(cur.shape, pads, strict=True))
            y = g.tensor(out, *cur.quant)
            g.op("PAD", [cur.index, g.const(pads)], [y], options("PadOptions"))
            values.append(Value(y, out, cur.quant))
        if rng.random() < 0.15:
            outputs.append(values[-1].index)
    cur = values[-1]
    tail = rng.choice(TAILS[dtype])
    if tail in ("fc", "svdf"):
        flat = int(np.prod(cur.shape))
        r = g.tensor((1, flat), *cur.quant)
        g.op("RESHAPE", [cur.index, g.const([1, flat])], [r], options("ReshapeOptions"))
        units = int(rng.integers(2, 6))
        oq = _q(rng, dtype)
        f = g.tensor((1, units), *oq)
        if tail == "fc":  # 16x8
            w = g.weights((units, flat), "int8", 0.01)
            g.op("FULLY_CONNECTED", [r, w, _bias(g, dtype, units, cur.quant[1] * 0.01)], [f],
                 options("FullyConnectedOptions", fused_activation_function=int(rng.choice(ACTS))))  # fmt: skip
        else:
            _svdf(g, rng, r, flat, units, f, dtype)
        cur = Value(f, (1, units), oq)
    elif tail == "mean":
        oq = _q(rng, dtype)
        y = g.tensor((1, 1, 1, cur.shape[3]), *oq)
        g.op("MEAN", [cur.index, g.const([1, 2])], [y], options("ReducerOptions", keep_dims=True))
        cur = Value(y, (1, 1, 1, cur.shape[3]), oq)
    elif tail == "fc_softmax":
        flat = int(np.prod(cur.shape))
        r = g.tensor((1, flat), *cur.quant)
        g.op("RESHAPE", [cur.index, g.const([1, flat])], [r], options("ReshapeOptions"))
        units = int(rng.integers(2, 6))
        oq = ("int8", float(rng.uniform(0.05, 0.3)), int(rng.integers(-10, 10))) if int8 else cur.quant
        if int8:
            w = g.weights((units, flat), "int8", 0.01)
            b = g.weights((units,), "int32", cur.quant[1] * 0.01)
        else:
            w, b = g.weights((units, flat)), g.weights((units,))
        f = g.tensor((1, units), *oq)
        g.op("FULLY_CONNECTED", [r, w, b], [f], options("FullyConnectedOptions", fused_activation_function=NONE))
        sq = ("int8", 1 / 256, -128) if int8 else oq
        y = g.tensor((1, units), *sq)
        g.op("SOFTMAX", [f], [y], options("SoftmaxOptions", beta=1.0))
        cur = Value(y, (1, units), sq)
    elif tail == "lstm":
        # The rows as time steps, each row's pixels and channels as one step's features (a spectrogram's layout).
        steps, features = cur.shape[1], cur.shape[2] * cur.shape[3]
        r = g.tensor((1, steps, features), *cur.quant)
        g.op("RESHAPE", [cur.index, g.const([1, steps, features])], [r], options("ReshapeOptions"))
        units = int(rng.integers(2, 7))
        y = lstm_layer(g, r, cur.quant, (1, steps, features), units, dtype, cell_clip=float(rng.choice([0.0, 1.0])))
        return g.model([*outputs, y])
    return g.model([*outputs, cur.index])


def _svdf(g: GraphBuilder, rng: np.random.Generator, x: int, depth: int, units: int, y: int, dtype: str) -> None:
    """SVDF (rank 1 or 2, its state kept over the test's invocations): float32, or int8 with an int16 state."""
    rank, memory = int(rng.integers(1, 3)), int(rng.integers(1, 5))
    filters = units * rank
    if dtype == "float32":
        wf, wt, b, state = g.weights((filters, depth)), g.weights((filters, memory)), g.weights((units,)), g.state(
            (1, memory * filters))  # fmt: skip
    else:
        wf = g.weights((filters, depth), "int8", 0.01)
        time = rng.integers(-32767, 32768, (filters, memory)).astype(np.int16)
        wt = g.tensor((filters, memory), "int16", 1e-4, 0, time)
        b = g.tensor((units,), "int32", 0.004 * 1e-4, 0, rng.integers(-20000, 20000, units).astype(np.int32))
        state = g.state((1, memory * filters), "int16", 0.004, 0)
    act = int(rng.choice((NONE, RELU)))
    g.op("SVDF", [x, wf, wt, b, state], [y], options("SVDFOptions", rank=rank, fused_activation_function=act))
