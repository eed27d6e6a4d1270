"""ModelInfo + Target -> one dependency-free C++ file implementing ``model_runtime.h``.

First the model's resource variables are resolved (variables.py: which variable each VAR_HANDLE names, what
CALL_ONCE's initialisation subgraphs assign) and what is known at generation time is computed (constant folding,
fold.py). Then four passes over the operators left: analyze every operator (validate, work out shapes and
quantization; every problem is collected, so a refusal names them all), choose each op's implementation for the
target, plan the arena (activations, the chosen implementations' scratch, the variables' storage), then emit:
the kernels the model uses (inlined from ``aot/kernels/``), its constants as aligned flash arrays, each operator's
parameters, a static arena, and an ``Invoke`` that is one straight line of kernel calls. The file is rendered from
``firmware_templates/runtime/model_aot.cc.j2``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from ..errors import ModelError
from ..model import ModelInfo, Operator, Subgraph
from ..resources import templates
from . import emit, library, ops  # noqa: F401  (ops: registers every analyzer and implementation)
from . import variables as resource_variables
from .context import AotUnsupported, Context, Problem, problem
from .fold import Folded, fold_constants
from .planner import plan_memory
from .registry import ANALYZERS, choose
from .target import GENERIC, Target

T = TypeVar("T")
SUPPORTED_OPS: frozenset[str] = frozenset(ANALYZERS) | {"VAR_HANDLE"}  # VAR_HANDLE always folds (variables.py)
#: Ops that write no tensor: they change a resource variable or run an initialisation subgraph.
NO_OUTPUT_OPS = frozenset({"ASSIGN_VARIABLE", "CALL_ONCE"})
#: Code size estimates (Cortex-M, -O2; measured 0.6 KB hello_world to 12.7 KB person_detect on the M4), on top of
#: what each implementation declares per use (Implementation.code_bytes): per kernel header inlined, per op.
CODE_PER_HEADER = 1024
CODE_PER_OP = 100
SOURCE_NAME = "model_aot.cc"
#: Largest tensor the generator accepts; beyond it shapes are corrupt or the model cannot fit any MCU.
MAX_TENSOR_BYTES = 1 << 30


@dataclass(frozen=True)
class OpChoice:
    """Which implementation an operator got, and why it was eligible."""

    step: int
    opcode: str
    implementation: str
    summary: str
    scratch_bytes: int


@dataclass(frozen=True)
class AotResult:
    files: dict[str, str]
    arena_bytes: int
    lower_bound_bytes: int
    scratch_bytes: int = 0  # all ops' scratch buffers together (see Plan.scratch_bytes)
    choices: tuple[OpChoice, ...] = ()
    target: Target = GENERIC
    #: Flash the generated file takes, estimated generously: its constants exactly plus code (see CODE_PER_*).
    flash_bytes: int = 0
    scratch_peak_bytes: int = 0  # the largest scratch buffer of one op
    folded: tuple[tuple[int, str], ...] = ()  # (step, op) of the operators computed at generation time


def unsupported_ops(model: ModelInfo) -> list[str]:
    """Names of the model's ops the AOT runtime has no kernel for (custom ops included). An op the generator
    computes itself (constant folding) needs none."""
    try:
        resources = resource_variables.resolve(model)
    except AotUnsupported:
        return sorted({o.name for o in model.ops if o.custom or o.name not in SUPPORTED_OPS})
    left = fold_constants(model.main, resources.handles.get(0)).subgraph.operators
    return sorted({o.opcode for o in left if o.custom or o.opcode not in SUPPORTED_OPS})


def generate(model: ModelInfo, namespace: str = "model", target: Target = GENERIC) -> AotResult:
    """Compile ``model`` for ``target``, or raise :class:`AotUnsupported` (a ModelError) listing every operator and
    case that cannot be compiled, not just the first.

    ``namespace`` other than ``model`` lets tests link several generated models into one program.
    """
    try:
        resources = resource_variables.resolve(model)
    except AotUnsupported as exc:  # subgraphs it cannot take: name the ops without a kernel in all of them too
        missing = [Problem(-1, name, "no AOT kernel", True) for name in unsupported_ops(model)]
        raise AotUnsupported([*missing, *exc.problems]) from None
    folded = fold_constants(model.main, resources.handles.get(0))
    sg, steps = folded.subgraph, folded.steps
    problems = _validate(sg, steps)
    ctx = Context(sg, target, resources=resources)
    refused = {p.step for p in problems}
    specs = []
    for step, op in zip(steps, sg.operators, strict=True):
        if op.custom or op.opcode not in ANALYZERS:
            problems.append(Problem(step, op.opcode, "no AOT kernel", True))
        elif step not in refused:  # the analyzers rely on what _validate checks
            specs.append(_collect(problems, step, op, ANALYZERS[op.opcode], ctx, step, op))
    if problems:
        raise AotUnsupported(problems, folded.folded)
    impls = [choose(op.opcode, spec, target) for op, spec in zip(sg.operators, specs, strict=True)]
    scratch = {step: impl.scratch(spec) for step, impl, spec in zip(steps, impls, specs, strict=True)}
    ctx.plan = plan_memory(sg, scratch, steps, {v.id: v.nbytes for v in resources.variables if v.nbytes})
    emitted = [
        _collect(problems, step, op, impl.emit, ctx, spec)
        for step, op, spec, impl in zip(steps, sg.operators, specs, impls, strict=True)
    ]
    if problems:
        raise AotUnsupported(problems, folded.folded)
    operators = []
    for index, (step, op, impl, code) in enumerate(zip(steps, sg.operators, impls, emitted, strict=True)):
        lines = [wrapped for line in code for wrapped in emit.wrap_call(line, 108)]
        operators.append(
            {
                "step": step,
                "index": index,
                "opcode": op.opcode,
                "ins": ", ".join(f"t{i}" for i in op.inputs if i >= 0),
                "outs": ", ".join(f"t{i}" for i in op.outputs),
                "implementation": impl.name,
                "lines": lines,
                "output_row": _io_row(ctx, op.outputs[0]) if op.outputs else _NO_OUTPUT_ROW,
            }
        )
    choices = tuple(
        OpChoice(step, op.opcode, impl.name, impl.summary, scratch[step])
        for step, op, impl in zip(steps, sg.operators, impls, strict=True)
    )
    source = _render(model, ctx, operators, namespace, folded)
    plan = ctx.plan
    code = CODE_PER_HEADER * len(ctx.headers) + sum(CODE_PER_OP + impl.code_bytes for impl in impls)
    return AotResult(
        {SOURCE_NAME: source},
        plan.arena_bytes,
        plan.lower_bound_bytes,
        plan.scratch_bytes,
        choices,
        target,
        ctx.constant_bytes + code,
        plan.scratch_peak_bytes,
        folded.folded,
    )


def _collect(problems: list[Problem], step: int, op: Operator, fn: Callable[..., T], *args: object) -> T | None:
    """``fn(*args)``, its ModelError added to ``problems`` (the caller stops after the pass, with all of them).

    The analyzers check what valid models can get wrong; a damaged file can break shapes in ways no converter
    produces. Either way the user gets the op and a clean error, never a traceback."""
    try:
        return fn(*args)
    except (IndexError, ValueError, ZeroDivisionError, OverflowError) as exc:
        problems.append(Problem(step, op.opcode, f"its tensors' shapes or parameters are inconsistent ({exc})"))
    except ModelError as exc:
        problems.append(problem(step, op, exc))
    return None  # the caller raises AotUnsupported before it would use this


#: Ops whose tensors are NHWC images: their analyzers index four dimensions.
_IMAGE_OPS = frozenset({"CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D", "MAX_POOL_2D"})


def _validate(sg: Subgraph, steps: tuple[int, ...]) -> list[Problem]:
    """What every analyzer relies on, checked once for the whole graph, naming the op: each op writes
    something, tensors are neither empty nor absurdly large, quantization scales are positive finite numbers,
    constants hold as many bytes as their shape says, image ops have four dimensions; and the graph's own inputs
    and outputs are tensors the runtime can hand to the app. One problem per operator at most."""
    problems = []
    for step, op in zip(steps, sg.operators, strict=True):
        reason = _invalid(sg, op)
        if reason:
            problems.append(Problem(step, op.opcode, reason))
    for i in (*sg.inputs, *sg.outputs):
        t = sg.tensors[i]
        if t.is_constant or t.dtype not in emit.RUNTIME_TYPES or any(d < 1 for d in t.shape):
            reason = f"model input/output '{t.name}' ({t.dtype}) cannot be an AOT runtime tensor"
            problems.append(Problem(-1, "", reason))
    return problems


def _invalid(sg: Subgraph, op: Operator) -> str:
    """Why ``op`` breaks what the analyzers rely on, or ''."""
    if (not op.outputs and op.opcode not in NO_OUTPUT_OPS) or any(i < 0 for i in op.outputs):
        return "it has no output tensor"
    for i in (*op.inputs, *op.outputs):
        if i < 0:
            continue
        if i >= len(sg.tensors):
            return f"it refers to tensor {i}, which does not exist"
        t = sg.tensors[i]
        if any(d < 1 for d in t.shape):
            return f"tensor '{t.name}' has an empty dimension {list(t.shape)}"
        if t.dtype in emit.CTYPES and t.nbytes > MAX_TENSOR_BYTES:
            return f"tensor '{t.name}' would take {t.nbytes:,} bytes"
        if t.quant is not None and t.dtype != "float32":
            bad = [s for s in t.quant.scales if not (math.isfinite(s) and 0 < s <= 1e30)]
            if bad:
                return f"tensor '{t.name}' has quantization scale {bad[0]} (must be > 0 and finite)"
        held = len(t.data or b"")
        if t.is_constant and t.dtype in emit.CTYPES and held != t.nbytes:
            return f"constant '{t.name}' holds {held} bytes, its shape needs {t.nbytes}"
    if op.opcode in _IMAGE_OPS:
        image = [sg.tensors[i] for i in (op.inputs[:1] + op.outputs[:1]) if i >= 0]
        if any(len(t.shape) != 4 for t in image):
            return "its input and output must be 4-D (NHWC)"
    return ""


def _render(model: ModelInfo, ctx: Context, operators: list[dict], namespace: str, folded: Folded) -> str:
    sg, plan, resources = ctx.sg, ctx.plan, ctx.resources
    assert plan is not None and resources is not None
    system, blocks, kernels = library.amalgamate(ctx.headers)
    offsets = []

    def op_at(position: int) -> str:
        """The model's own number of the operator at ``position`` in the folded graph ("end": after the last)."""
        return str(folded.steps[position]) if position < len(folded.steps) else "end"

    for b in sorted(plan.buffers, key=lambda b: (plan.offsets[b.tensors[0]] if b.tensors else 0, b.tensors)):
        for t in b.tensors:
            tensor = sg.tensors[t]
            shape = "x".join(str(d) for d in tensor.shape) or "scalar"
            offsets.append(
                f"constexpr size_t {ctx.offset_name(t)} = {plan.offsets[t]};  // {emit.sanitize(tensor.name)}: "
                f"{tensor.dtype} [{shape}], "
                + ("state, kept across invocations" if tensor.is_variable else f"ops {op_at(b.first)}..{op_at(b.last)}")
            )
    for step, offset in sorted(plan.scratch_offsets.items()):
        nbytes = next(b.nbytes for b in plan.buffers if b.scratch_for == step)
        offsets.append(
            f"constexpr size_t {ctx.scratch_name(step)} = {offset};  // {nbytes} bytes of op {step}'s scratch"
        )
    for v in resources.variables:
        if v.id in plan.variable_offsets:
            offsets.append(
                f"constexpr size_t {ctx.variable_name(v.id)} = {plan.variable_offsets[v.id]};  // variable "
                f"{emit.sanitize(v.name, 60)}: {v.nbytes} bytes, kept across invocations"
            )
    states = [_state_row(ctx, t) for t in sorted(plan.offsets) if sg.tensors[t].is_variable]
    states += [_variable_row(ctx, v) for v in resources.variables if v.nbytes]
    return (
        templates()
        .get_template("runtime/model_aot.cc.j2")
        .render(
            model_name=emit.sanitize(model.path.name, 80) or "a model",
            sha256=model.sha256,
            ops_summary=", ".join(f"{o.name} x{o.count}" if o.count > 1 else o.name for o in model.ops),
            folded=", ".join(f"{opcode} (op {step})" for step, opcode in folded.folded),
            target=ctx.target.describe(),
            arena_bytes=plan.arena_bytes,
            lower_bound_bytes=plan.lower_bound_bytes,
            scratch_ops=len(plan.scratch_offsets),
            scratch_peak_bytes=plan.scratch_peak_bytes,
            system_includes=sorted({"stddef.h", "stdint.h", *system, *(["string.h"] if states else [])}),
            system_blocks=blocks,
            namespace=namespace,
            kernels=kernels,
            constants=ctx.constant_decls,
            declarations=ctx.declarations,
            arena_size=max(plan.arena_bytes, 16),
            offsets=offsets,
            inputs=[_io_row(ctx, i) for i in sg.inputs],
            outputs=[_io_row(ctx, i) for i in sg.outputs],
            operators=operators,
            states=states,
            flags=ctx.flags,
        )
    )


