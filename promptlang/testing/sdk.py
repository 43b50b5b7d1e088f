"""The generated Python SDK of a program, imported from memory.

Tests run the very code `popsc build` emits (as `popsc render` does), so a passing
test says something about what users call, not about a second interpreter."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager

from promptlang import ir
from promptlang.emit import python
from promptlang.emit.files import FileSet
from promptlang.emit.python.layout import Layout
from promptlang.preview import _imported_from


class Sdk:
    """Looks up the generated object of a prompt or model by qualified name."""

    def __init__(self, layout: Layout):
        self.layout = layout

    def obj(self, qname: str) -> object:
        module = importlib.import_module(self.layout.dotted(self.layout.module_of[qname]))
        return getattr(module, self.layout.name_of[qname])


@contextmanager
def loaded(program: ir.ProgramIR) -> Iterator[Sdk]:
    """While inside, the program's SDK is importable and `Sdk` finds its objects."""
    files = FileSet()
    python.emit(program, files)
    package = python.package_name(program)
    layout = Layout(program, package)
    with _imported_from(files, package):
        yield Sdk(layout)
