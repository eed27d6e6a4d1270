"""One emitter per supported op: checks what the op needs, declares its parameters, returns its call.

Every emitter computes at generation time what TFLM computes in ``Prepare`` (multipliers, padding,
activation bounds) and leaves only the loop work for the device.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..model import Operator, Tensor
from . import emit, quant
from .context import Context, fail

Emitter = Callable[[Context, int, Operator], list[str]]
EMITTERS: dict[str, Emitter] = {}


def _emitter(*names: str):
    def register(fn: Emitter) -> Emitter:
        for n in names:
            EMITTERS[n] = fn
        return fn

    return register


# ---------------------------------------------------------------------------------------------------
# shared checks


def _io(ctx: Context, step: int, op: Operator, n_in: int) -> tuple[list[Tensor], Tensor]:
    ins = [ctx.tensor(i) if i >= 0 else None for i in op.inputs]
    if len([t for t in ins[:n_in] if t is not None]) < n_in or len(op.outputs) != 1:
        raise fail(step, op, f"expected {n_in} input(s) and one output")
    return ins, ctx.tensor(op.outputs[0])


def _dtype(step: int, op: Operator, t: Tensor, *allowed: str) -> str:
    if t.dtype not in allowed:
        raise fail(step, op, f"tensor '{t.name}' has type {t.dtype} (supported: {', '.join(allowed)})")
    if t.dtype in ("int8", "uint8", "int16") and t.quant is None:
        raise fail(step, op, f"tensor '{t.name}' is {t.dtype} without quantization parameters")
    return t.dtype


def _activation(step: int, op: Operator) -> int:
    act = int(op.options.get("fused_activation_function", 0))
    if act not in quant.SUPPORTED_ACTIVATIONS:
        raise fail(step, op, f"fused activation {act} is not supported (NONE, RELU, RELU6, RELU_N1_TO_1 are)")
    return act


def _const_ints(ctx: Context, step: int, op: Operator, index: int, what: str) -> list[int]:
    if index < 0 or not ctx.tensor(index).is_constant:
        raise fail(step, op, f"{what} must be a constant tensor")
    t = ctx.tensor(index)
    if t.dtype not in ("int32", "int64"):
        raise fail(step, op, f"{what} has type {t.dtype}, expected int32")
    return [int(v) for v in np.frombuffer(t.data or b"", dtype=np.int32 if t.dtype == "int32" else np.int64)]


def _op_name(step: int) -> str:
    return f"kOp{step}"


def _float_range(act: int) -> str:
    lo, hi = quant.activation_range_float(act)
    return f"{emit.float_literal(lo)}, {emit.float_literal(hi)}"


def _multiplier_arrays(ctx: Context, step: int, ms: list[quant.Multiplier]) -> tuple[str, str]:
    name = _op_name(step)
    ctx.declare(emit.array("int32_t", f"{name}Multiplier", [m.value for m in ms], 8))
    ctx.declare(emit.array("int32_t", f"{name}Shift", [m.shift for m in ms], 16))
    return f"{name}Multiplier", f"{name}Shift"


def _count(t: Tensor) -> int:
    return t.elements


# ---------------------------------------------------------------------------------------------------
# FULLY_CONNECTED


@_emitter("FULLY_CONNECTED")
def fully_connected(ctx: Context, step: int, op: Operator) -> list[str]:
    ins, out = _io(ctx, step, op, 2)
    inp, weights = ins[0], ins[1]
    bias_index = op.inputs[2] if len(op.inputs) > 2 else -1
    act = _activation(step, op)
    kind = _dtype(step, op, inp, "float32", "int8")
    _dtype(step, op, weights, kind)
    _dtype(step, op, out, kind)
    if len(weights.shape) != 2:
        raise fail(step, op, "weights must be 2-D")
    depth, out_depth = weights.shape[1], weights.shape[0]
    if inp.elements % depth or out.shape[-1] != out_depth:
        raise fail(step, op, "input, weights and output shapes do not agree")
    batches = out.elements // out_depth
    name = _op_name(step)
    args = f"{ctx.pointer(op.inputs[0], True)}, {ctx.pointer(op.inputs[1], True)}, {ctx.pointer(bias_index, True)}"
    if kind == "float32":
        if bias_index >= 0:
            _dtype(step, op, ctx.tensor(bias_index), "float32")
        ctx.kernels.add("fully_connected_float")
        ctx.declare(
            f"const FullyConnectedFloatParams {name} = {{{batches}, {depth}, {out_depth}, {_float_range(act)}}};"
        )
        return [f"FullyConnectedFloat({name}, {args}, {ctx.pointer(op.outputs[0])});"]
    if bias_index >= 0:
        _dtype(step, op, ctx.tensor(bias_index), "int32")
    ms = quant.fully_connected_multipliers(inp.quant.scale, weights.quant.scales, out.quant.scale)
    mult, shift = _multiplier_arrays(ctx, step, ms)
    lo, hi = quant.activation_range_int8(act, out.quant.scale, out.quant.zero_point)
    per_channel = "true" if len(ms) > 1 else "false"
    ctx.kernels.add("fully_connected_int8")
    ctx.declare(
        f"const FullyConnectedInt8Params {name} = {{\n"
        f"    {batches}, {depth}, {out_depth},\n"
        f"    /*input_offset=*/{-inp.quant.zero_point}, /*filter_offset=*/{-weights.quant.zero_point}, "
        f"/*output_offset=*/{out.quant.zero_point},\n"
        f"    /*activation=*/{lo}, {hi}, /*per_channel=*/{per_channel}, {mult}, {shift}}};"
    )
    return [f"FullyConnectedInt8({name}, {args}, {ctx.pointer(op.outputs[0])});"]


# ---------------------------------------------------------------------------------------------------
# CONV_2D, DEPTHWISE_CONV_2D, pooling


def _padding(padding: int, in_size: int, filter_size: int, stride: int, dilation: int) -> tuple[int, int]:
    """(output size, leading padding) as TFLite computes them: SAME = 0, VALID = 1."""
    effective = (filter_size - 1) * dilation + 1
    out = (in_size + stride - 1) // stride if padding == 0 else (in_size - effective + stride) // stride
    total = (out - 1) * stride + effective - in_size
    return out, max(total // 2, 0)


def _window(ctx: Context, step: int, op: Operator, inp: Tensor, out: Tensor, fh: int, fw: int) -> str:
    if len(inp.shape) != 4 or len(out.shape) != 4:
        raise fail(step, op, "input and output must be 4-D (NHWC)")
    o = op.options
    sh, sw = int(o.get("stride_h", 1)), int(o.get("stride_w", 1))
    dh, dw = int(o.get("dilation_hfactor", 1) or 1), int(o.get("dilation_wfactor", 1) or 1)
    pad = int(o.get("padding", 0))
    oh, ph = _padding(pad, inp.shape[1], fh, sh, dh)
    ow, pw = _padding(pad, inp.shape[2], fw, sw, dw)
    if (oh, ow) != tuple(out.shape[1:3]) or inp.shape[0] != out.shape[0]:
        raise fail(step, op, f"output shape {out.shape} does not match the window arithmetic ({oh}x{ow})")
    name = f"{_op_name(step)}Window"
    n, h, w, c = inp.shape
    ctx.declare(
        f"const Window {name} = {{\n"
        f"    /*batches=*/{n}, /*input=*/{h}, {w}, {c}, /*output=*/{oh}, {ow}, {out.shape[3]},\n"
        f"    /*filter=*/{fh}, {fw}, /*stride=*/{sh}, {sw}, /*dilation=*/{dh}, {dw}, /*padding=*/{ph}, {pw}}};"
    )
    return name


def _requantize(ctx: Context, step: int, inp: Tensor, weights: Tensor, out: Tensor, act: int) -> str:
    channels = out.shape[-1]
    if weights.quant.per_channel and len(weights.quant.scales) != channels:
        raise ValueError("per-channel scale count")
    ms = quant.conv_multipliers(inp.quant.scale, weights.quant.scales, out.quant.scale, channels)
    mult, shift = _multiplier_arrays(ctx, step, ms)
    lo, hi = quant.activation_range_int8(act, out.quant.scale, out.quant.zero_point)
    name = f"{_op_name(step)}Requantize"
    ctx.kernels.add("requantize")
    ctx.declare(
        f"const Requantize {name} = {{/*input_offset=*/{-inp.quant.zero_point}, "
        f"/*output_offset=*/{out.quant.zero_point}, /*activation=*/{lo}, {hi}, {mult}, {shift}}};"
    )
    return name


@_emitter("CONV_2D", "DEPTHWISE_CONV_2D")
def convolution(ctx: Context, step: int, op: Operator) -> list[str]:
    ins, out = _io(ctx, step, op, 2)
    inp, weights = ins[0], ins[1]
    bias_index = op.inputs[2] if len(op.inputs) > 2 else -1
    act = _activation(step, op)
    kind = _dtype(step, op, inp, "float32", "int8")
    _dtype(step, op, weights, kind)
    _dtype(step, op, out, kind)
    if bias_index >= 0:
        _dtype(step, op, ctx.tensor(bias_index), "float32" if kind == "float32" else "int32")
    if len(weights.shape) != 4:
        raise fail(step, op, "filter must be 4-D")
    window = _window(ctx, step, op, inp, out, weights.shape[1], weights.shape[2])
    depthwise = op.opcode == "DEPTHWISE_CONV_2D"
    if depthwise:
        if weights.shape[3] != out.shape[3] or out.shape[3] % inp.shape[3]:
            raise fail(step, op, "filter depth must equal output depth, a multiple of input depth")
        extra = out.shape[3] // inp.shape[3]  # depth multiplier
    else:
        if inp.shape[3] % weights.shape[3] or weights.shape[0] != out.shape[3]:
            raise fail(step, op, "filter shape does not match input/output depth")
        extra = weights.shape[3]  # filter depth (input channels per group)
    kernel = "DepthwiseConv" if depthwise else "Conv"
    tensors = (
        f"{ctx.pointer(op.inputs[0], True)}, {ctx.pointer(op.inputs[1], True)}, {ctx.pointer(bias_index, True)}, "
        f"{ctx.pointer(op.outputs[0])}"
    )
    if kind == "float32":
        ctx.kernels.add("depthwise_float" if depthwise else "conv_float")
        return [f"{kernel}Float({window}, {extra}, {_float_range(act)},", f"    {tensors});"]
    try:
        requant = _requantize(ctx, step, inp, weights, out, act)
    except ValueError:
        raise fail(step, op, "per-channel filter scales do not match the output depth") from None
    ctx.kernels.add("depthwise_int8" if depthwise else "conv_int8")
    return [f"{kernel}Int8({window}, {extra}, {requant},", f"    {tensors});"]


@_emitter("AVERAGE_POOL_2D", "MAX_POOL_2D")
def pooling(ctx: Context, step: int, op: Operator) -> list[str]:
    ins, out = _io(ctx, step, op, 1)
    inp = ins[0]
    act = _activation(step, op)
    kind = _dtype(step, op, inp, "float32", "int8")
    _dtype(step, op, out, kind)
    if inp.shape[-1:] != out.shape[-1:]:
        raise fail(step, op, "pooling keeps the depth")
    fh, fw = int(op.options.get("filter_height", 1)), int(op.options.get("filter_width", 1))
    window = _window(ctx, step, op, inp, out, fh, fw)
    base = "AveragePool" if op.opcode == "AVERAGE_POOL_2D" else "MaxPool"
    snippet = "average_pool" if base == "AveragePool" else "max_pool"
    tensors = f"{ctx.pointer(op.inputs[0], True)}, {ctx.pointer(op.outputs[0])}"
    if kind == "float32":
        ctx.kernels.add(f"{snippet}_float")
        return [f"{base}Float({window}, {_float_range(act)}, {tensors});"]
    if abs(inp.quant.scale - out.quant.scale) > 1e-6 or inp.quant.zero_point != out.quant.zero_point:
        raise fail(step, op, "int8 pooling needs the same input and output quantization (as TFLM)")
    lo, hi = quant.activation_range_int8(act, out.quant.scale, out.quant.zero_point)
    ctx.kernels.add(f"{snippet}_int8")
    return [f"{base}Int8({window}, {lo}, {hi}, {tensors});"]


# ---------------------------------------------------------------------------------------------------
# shape ops


@_emitter("RESHAPE")
def reshape(ctx: Context, step: int, op: Operator) -> list[str]:
    ins, out = _io(ctx, step, op, 1)
    inp = ins[0]
    if inp.dtype != out.dtype or inp.nbytes != out.nbytes:
        raise fail(step, op, "input and output must have the same type and size")
    src, dst = op.inputs[0], op.outputs[0]
    if not inp.is_constant and ctx.plan.offsets.get(src) == ctx.plan.offsets.get(dst):
        return ["// RESHAPE: the output shares the input's bytes; nothing to do."]
    return [f"memcpy({ctx.pointer(dst)}, {ctx.pointer(src, True)}, {inp.nbytes});"]


@_emitter("CONCATENATION")
def concatenation(ctx: Context, step: int, op: Operator) -> list[str]:
    out = ctx.tensor(op.outputs[0])
    ins = [ctx.tensor(i) for i in op.inputs]
    if _activation(step, op) != quant.ACT_NONE:
        raise fail(step, op, "a fused activation is not supported (TFLM requires NONE)")
    rank = len(out.shape)
    axis = int(op.options.get("axis", 0))
    axis = axis + rank if axis < 0 else axis
    for t in ins:
        _dtype(step, op, t, out.dtype)
        if len(t.shape) != rank or t.shape[:axis] != out.shape[:axis] or t.shape[axis + 1 :] != out.shape[axis + 1 :]:
            raise fail(step, op, "input shapes do not match the output")
        if out.dtype == "int8" and (t.quant.scale != out.quant.scale or t.quant.zero_point != out.quant.zero_point):
            raise fail(step, op, "int8 inputs must share the output's quantization (as TFLM requires)")
    _dtype(step, op, out, "float32", "int8")
    outer = int(np.prod(out.shape[:axis], dtype=np.int64))
    item = out.nbytes // max(out.elements, 1)
    runs = [int(np.prod(t.shape[axis:], dtype=np.int64)) * item for t in ins]
    name = _op_name(step)
    ctx.kernels.add("concatenation")
    ctx.declare(emit.array("int32_t", f"{name}RunBytes", runs))
    pointers = ", ".join(f"reinterpret_cast<const uint8_t*>({ctx.pointer(i, True)})" for i in op.inputs)
    return [
        "{",
        f"  const uint8_t* const inputs[] = {{{pointers}}};",
        f"  Concatenate({outer}, {len(ins)}, inputs, {name}RunBytes, "
        f"reinterpret_cast<uint8_t*>({ctx.pointer(op.outputs[0])}));",
        "}",
    ]


def _to_4d(shape: tuple[int, ...]) -> list[int]:
    return [1] * (4 - len(shape)) + list(shape)


@_emitter("PAD")
def pad(ctx: Context, step: int, op: Operator) -> list[str]:
    ins, out = _io(ctx, step, op, 2)
    inp = ins[0]
    kind = _dtype(step, op, inp, "float32", "int8")
    _dtype(step, op, out, kind)
    paddings = _const_ints(ctx, step, op, op.inputs[1], "paddings")
    rank = len(inp.shape)
    if rank > 4 or len(paddings) != 2 * rank:
        raise fail(step, op, "only tensors of up to 4 dimensions can be padded")
    before = [0] * (4 - rank) + paddings[0::2]
    in4, out4 = _to_4d(inp.shape), _to_4d(out.shape)
    if any(i + b + a != o for i, b, a, o in zip(in4, before, [0] * (4 - rank) + paddings[1::2], out4, strict=True)):
        raise fail(step, op, "paddings do not match the output shape")
    name = _op_name(step)
    ctx.kernels.add("pad")
    ctx.declare(f"const Padding4D {name} = {{{emit.braces(in4)}, {emit.braces(out4)}, {emit.braces(before)}}};")
    value = "0.0f" if kind == "float32" else f"static_cast<int8_t>({out.quant.zero_point})"
    return [f"Pad({name}, {value}, {ctx.pointer(op.inputs[0], True)}, {ctx.pointer(op.outputs[0])});"]


@_emitter("MEAN")
def mean(ctx: Context, step: int, op: Operator) -> list[str]:
    ins, out = _io(ctx, step, op, 2)
    inp = ins[0]
    kind = _dtype(step, op, inp, "float32", "int8")
    _dtype(step, op, out, kind)
    rank = len(inp.shape)
    axes = sorted({a + rank if a < 0 else a for a in _const_ints(ctx, step, op, op.inputs[1], "axis")})
    if rank > 4 or any(not 0 <= a < rank for a in axes):
        raise fail(step, op, "only reductions over tensors of up to 4 dimensions are supported")
    strides = [int(np.prod(inp.shape[i + 1 :], dtype=np.int64)) for i in range(rank)]
    kept = [i for i in range(rank) if i not in axes]
    count = int(np.prod([inp.shape[a] for a in axes], dtype=np.int64))

    def slots(dims: list[int]) -> tuple[list[int], list[int]]:
        pad_n = 4 - len(dims)
        return [1] * pad_n + [inp.shape[d] for d in dims], [0] * pad_n + [strides[d] for d in dims]

    outer, outer_stride = slots(kept)
    inner, inner_stride = slots(axes)
    if int(np.prod(outer)) != out.elements:
        raise fail(step, op, "output size does not match the reduction")
    name = _op_name(step)
    ctx.declare(
        f"const Reduction {name}Reduction = {{{emit.braces(outer)}, {emit.braces(outer_stride)}, "
        f"{emit.braces(inner)}, {emit.braces(inner_stride)}}};"
    )
    tensors = f"{ctx.pointer(op.inputs[0], True)}, {ctx.pointer(op.outputs[0])}"
    if kind == "float32":
        ctx.kernels.add("mean_float")
        return [f"MeanFloat({name}Reduction, {count}, {tensors});"]
    m = quant.mean_multiplier(inp.quant.scale, out.quant.scale, count)
    ctx.kernels.add("mean_int8")
    ctx.declare(
        f"const MeanInt8Params {name} = {{/*count=*/{count}, /*zero_points=*/{inp.quant.zero_point}, "
        f"{out.quant.zero_point}, /*multiplier=*/{m.value}, {m.shift}}};"
    )
    return [f"MeanInt8({name}Reduction, {name}, {tensors});"]


# ---------------------------------------------------------------------------------------------------
# elementwise


def _broadcast(ctx: Context, step: int, op: Operator, a: Tensor, b: Tensor, out: Tensor) -> str:
    """``nullptr`` when no broadcast is needed, else the name of a declared Broadcast."""
    if a.shape == b.shape == out.shape or (a.elements == b.elements == out.elements and a.shape == b.shape):
        return "nullptr"
    if max(len(a.shape), len(b.shape), len(out.shape)) > 4:
        raise fail(step, op, "broadcasting over more than 4 dimensions is not supported")
    shape, sa, sb = _to_4d(out.shape), _to_4d(a.shape), _to_4d(b.shape)

    def strides(s: list[int]) -> list[int]:
        row = [int(np.prod(s[i + 1 :], dtype=np.int64)) for i in range(4)]
        return [0 if s[i] == 1 and shape[i] != 1 else row[i] for i in range(4)]

    for s in (sa, sb):
        if any(x not in (1, o) for x, o in zip(s, shape, strict=True)):
            raise fail(step, op, f"shapes {a.shape} and {b.shape} do not broadcast to {out.shape}")
    name = f"{_op_name(step)}Broadcast"
    ctx.kernels.add("broadcast")
    ctx.declare(
        f"const Broadcast {name} = {{{emit.braces(shape)}, {emit.braces(strides(sa))}, {emit.braces(strides(sb))}}};"
    )
    return f"&{name}"


@_emitter("ADD", "MUL")
def binary(ctx: Context, step: int, op: Operator) -> list[str]:
    ins, out = _io(ctx, step, op, 2)
    a, b = ins[0], ins[1]
    act = _activation(step, op)
    kind = _dtype(step, op, a, "float32", "int8")
    _dtype(step, op, b, kind)
    _dtype(step, op, out, kind)
    shape = _broadcast(ctx, step, op, a, b, out)
    base = "Add" if op.opcode == "ADD" else "Mul"
    tensors = f"{ctx.pointer(op.inputs[0], True)}, {ctx.pointer(op.inputs[1], True)}, {ctx.pointer(op.outputs[0])}"
    if kind == "float32":
        ctx.kernels.add(f"{base}Float")
        return [f"{base}Float({_float_range(act)}, {shape}, {out.elements}, {tensors});"]
    lo, hi = quant.activation_range_int8(act, out.quant.scale, out.quant.zero_point)
    name = _op_name(step)
    za, zb, zo = a.quant.zero_point, b.quant.zero_point, out.quant.zero_point
    if base == "Add":
        p = quant.add_params(a.quant.scale, b.quant.scale, out.quant.scale)
        ctx.declare(
            f"const AddInt8Params {name} = {{\n"
            f"    /*offsets=*/{-za}, {-zb}, {zo}, /*left_shift=*/{p.left_shift},\n"
            f"    /*input1=*/{p.input1.value}, {p.input1.shift}, /*input2=*/{p.input2.value}, {p.input2.shift},\n"
            f"    /*output=*/{p.output.value}, {p.output.shift}, /*activation=*/{lo}, {hi}}};"
        )
    else:
        m = quant.quantize_multiplier(quant.f32(a.quant.scale) * quant.f32(b.quant.scale) / quant.f32(out.quant.scale))
        ctx.declare(
            f"const MulInt8Params {name} = {{/*offsets=*/{-za}, {-zb}, {zo}, /*multiplier=*/{m.value}, {m.shift}, "
            f"/*activation=*/{lo}, {hi}}};"
        )
    ctx.kernels.add(f"{base}Int8")
    return [f"{base}Int8({name}, {shape}, {out.elements}, {tensors});"]


def _unary(ctx: Context, step: int, op: Operator) -> tuple[Tensor, Tensor, str, str]:
    ins, out = _io(ctx, step, op, 1)
    inp = ins[0]
    kind = _dtype(step, op, inp, "float32", "int8")
    _dtype(step, op, out, kind)
    if inp.elements != out.elements:
        raise fail(step, op, "input and output sizes differ")
    return inp, out, kind, f"{ctx.pointer(op.inputs[0], True)}, {ctx.pointer(op.outputs[0])}"


@_emitter("RELU", "RELU6")
def relu(ctx: Context, step: int, op: Operator) -> list[str]:
    inp, out, kind, tensors = _unary(ctx, step, op)
    six = op.opcode == "RELU6"
    if kind == "float32":
        ctx.kernels.add("clamp_float")
        hi = "6.0f" if six else emit.float_literal(quant.FLOAT_MAX)
        return [f"ClampFloatArray({out.elements}, 0.0f, {hi}, {tensors});"]
    if six:
        # TFLM's int8 RELU6 clamps in the input's domain and ignores the output quantization.
        zero = inp.quant.zero_point
        six_q = max(-128, min(127, int(quant.round_half_away(np.float32(6.0) / np.float32(inp.quant.scale))) + zero))
        ctx.kernels.add("clamp_int8")
        return [f"ClampInt8({out.elements}, {zero}, {six_q}, {tensors});"]
    m = quant.quantize_multiplier(float(np.float32(inp.quant.scale) / np.float32(out.quant.scale)))
    lo = max(-128, out.quant.zero_point)
    name = _op_name(step)
    ctx.kernels.add("relu_int8")
    ctx.declare(
        f"const ReluInt8Params {name} = {{{out.elements}, /*zero_points=*/{inp.quant.zero_point}, "
        f"{out.quant.zero_point}, /*multiplier=*/{m.value}, {m.shift}, /*activation=*/{lo}, 127}};"
    )
    return [f"ReluInt8({name}, {tensors});"]


@_emitter("LOGISTIC", "TANH")
def sigmoid(ctx: Context, step: int, op: Operator) -> list[str]:
    inp, out, kind, tensors = _unary(ctx, step, op)
    base = "Logistic" if op.opcode == "LOGISTIC" else "Tanh"
    if kind == "float32":
        ctx.kernels.add(f"{base.lower()}_float")
        return [f"{base}Float({out.elements}, {tensors});"]
    p = quant.sigmoid_params(inp.quant.scale, inp.quant.zero_point)
    name = _op_name(step)
    ctx.kernels.add(f"{base.lower()}_int8")
    ctx.declare(
        f"const SigmoidInt8Params {name} = {{{out.elements}, /*zero_point=*/{p.zero_point}, "
        f"/*multiplier=*/{p.multiplier}, {p.left_shift}, /*radius=*/{p.radius}}};"
    )
    return [f"{base}Int8({name}, {tensors});"]


@_emitter("SOFTMAX")
def softmax(ctx: Context, step: int, op: Operator) -> list[str]:
    inp, out, kind, tensors = _unary(ctx, step, op)
    depth = inp.shape[-1] if inp.shape else 1
    rows = inp.elements // max(depth, 1)
    beta = float(op.options.get("beta", 1.0))
    if kind == "float32":
        ctx.kernels.add("softmax_float")
        return [f"SoftmaxFloat({rows}, {depth}, {emit.float_literal(beta)}, {tensors});"]
    if out.quant.zero_point != -128 or abs(out.quant.scale - 1 / 256) > 0.001 / 256:
        raise fail(step, op, "int8 output must have scale 1/256 and zero point -128 (as TFLM requires)")
    p = quant.softmax_params(beta, inp.quant.scale)
    name = _op_name(step)
    ctx.kernels.add("softmax_int8")
    ctx.declare(
        f"const SoftmaxInt8Params {name} = {{{rows}, {depth}, /*input_multiplier=*/{p.multiplier}, "
        f"{p.left_shift}, /*diff_min=*/{p.diff_min}}};"
    )
    return [f"SoftmaxInt8({name}, {tensors});"]


@_emitter("QUANTIZE")
def quantize(ctx: Context, step: int, op: Operator) -> list[str]:
    ins, out = _io(ctx, step, op, 1)
    inp = ins[0]
    kind = _dtype(step, op, inp, "float32", "int8")
    _dtype(step, op, out, "int8")
    if out.quant.per_channel:
        raise fail(step, op, "per-channel output quantization is not supported")
    tensors = f"{ctx.pointer(op.inputs[0], True)}, {ctx.pointer(op.outputs[0])}"
    if kind == "float32":
        ctx.kernels.add("quantize_float_int8")
        scale = emit.float_literal(out.quant.scale)
        return [f"QuantizeFloatToInt8({out.elements}, {scale}, {out.quant.zero_point}, {tensors});"]
    m = quant.quantize_multiplier(quant.f32(inp.quant.scale) / quant.f32(out.quant.scale))
    ctx.kernels.add("requantize_int8")
    return [
        f"RequantizeInt8({out.elements}, {inp.quant.zero_point}, {out.quant.zero_point}, {m.value}, {m.shift}, "
        f"{tensors});"
    ]


@_emitter("DEQUANTIZE")
def dequantize(ctx: Context, step: int, op: Operator) -> list[str]:
    ins, out = _io(ctx, step, op, 1)
    inp = ins[0]
    _dtype(step, op, inp, "int8")
    _dtype(step, op, out, "float32")
    if inp.quant.per_channel:
        raise fail(step, op, "per-channel dequantization is not supported")
    scale, zp = quant.f32(inp.quant.scale), inp.quant.zero_point
    table = [float(np.float32(scale * (q - zp))) for q in range(-128, 128)]
    name = f"{_op_name(step)}Table"
    ctx.kernels.add("dequantize_int8")
    ctx.declare(emit.array("float", name, table, 8))
    return [f"DequantizeInt8({out.elements}, {name}, {ctx.pointer(op.inputs[0], True)}, {ctx.pointer(op.outputs[0])});"]
