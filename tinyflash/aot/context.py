"""What op emitters share while one model is generated: tensors, the memory plan, declarations."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import ModelError
from ..model import Operator, Subgraph, Tensor
from . import emit
from .planner import Plan

HINT = "use --runtime tflm, which supports every op TFLM has a kernel for"


@dataclass
class Context:
    sg: Subgraph
    plan: Plan
    kernels: set[str] = field(default_factory=set)
    declarations: list[str] = field(default_factory=list)
    constants: dict[int, str] = field(default_factory=dict)
    constant_decls: list[str] = field(default_factory=list)

    def tensor(self, index: int) -> Tensor:
        return self.sg.tensors[index]

    def offset_name(self, index: int) -> str:
        return f"kOffsetT{index}"

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

    def constant(self, index: int) -> str:
        """Name of the flash array holding constant tensor ``index`` (declared on first use)."""
        if index not in self.constants:
            t = self.tensor(index)
            name = f"kT{index}_{emit.sanitize(t.name, 24)}".rstrip("_")
            self.constants[index] = name
            values = emit.tensor_values(t.data or b"", t.dtype)
            per_line = 8 if t.dtype == "float32" else 16
            shape = "x".join(str(d) for d in t.shape) or "scalar"
            self.constant_decls.append(
                f"// {t.dtype} [{shape}]\n" + emit.array(emit.CTYPES[t.dtype], name, values, per_line, align=True)
            )
        return self.constants[index]

    def declare(self, text: str) -> None:
        self.declarations.append(text)


def fail(step: int, op: Operator, reason: str) -> ModelError:
    return ModelError(f"the AOT runtime cannot compile operator {step} ({op.opcode}): {reason}", HINT)
