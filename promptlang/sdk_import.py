"""The generated Python SDK of a program, imported from memory, without writing it out.

`popsc test`, `popsc render` and the `ci` target (rendering messages for promptfoo) run
the very code `popsc build` emits, so what they show is what users call, not what a
second interpreter of templates would do.

With the project's cache folder, emitting reuses what `popsc build` (or the last
`popsc test`) generated for unchanged modules, and the generated modules' bytecode is
kept (kind `sdk-code`), so a second run neither regenerates nor recompiles them."""

from __future__ import annotations

import hashlib
import importlib
import importlib.abc
import importlib.util
import marshal
import sys
import typing as t
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

CODE_KIND = "sdk-code"


class MemoryFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports the generated package from a FileSet, so nothing is written to disk."""

    def __init__(self, files: FileSet, package: str):
        self.sources: dict[str, tuple[str, bytes, bool]] = {}
        prefix = "python/"
        for path, content in files.files.items():
            if not path.startswith(prefix + package + "/") or not path.endswith(".py"):
                continue
            parts = path[len(prefix):-len(".py")].split("/")
            is_package = parts[-1] == "__init__"
            name = ".".join(parts[:-1] if is_package else parts)
            self.sources[name] = (path, content, is_package)

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in self.sources:
            return None
        origin, _, is_package = self.sources[fullname]
        return importlib.util.spec_from_loader(fullname, self, origin=f"<popsc>/{origin}",
                                               is_package=is_package)

    def create_module(self, spec):
        return None

    def exec_module(self, module) -> None:
        origin, content, _ = self.sources[module.__name__]
        exec(compile(content, f"<popsc>/{origin}", "exec"), module.__dict__)


@contextmanager
def imported_from(files: FileSet, package: str,
                   finder: MemoryFinder | None = None) -> Iterator[None]:
    """While inside, `import <package>...` loads the generated modules from memory
    (through `finder`, a `MemoryFinder` of `files`, when given: one that caches code)."""
    finder = finder or MemoryFinder(files, package)
    _forget(package)
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)
        _forget(package)


def _forget(package: str) -> None:
    """Drop `package` and its modules from `sys.modules`, so the next import is fresh."""
    for name in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
        del sys.modules[name]


class Sdk:
    """Looks up the generated object of a prompt or model by qualified name."""

    def __init__(self, layout: Layout):
        self.layout = layout

    def obj(self, qname: str) -> object:
        module = importlib.import_module(self.layout.dotted(self.layout.module_of[qname]))
        return getattr(module, self.layout.name_of[qname])

    def router(self) -> t.Any:
        """The package's intent router (`promptlang.runtime.router.Router`); it holds no
        intents when the project declares none."""
        return importlib.import_module(self.layout.package).router


class _CachedFinder(MemoryFinder):
    """`MemoryFinder` whose compiled modules are kept in the cache, by their text."""

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
           module_keys: dict[str, str] | None = None,
           files: FileSet | None = None) -> Iterator[Sdk]:
    """While inside, the program's SDK is importable and `Sdk` finds its objects.
    `cache_folder` (the project's `.popsc-cache`) and `module_keys` (the driver's
    `_emit_keys` of the checked program) reuse generated code and bytecode; `files`
    that already hold the python target (a build's) are used as they are."""
    package = python.package_name(program)
    cache = Cache(cache_folder)
    if files is None or f"python/{package}/__init__.py" not in files.files:
        files = FileSet()
        emit_cache = EmitCache(cache, module_keys or {}) if cache_folder and module_keys else None
        python.emit(program, files, emit_cache)
    layout = Layout(program, package)
    if cache_folder is None:
        with imported_from(files, package):
            yield Sdk(layout)
        return
    try:
        with imported_from(files, package, _CachedFinder(files, package, cache)):
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
