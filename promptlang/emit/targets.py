"""The table of emitters: what `popsc build` writes, target by target."""

from __future__ import annotations

from promptlang import ir
from promptlang.emit import bundle
from promptlang.emit.files import FileSet

# Always written, whatever targets are selected.
ALWAYS = (bundle.emit,)


def emit_all(program: ir.ProgramIR) -> FileSet:
    files = FileSet()
    for emit in ALWAYS:
        emit(program, files)
    return files
