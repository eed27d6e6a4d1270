"""What op implementations share while one model is generated: tensors, the memory plan, and the
declarations they make (kernel headers, constant arrays, parameter structs, scratch buffers)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..errors import ModelError
from ..model import Operator, Subgraph, Tensor
from . import emit, library
from .library import Ref
from .planner import Plan
from .target import GENERIC, Target

if TYPE_CHECKING:
    from .variables import Resources

HINT = "use --runtime tflm, which supports every op TFLM has a kernel for"
#: A parameter struct in flash, generously (the largest, with a window, is 84 bytes).
PARAMS_BYTES = 96


@dataclass
class Context:
    sg: Subgraph
    target: Target = GENERIC
    plan: Plan | None = None
    headers: set[str] = field(default_factory=set)
    declarations: list[str] = field(default_factory=list)
    constants: dict[int, str] = field(default_factory=dict)
    constant_decls: list[str] = field(default_factory=list)
    #: Bytes of the constant arrays and parameter structs declared so far (they go to flash).
    constant_bytes: int = 0
    #: The model's resource variables (variables.py); None while a subgraph is only folded.
    resources: Resources | None = None
    #: Flags kept across invocations (CALL_ONCE's "has run"), false after Setup().
    flags: list[str] = field(default_factory=list)
    #: Names of the constant arrays every op that needs them shares (shared_array).
    shared: set[str] = field(default_factory=set)

    def tensor(self, index: int) -> Tensor:
        return self.sg.tensors[index]

    def offset_name(self, index: int) -> str:
        return f"kOffsetT{index}"

    def scratch_name(self, step: int) -> str:
        return f"kScratchOp{step}"

    def variable_name(self, variable: int) -> str:
        """The arena offset of resource variable ``variable``'s storage."""
        return f"kOffsetVariable{variable}"

    def flag(self, name: str) -> str:
        """Declare ``bool <name>``, which Setup() sets to false and nothing else resets."""
        self.flags.append(name)
        return name

    def pointer(self, index: int, const: bool = False) -> str:
        """A C++ expression for the data of tensor ``index``: a flash array or an arena location."""
        if index < 0:
            return "nullptr"
        t = self.tensor(index)
        ctype = emit.CTYPES[t.dtype]
        if t.is_constant:
            return self.constant(index)
        qualified = f"const {ctype}" if const else ctype
        return f"ArenaAt<{qualified}>({self.offset_name(index)})"

    def constant(self, index: int) -> Ref:
        """Name of the flash array holding constant tensor ``index`` (declared on first use)."""
        if index not in self.constants:
            t = self.tensor(index)
            name = f"kT{index}_{emit.sanitize(t.name, 24)}".rstrip("_")
            self.constants[index] = name
            values = emit.tensor_values(t.data or b"", t.dtype, t.elements)
            per_line = 8 if t.dtype == "float32" else 16
            self.constant_bytes += t.nbytes
            shape = "x".join(str(d) for d in t.shape) or "scalar"
            self.constant_decls.append(
                f"// {t.dtype} [{shape}]\n" + emit.array(emit.CTYPES[t.dtype], name, values, per_line, align=True)
            )
        return Ref(self.constants[index])

    def use(self, *headers: str) -> None:
        """Kernel headers (relative to aot/kernels/) the generated file must inline."""
        self.headers.update(headers)

    def params(self, struct: str, name: str, values: Mapping[str, object]) -> Ref:
        """Declare ``constexpr <struct> <name>`` with a named initializer; its fields come from the header."""
        self.declarations.append(f"constexpr {struct} {name} = {library.initializer(struct, values)};")
        self.constant_bytes += PARAMS_BYTES
        return Ref(name)

    def array(self, ctype: str, name: str, values, per_line: int = 16, align: bool = False) -> Ref:
        """Declare a constant array computed at generation time (flash)."""
        values = [int(v) for v in values] if ctype != "float" else [float(v) for v in values]
        self.constant_bytes += len(values) * emit.SIZES[ctype]
        self.declarations.append(emit.array(ctype, name, values, per_line, align=align, qualifier="constexpr"))
        return Ref(name)

    def shared_array(self, ctype: str, name: str, values) -> Ref:
        """A constant array that depends on nothing in the model (a fixed table): declared once, whatever number of
        ops use it."""
        if name not in self.shared:
            self.shared.add(name)
            self.array(ctype, name, values)
        return Ref(name)


@dataclass(frozen=True)
class Problem:
    """One reason the AOT runtime cannot take a model: an operator it has no kernel for, or a case of one it
    refuses (a dtype, a shape, a parameter), or something about the model as a whole."""

    step: int  # the operator's index in the model's graph; -1: the model as a whole
    opcode: str
    reason: str
    missing: bool = False  # the op has no AOT kernel at all

    def __str__(self) -> str:
        return f"operator {self.step} ({self.opcode}): {self.reason}" if self.step >= 0 else self.reason


class OperatorError(ModelError):
    """What :func:`fail` raises: one operator's problem, kept apart from its message for the full list."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(f"the AOT runtime cannot compile {problem}", HINT)
        self.problem = problem


class AotUnsupported(ModelError):
    """Every problem the generator found in a model (all of them, not the first), so `inspect` can list them."""

    def __init__(self, problems: list[Problem], folded: tuple[tuple[int, str], ...] = ()) -> None:
        problems = sorted(problems, key=lambda p: (p.step < 0, p.step))  # operators first, in graph order
        missing = sorted({p.opcode for p in problems if p.missing})
        refused = [str(p) for p in problems if not p.missing and p.step >= 0]
        parts = [f"has no kernel for {', '.join(missing)}"] if missing else []
        if refused:
            parts.append("cannot compile " + "; ".join(refused))
        whole = [p.reason for p in problems if not p.missing and p.step < 0]
        message = "the AOT runtime " + "; it ".join(parts) if parts else "the AOT runtime cannot take this model"
        super().__init__("; ".join([message, *whole]) if parts else f"{message}: {'; '.join(whole)}", HINT)
        self.problems = tuple(problems)
        self.folded = folded  # (step, op) of the operators the generator computed (see fold.py)


def fail(step: int, op: Operator, reason: str) -> OperatorError:
    return OperatorError(Problem(step, op.opcode, reason))


def problem(step: int, op: Operator, error: ModelError) -> Problem:
    """The problem an operator's analyzer or emitter raised, as one entry of the list."""
    if isinstance(error, OperatorError):
        return error.problem
    return Problem(step, op.opcode, error.message)
