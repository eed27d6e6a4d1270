"""Which runtime runs a model: the one rule behind ``--runtime auto``, shared by `inspect` and `build`.

``auto`` picks the AOT runtime exactly when its generator compiles the model — not when the op names merely
look supported (a one-op int16 RELU model has a supported op name and an unsupported dtype) — and TFLM
otherwise. Deciding by running the generator once means the answer and the generated code cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

from .boards import Board
from .errors import ModelError, TinyflashError
from .model import ModelInfo

RUNTIMES = ("tflm", "aot")


@dataclass(frozen=True)
class AotSupport:
    """What the AOT runtime makes of a model: its generated code, or why it cannot take it."""

    supported: bool
    reason: str = ""
    unsupported_ops: tuple[str, ...] = ()  # ops with no AOT kernel at all
    #: Every problem found, not just the first: (operator's index in the graph or -1 for the model, op, reason).
    problems: tuple[tuple[int, str, str], ...] = ()
    files: dict[str, str] | None = None
    arena_bytes: int = 0
    lower_bound_bytes: int = 0
    #: The op implementations' scratch buffers, placed in the arena with the activations: all of them together,
    #: and the largest (what scratch can add to the arena at most).
    scratch_bytes: int = 0
    scratch_peak_bytes: int = 0
    #: Flash of the generated code and constants, as the generator estimates it for the target.
    flash_bytes: int = 0
    #: The target the kernels were chosen for (the board's features, generic without a board) and each op's choice.
    target: str = ""
    implementations: tuple[tuple[int, str, str], ...] = ()  # (step, op, implementation)
    folded: tuple[tuple[int, str], ...] = ()  # (step, op) of the operators computed at generation time


def aot_support(model: ModelInfo, board: Board | None = None) -> AotSupport:
    """Generate the model for ``board``'s target features (the portable reference kernels without a board)."""
    try:
        from .aot import GENERIC, AotUnsupported, generate, target_of
    except ImportError:  # the generator is part of the package; a broken install must not look like "no support"
        raise TinyflashError("tinyflash's AOT generator is missing", "reinstall tinyflash") from None
    target = target_of(board) if board is not None else GENERIC
    try:
        result = generate(model, target=target)
    except AotUnsupported as exc:  # ops without a kernel, cases the kernels refuse (dtype, rank, subgraphs)
        missing = tuple(sorted({p.opcode for p in exc.problems if p.missing}))
        problems = tuple((p.step, p.opcode, p.reason) for p in exc.problems)
        return AotSupport(False, exc.message, missing, problems, target=target.describe(), folded=exc.folded)
    except ModelError as exc:
        return AotSupport(False, exc.message, target=target.describe())
    return AotSupport(
        True,
        files=result.files,
        arena_bytes=result.arena_bytes,
        lower_bound_bytes=result.lower_bound_bytes,
        scratch_bytes=result.scratch_bytes,
        scratch_peak_bytes=result.scratch_peak_bytes,
        flash_bytes=result.flash_bytes,
        target=target.describe(),
        implementations=tuple((c.step, c.opcode, c.implementation) for c in result.choices),
        folded=result.folded,
    )


def choose_runtime(requested: str, aot: AotSupport) -> str:
    """``tflm``, ``aot`` or ``auto`` → the runtime to use; asking for AOT where it cannot run is an error."""
    if requested not in (*RUNTIMES, "auto"):
        raise TinyflashError(f"unknown runtime '{requested}'", "choose tflm, aot or auto")
    if requested == "auto":
        return "aot" if aot.supported else "tflm"
    if requested == "aot" and not aot.supported:
        raise ModelError(aot.reason, "use --runtime tflm (or auto)")
    return requested
