"""The generated Python SDK of a program, imported from memory.

Tests run the very code `popsc build` emits (as `popsc render` does), so a passing
test says something about what users call, not about a second interpreter.

With the project's cache folder, emitting reuses what `popsc build` (or the last
`popsc test`) generated for unchanged modules, and the generated modules' bytecode is
kept (kind `sdk-code`), so a second run neither regenerates nor recompiles them."""

from __future__ import annotations

import hashlib
import importlib
import marshal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from promptlang import ir
from promptlang.cache import Cache
from promptlang.cache import key
from promptlang.emit import python
from promptlang.emit.cache import EmitCache
from promptlang.emit.files import FileSet
from promptlang.emit.python.layout import Layout
from promptlang.preview import _imported_from
from promptlang.preview import _MemoryFinder

CODE_KIND = "sdk-code"


class Sdk:
    """Looks up the generated object of a prompt or model by qualified name."""

    def __init__(self, layout: Layout):
        self.layout = layout

    def obj(self, qname: str) -> object:
        module = importlib.import_module(self.layout.dotted(self.layout.module_of[qname]))
        return getattr(module, self.layout.name_of[qname])


class _CachedFinder(_MemoryFinder):
    """`_MemoryFinder` whose compiled modules are kept in the cache, by their text."""

    def __init__(self, files: FileSet, package: str, cache: Cache):
        super().__init__(files, package)
        self.cache = cache

    def exec_module(self, module) -> None:
        origin, content, _ = self.sources[module.__name__]
        data = content.encode("utf-8") if isinstance(content, str) else content
        name = key(CODE_KIND, sys.version, origin, hashlib.sha256(data).hexdigest())
        stored = self.cache.get(CODE_KIND, name)
        code = None
        if isinstance(stored, bytes):
            try:
                code = marshal.loads(stored)
            except (EOFError, ValueError, TypeError):
                code = None
        if code is None:
            code = compile(content, f"<popsc>/{origin}", "exec")
            self.cache.put(CODE_KIND, name, marshal.dumps(code))
        exec(code, module.__dict__)


@contextmanager
def loaded(program: ir.ProgramIR, cache_folder: Path | None = None,
           module_keys: dict[str, str] | None = None) -> Iterator[Sdk]:
    """While inside, the program's SDK is importable and `Sdk` finds its objects.
    `cache_folder` (the project's `.popsc-cache`) and `module_keys` (the driver's
    `_emit_keys` of the checked program) reuse generated code and bytecode."""
    files = FileSet()
    cache = Cache(cache_folder)
    emit_cache = EmitCache(cache, module_keys or {}) if cache_folder and module_keys else None
    python.emit(program, files, emit_cache)
    package = python.package_name(program)
    layout = Layout(program, package)
    if cache_folder is None:
        with _imported_from(files, package):
            yield Sdk(layout)
        return
    try:
        with _imported_from(files, package, _CachedFinder(files, package, cache)):
            yield Sdk(layout)
    finally:
        cache.prune((CODE_KIND,))


def cache_of(checked) -> dict:
    """`loaded`'s cache arguments for a `driver.CheckResult` with a program: the
    project's cache folder (none outside a project) and the program's emit keys."""
    from promptlang import driver
    from promptlang import project as proj

    root = checked.project.root
    if root is None or checked.program is None:
        return {}
    return {"cache_folder": root / proj.CACHE_DIR,
            "module_keys": driver._emit_keys(checked.program)}
