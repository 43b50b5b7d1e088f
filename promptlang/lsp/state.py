"""One project as the editor sees it: the modules on disk with the open buffers laid
over them, checked by the driver's own pipeline and per-module cache.

A change re-checks the changed module and the modules that import it (transitively),
in a program holding only them and what they import; their results land in the
driver's per-module cache under the keys a full check uses. The full check that
follows (debounced by the server) then re-checks nothing again: it only adds what
needs the whole program (import cycles, intent collisions, policies, the lock)."""

from __future__ import annotations

import collections
import importlib.resources
import re
from pathlib import Path

from promptlang import driver
from promptlang import project as proj
from promptlang import versions
from promptlang.cache import Cache
from promptlang.diagnostics.model import Diagnostic
from promptlang.diagnostics.sink import Sink
from promptlang.source import SourceFile
from promptlang.syntax import nodes as n


class MemoryCache(Cache):
    """The driver's cache interface kept in memory: the server's edits never touch
    `.popsc-cache/`, and an entry not used by the last full check is dropped."""

    def __init__(self) -> None:
        super().__init__(None)
        self.entries: dict[tuple[str, str], object] = {}
        self.touched: set[tuple[str, str]] = set()

    def get(self, kind: str, name: str):
        value = self.entries.get((kind, name))
        if value is not None:
            self.touched.add((kind, name))
        return value

    def put(self, kind: str, name: str, value) -> None:
        self.entries[(kind, name)] = value
        self.touched.add((kind, name))

    def prune(self, kinds: tuple[str, ...] = ()) -> None:
        self.entries = {k: v for k, v in self.entries.items() if k in self.touched}
        self.touched = set()


ByFile = dict[str, list[Diagnostic]]  # display path -> its diagnostics, sorted


class ProjectState:
    """The sources of one project (or a lone `.pops` file) and what was last found."""

    def __init__(self, target: Path):
        self.target = target  # the project folder, or the lone file
        self.cache = MemoryCache()
        self.overlays: dict[str, str] = {}  # display path -> text of an open buffer
        self.program = None  # the last full check's program (for navigation)
        self.latest = None  # the last check's program, full or of a change's modules only
        self.sources: dict[str, SourceFile] = {}  # module name -> what the last full check read
        self.globals: ByFile = {}  # whole-program diagnostics of the last full check
        self.dirty: set[str] = set()  # modules changed since the last full check
        self.reload()

    # ---- sources ------------------------------------------------------------------
    @property
    def root(self) -> Path | None:
        return self.project.root

    def reload(self) -> None:
        """Read the project from disk again (a file saved, created or deleted, or
        `pops.toml` changed); open buffers still win over the files."""
        self.load_sink = Sink()
        self.project = proj.load(str(self.target), self.load_sink)
        self.lock_source = versions.read_lock_source(self.project)
        self.stdlib = proj.stdlib_sources()
        self.imports: dict[str, tuple] = {}  # module -> (source, its imports, modules then)
        self.dirty = set(self.current_sources())

    def display_of(self, path: Path) -> str | None:
        """The display path (as in spans) of a file of this project, else None."""
        if self.root is None:
            return path.name if path.resolve() == self.target.resolve() else None
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return None

    def path_of(self, display: str) -> Path | None:
        """The file a display path names; a standard-library module's is inside the
        installed package (so that go to definition can open it)."""
        if display.startswith("<std>/"):
            found = importlib.resources.files("promptlang").joinpath("stdlib", display[len("<std>/"):])
            path = Path(str(found))
            return path if path.is_file() else None
        if self.root is None:
            return self.target
        return self.root / display

    def module_of(self, display: str) -> str:
        return proj.module_name_of(Path(display))

    def set_text(self, display: str, text: str | None) -> str:
        """An open buffer's text (None: closed, the file on disk counts again); returns
        the module name."""
        if text is None:
            self.overlays.pop(display, None)
        else:
            self.overlays[display] = text
        name = self.module_of(display)
        self.dirty.add(name)
        return name

    def current_sources(self) -> dict[str, SourceFile]:
        """Every module of the check: the project's, buffers over files, then `std`."""
        sources = dict(self.project.files)
        for display, text in self.overlays.items():
            name = self.module_of(display)
            if not (name == "std" or name.startswith("std.")):
                sources[name] = SourceFile(display, text, name)
        for name, source in self.stdlib.items():
            sources.setdefault(name, source)
        return sources

    def files(self) -> dict[str, SourceFile]:
        """Display path -> text of everything diagnostics can point into."""
        found = {s.path: s for s in self.current_sources().values()}
        for extra in (self.project.config_source, self.lock_source):
            if extra is not None:
                found[extra.path] = extra
        return found

    # ---- checks ---------------------------------------------------------------------
    def check_all(self) -> ByFile:
        """The whole program, as `popsc check` sees it (plus the open buffers)."""
        sources = self.current_sources()
        with driver._no_cyclic_gc():
            diagnostics, program = driver._check_sources(sources, self.project, self.cache)
            if self.lock_source is not None:
                diagnostics = diagnostics + versions.check_lock(program, self.lock_source, diagnostics)
        per_module = self._module_results(program, program.scopes)
        left = collections.Counter(diagnostics)
        for found in per_module.values():
            left.subtract(found)
        self.globals = _by_file(list(left.elements()) + self.load_sink.sorted())
        self.program, self.latest, self.sources, self.dirty = program, program, sources, set()
        self._remember_imports(program, sources)
        self.cache.prune()
        result = _by_file([d for found in per_module.values() for d in found])
        for file, found in self.globals.items():
            result[file] = sorted(result.get(file, []) + found, key=Diagnostic.sort_key)
        for source in self.files().values():
            result.setdefault(source.path, [])
        return result

    def check_changed(self, name: str) -> ByFile | None:
        """Re-check module `name` and its dependents only; None when a full check is
        needed to say the same (an import of a module that does not exist, whose
        did-you-mean names modules of the whole project)."""
        sources = self.current_sources()
        imports = {m: self._imports_of(m, src, sources, exact=m == name) for m, src in sources.items()}
        if name not in sources or imports[name][1]:
            return None
        graph = {m: found for m, (found, _) in imports.items()}
        affected = _dependents(name, graph)
        with driver._no_cyclic_gc():
            _, program = driver._check_sources({m: sources[m] for m in _closure(affected, graph)},
                                               self.project, self.cache)
        self.latest = program
        results = self._module_results(program, affected)
        by_file: ByFile = {}
        for module, found in results.items():
            file = sources[module].path
            stale = [] if module in self.dirty else self.globals.get(file, [])
            by_file[file] = sorted(found + stale, key=Diagnostic.sort_key)
        return by_file

    def program_for(self, module: str, whole: bool):
        """A program that is up to date for `module` and what it imports (the last
        change's, when it covers it), or, with `whole`, for every module; None when
        a full check is needed first."""
        if self.program is None or (whole and self.dirty):
            return None
        latest = self.latest if self.latest is not None and module in self.latest.scopes else None
        if not self.dirty:
            return self.program
        return latest if latest is not None and self.dirty <= set(latest.scopes) else None

    def _module_results(self, program, modules) -> dict[str, list[Diagnostic]]:
        """Each module's own diagnostics, as the driver cached them for this program."""
        found = {}
        for module in modules:
            entry = self.cache.get("check", program.module_keys.get(module, ""))
            found[module] = list(entry[0]) if entry is not None else []
        return found

    def _imports_of(self, name: str, source: SourceFile, sources, exact: bool) -> tuple[set[str], bool]:
        """What module `name` imports: from its syntax tree (the changed module's, and
        every module's after a full check), else, for a module never parsed yet (the
        first edit in a project), from its import lines: parsing every module there
        would make the first diagnostics wait for the whole project's parse."""
        known = self.imports.get(name)
        if known is not None and known[0] is source and known[2] == len(sources):
            return known[1]
        if exact:
            found = _imports_of(driver._parse(source, Sink(), self.cache), sources)
            self.imports[name] = (source, found, len(sources))
            return found
        return _scan_imports(source.text, sources), False

    def _remember_imports(self, program, sources) -> None:
        for name, scope in program.scopes.items():
            self.imports[name] = (sources[name], _imports_of(scope.ast, sources), len(sources))