def _state_row(ctx: Context, i: int) -> str:
    """The ``memset`` that resets variable tensor ``i`` as TFLM's ResetVariableTensors does: an int8 tensor to its
    zero point, any other to 0."""
    t = ctx.tensor(i)
    value = t.quant.zero_point if t.dtype == "int8" and t.quant is not None and t.quant.zero_points else 0
    return f"memset(g_arena + {ctx.offset_name(i)}, {value}, {t.nbytes});  // {emit.sanitize(t.name)}"


def _variable_row(ctx: Context, v: resource_variables.Variable) -> str:
    """The ``memset`` that resets resource variable ``v`` as TFLM's ``MicroResourceVariables::ResetAll`` does."""
    return f"memset(g_arena + {ctx.variable_name(v.id)}, {v.fill}, {v.nbytes});  // {emit.sanitize(v.name, 60)}"


#: The debug hook's view of an operator that writes no tensor (NO_OUTPUT_OPS).
_NO_OUTPUT_ROW = "{0, Type::kInt8, 0, 0.0f, 0}"


def _io_row(ctx: Context, i: int) -> str:
    t = ctx.tensor(i)
    quantized = t.quant is not None and t.dtype != "float32"
    scale = emit.float_literal(t.quant.scale if quantized else 0.0)
    zp = t.quant.zero_point if quantized else 0
    return f"{{{ctx.offset_name(i)}, {emit.RUNTIME_TYPES[t.dtype]}, {t.elements}, {scale}, {zp}}}"
