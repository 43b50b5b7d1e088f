"""The pipeline: load -> parse -> resolve -> check, each module cached by content hash.

    sources --syntax.parse--> ast.Module --resolve--> Program --checks--> diagnostics

Nothing here prints; the CLI renders what `check` returns."""

from __future__ import annotations

import contextlib
import hashlib
import gc
from pathlib import Path

import attrs

from promptlang import MATCHERS
from promptlang import project as proj
from promptlang import versions
from promptlang.cache import Cache
from promptlang.emit.cache import EmitCache
from promptlang.cache import key
from promptlang.diagnostics.model import Diagnostic
from promptlang.diagnostics.sink import Sink
from promptlang.source import SourceFile


@attrs.define
class CheckResult:
    """Diagnostics of one check, the sources they point into, and the checked program
    (None when every result came from the cache)."""

    diagnostics: list[Diagnostic]
    sources: dict[str, SourceFile]
    project: proj.Project
    program: object = None
    run_key: str = ""  # identifies the sources and settings checked

    @property
    def has_errors(self) -> bool:
        return any(d.is_error for d in self.diagnostics)


def check(path: str | None, *, use_cache: bool = True, need_program: bool = False) -> CheckResult:
    """Check the project or file PATH names (raises `project.UsageError` if none).
    `need_program` skips the whole-run cache, whose answer has no program to lower."""
    load_sink = Sink()
    project = proj.load(path, load_sink)
    sources = dict(project.files)
    for name, source in proj.stdlib_sources().items():
        sources.setdefault(name, source)
    by_path = {s.path: s for s in sources.values()}
    if project.config_source is not None:
        by_path[project.config_source.path] = project.config_source
    lock_source = versions.read_lock_source(project)  # checked against when present
    if lock_source is not None:
        by_path[lock_source.path] = lock_source
    folder = project.root / proj.CACHE_DIR if (use_cache and project.root) else None
    cache = Cache(folder)
    run_key = _run_key(sources, project, lock_source)
    cached = None if need_program else cache.get("run", run_key)
    if cached is not None and _unchanged(cached[1]):
        return CheckResult(sorted(load_sink.sorted() + cached[0], key=Diagnostic.sort_key), by_path,
                           project, run_key=run_key)
    with _no_cyclic_gc():
        diagnostics, program = _check_sources(sources, project, cache)
        if lock_source is not None:
            lock_diagnostics = versions.check_lock(program, lock_source, diagnostics)
            diagnostics = sorted(diagnostics + lock_diagnostics, key=Diagnostic.sort_key)
    read = set().union(*program.files_read.values()) if program.files_read else set()
    cache.put("run", run_key, (diagnostics, _digests(read)))
    cache.prune(CHECK_KINDS)
    return CheckResult(sorted(load_sink.sorted() + diagnostics, key=Diagnostic.sort_key),
                       by_path, project, program, run_key)


CHECK_KINDS = ("run", "check", "ast")  # the cache folders a check owns (and prunes)


