"""What op implementations share while one model is generated: tensors, the memory plan, and the
declarations they make (kernel headers, constant arrays, parameter structs, scratch buffers)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ..errors import ModelError
from ..model import Operator, Subgraph, Tensor
from . import emit, library
from .library import Ref
from .planner import Plan
from .target import GENERIC, Target

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

    def tensor(self, index: int) -> Tensor:
        return self.sg.tensors[index]

    def offset_name(self, index: int) -> str:
        return f"kOffsetT{index}"

    def scratch_name(self, step: int) -> str:
        return f"kScratchOp{step}"

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


def fail(step: int, op: Operator, reason: str) -> ModelError:
    return ModelError(f"the AOT runtime cannot compile operator {step} ({op.opcode}): {reason}", HINT)
