"""The table of emitters: what `popsc build` writes, target by target."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable

from promptlang import ir
from promptlang.emit import bundle
from promptlang.emit import ci
from promptlang.emit import docs
from promptlang.emit import kubernetes
from promptlang.emit import monitoring
from promptlang.emit import python
from promptlang.emit import terraform
from promptlang.emit.cache import no_cache
from promptlang.emit.cache import EmitCache
from promptlang.emit.files import FileSet

Emitter = Callable[[ir.ProgramIR, FileSet, EmitCache], None]

# Always written, whatever targets are selected.
ALWAYS: tuple[Emitter, ...] = (bundle.emit,)

# Each target and its emitter; a target `pops.toml` may name that this version of popsc
# does not build yet maps to None (it is skipped with a notice, not an error, so that
# projects can list the targets they will want).
TARGETS: dict[str, Emitter | None] = {
    "python": python.emit,
    "ci": ci.emit,
    "kubernetes": kubernetes.emit,
    "terraform": terraform.emit,
    "monitoring": monitoring.emit,
    "docs": docs.emit,
}


def available() -> list[str]:
    """The targets this version builds."""
    return [name for name, emit in TARGETS.items() if emit is not None]


def emit_all(program: ir.ProgramIR, targets: Iterable[str],
             cache: EmitCache | None = None) -> FileSet:
    """Every file of the always-written artifacts and of the targets named."""
    files = FileSet()
    cache = cache or no_cache()
    for emit in ALWAYS:
        emit(program, files, cache)
    for name in targets:
        emit = TARGETS.get(name)
        if emit is not None:
            emit(program, files, cache)
    return files