@contextlib.contextmanager
def _no_cyclic_gc():
    """A check allocates many small objects and frees nothing until it ends; the cyclic
    collector walking them all, again and again, cost a tenth of a cold check."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _run_key(sources: dict[str, SourceFile], project: proj.Project,
             lock_source: SourceFile | None = None) -> str:
    parts = [f"{name}\0{src.path}\0{src.digest}" for name, src in sorted(sources.items())]
    parts.append(project.config_source.text if project.config_source else "")
    parts.append(lock_source.text if lock_source is not None else "\0no lock")
    parts.append(repr(sorted(project.real_paths.items())))
    return key(*parts)


def _check_sources(sources: dict[str, SourceFile], project: proj.Project, cache: Cache):
    from promptlang.checks import check_module
    from promptlang.checks import check_program
    from promptlang.resolve import Program

    sinks = {name: Sink() for name in sources}
    asts = {name: _parse(src, sinks[name], cache) for name, src in sources.items()}
    root = str(project.root) if project.root else None
    program = Program(sources, asts, project.real_paths, root, sinks)
    program.declare_all()
    deps = _transitive_imports(program)
    leaks: dict[str, list] = {}
    diagnostics: list[Diagnostic] = []
    for name, scope in program.scopes.items():
        module_key = key("check", name, *sorted(f"{d}\0{sources[d].digest}" for d in deps[name] | {name}))
        program.module_keys[name] = module_key
        result = cache.get("check", module_key)
        if result is None or not _unchanged(result[2]):
            facts = check_module(program, scope)
            result = (sinks[name].sorted(), facts, _digests(program.files_read.get(name, ())))
            cache.put("check", module_key, result)
        else:
            program.files_read[name] = set(result[2])
        diagnostics.extend(result[0])
        leaks.update(result[1])
    global_sink = Sink()
    check_program(program, global_sink, leaks)
    diagnostics.extend(global_sink.sorted())
    return sorted(diagnostics, key=Diagnostic.sort_key), program


_PARSED: dict[str, tuple] = {}  # in-process: ASTs are frozen, so sharing them is safe


def _digests(paths) -> dict[str, str | None]:
    """What a check read besides modules (`file("...")` targets), to tell if it changed."""
    return {path: _file_digest(path) for path in sorted(paths)}


def _unchanged(digests: dict[str, str | None]) -> bool:
    return all(_file_digest(path) == digest for path, digest in digests.items())


def _file_digest(path: str) -> str | None:
    try:
        with open(path, "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()
    except OSError:
        return None


def _parse(source: SourceFile, sink: Sink, cache: Cache):
    from promptlang.syntax.parser import parse

    parse_key = key("ast", source.path, source.module, source.digest)
    cached = cache.get("ast", parse_key) if cache.folder else _PARSED.get(parse_key)
    if cached is not None:
        ast, diagnostics = cached
        sink.extend(diagnostics)
        _remember(parse_key, cached)
        return ast
    scratch = Sink()
    ast = parse(source, scratch)
    diagnostics = scratch.sorted()
    sink.extend(diagnostics)
    cache.put("ast", parse_key, (ast, diagnostics))
    _remember(parse_key, (ast, diagnostics))
    return ast


def _remember(parse_key: str, value: tuple) -> None:
    if len(_PARSED) > 4096:
        _PARSED.clear()
    _PARSED[parse_key] = value


def _transitive_imports(program) -> dict[str, set[str]]:
    direct = {name: {target for target, _ in scope.imports} for name, scope in program.scopes.items()}
    result: dict[str, set[str]] = {}
    for name in direct:
        seen: set[str] = set()
        stack = list(direct[name])
        while stack:
            current = stack.pop()
            if current not in seen:
                seen.add(current)
                stack.extend(direct.get(current, ()))
        result[name] = seen
    return result



def check_texts(texts: dict[str, str]) -> CheckResult:
    """Check in-memory modules (relative path -> text) as a project, without touching
    disk: for tests, benchmarks and editors."""
    files = {}
    for path, text in texts.items():
        name = proj.module_name_of(Path(path))
        files[name] = SourceFile(path, text, name)
    project = proj.Project(None, {}, files, {})
    sources = dict(files)
    for name, source in proj.stdlib_sources().items():
        sources.setdefault(name, source)
    diagnostics, program = _check_sources(sources, project, Cache(None))
    return CheckResult(diagnostics, {s.path: s for s in sources.values()}, project, program)


@attrs.define
class BuildResult:
    """What `popsc build` did: the check's diagnostics and, when it passed, the files
    written under `out` (relative paths)."""

    check: CheckResult
    out: Path | None
    written: list[str]  # every file of the build
    targets: list[str] = attrs.field(factory=list)
    skipped: list[str] = attrs.field(factory=list)
    changed: list[str] = attrs.field(factory=list)  # files new or different from the last build
    regenerated: list[str] = attrs.field(factory=list)  # generated anew, not from the cache


def build(path: str | None, *, out: str | None = None, use_cache: bool = True,
          targets: list[str] | None = None) -> BuildResult:
    """Check, then lower and emit every artifact under the out folder; nothing is
    written when the check has errors. `targets` (else `[build] targets`, else every
    target this version builds) selects the artifacts besides the bundle; targets this
    version does not build yet are skipped and listed in the result."""
    from promptlang.emit.targets import available
    from promptlang.emit.targets import emit_all
    from promptlang.emit.files import files_intact
    from promptlang.emit.files import write
    from promptlang.lower import lower

    result = check(path, use_cache=use_cache)
    if result.has_errors:
        return BuildResult(result, None, [])
    project = result.project
    root = project.root or Path(path or ".").resolve().parent
    out_dir = Path(out) if out else root / project.out_dir
    wanted = targets if targets is not None else project.targets
    wanted = list(dict.fromkeys(wanted if wanted is not None else available()))
    built = [t for t in wanted if t in available()]
    skipped = [t for t in wanted if t not in built]
    folder = project.root / proj.CACHE_DIR if (use_cache and project.root) else None
    # The same sources, settings and popsc, built into the same folder that still holds
    # exactly what that build wrote: there is nothing to do.
    build_key = key("build", result.run_key, str(out_dir.resolve()), *built)
    done = Cache(folder).get("build", build_key)
    if result.program is None and done is not None and files_intact(out_dir, done):
        return BuildResult(result, out_dir, sorted(done["files"]), built, skipped)
    if result.program is None:
        result = check(path, use_cache=use_cache, need_program=True)
    cache = EmitCache(Cache(folder), _emit_keys(result.program))
    with _no_cyclic_gc():  # as for the check: many objects, none of them garbage yet
        program_ir = lower(result.program, _project_info(project))
        files = emit_all(program_ir, built, cache)
    report = write(files, out_dir)
    cache.cache.put("build", build_key, files.manifest())
    cache.cache.prune(("emit", "build"))
    return BuildResult(result, out_dir, report.files, built, skipped, report.changed,
                       cache.regenerated)


@attrs.define
class RenderResult:
    """What `popsc render` did: the check and, when it passed, the rendered prompt."""

    check: CheckResult
    rendered: object | None  # preview.Rendered


def render(path: str | None, prompt: str, input_path: str | None, *,
           use_cache: bool = True) -> RenderResult:
    """Check the project, then render `prompt` with the JSON inputs in `input_path`
    through the generated SDK (raises `project.UsageError` for a prompt or inputs that
    do not fit)."""
    from promptlang import preview
    from promptlang import sdk_import

    inputs = preview.read_inputs(input_path)
    result, program_ir = checked_program(path, use_cache=use_cache)
    if program_ir is None:
        return RenderResult(result, None)
    target = preview.find_prompt(program_ir, prompt)
    with sdk_import.loaded(program_ir) as sdk:
        rendered = preview.render(sdk, target, inputs, preview.input_label(input_path))
    return RenderResult(result, rendered)


def checked_program(path: str | None, *, use_cache: bool = True):
    """Check PATH and lower it: `(result, program IR)`, the IR None when the check has
    errors. What `render`, `route`, `test` and `serve` start from."""
    from promptlang.lower import lower

    result = check(path, use_cache=use_cache, need_program=True)
    if result.has_errors or result.program is None:
        return result, None
    with _no_cyclic_gc():
        return result, lower(result.program, _project_info(result.project))


def _emit_keys(program) -> dict[str, str]:
    """Per module, a key of everything its generated code can depend on that the check
    key does not cover: the files its `file("...")` settings read."""
    return {name: key("emit", module_key, *(f"{path}\0{digest}" for path, digest in
                                            _digests(program.files_read.get(name, ())).items()))
            for name, module_key in program.module_keys.items()}


def _project_info(project: proj.Project) -> dict:
    info = project.config.get("project", {}) if isinstance(project.config.get("project"), dict) else {}
    found = {k: info[k] for k in ("name", "version", "description") if isinstance(info.get(k), str)}
    intents = project.config.get("intents")
    if isinstance(intents, dict) and intents.get("matcher") in MATCHERS:
        found["intent_matcher"] = intents["matcher"]
    return found