def _imports_of(module: n.Module, sources) -> tuple[set[str], bool]:
    """The modules `module` imports, and whether any of them does not exist."""
    found, missing = set(), False
    for decl in module.decls:
        if isinstance(decl, (n.Import, n.FromImport)):
            if decl.path.text in sources:
                found.add(decl.path.text)
            else:
                missing = True
    return found, missing


_IMPORT_LINE = re.compile(r"^[ \t]*(?:import|from)[ \t]+([A-Za-z_][\w.]*)", re.MULTILINE)


def _scan_imports(text: str, sources) -> set[str]:
    """The modules named on `import` / `from` lines. A message line starting with
    "from" can only add a module to re-check, never leave one out."""
    return {m for m in _IMPORT_LINE.findall(text) if m in sources}


def _dependents(name: str, imports: dict[str, set[str]]) -> set[str]:
    """`name` and every module importing it, directly or not."""
    importers = collections.defaultdict(set)
    for module, targets in imports.items():
        for target in targets:
            importers[target].add(module)
    seen, stack = {name}, [name]
    while stack:
        for module in importers[stack.pop()]:
            if module not in seen:
                seen.add(module)
                stack.append(module)
    return seen


def _closure(modules: set[str], imports: dict[str, set[str]]) -> set[str]:
    """`modules` and everything they import, transitively."""
    seen, stack = set(modules), list(modules)
    while stack:
        for target in imports.get(stack.pop(), ()):
            if target not in seen:
                seen.add(target)
                stack.append(target)
    return seen


def _by_file(diagnostics) -> ByFile:
    result: ByFile = {}
    for diagnostic in sorted(diagnostics, key=Diagnostic.sort_key):
        result.setdefault(diagnostic.span.file, []).append(diagnostic)
    return result
