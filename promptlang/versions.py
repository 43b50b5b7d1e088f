"""Prompt versions: `pops.lock` and the check against it.

`pops.lock` records, per project prompt, the `version` it was locked at and its content
hash (lower.py). A prompt whose content changed while its version stayed the same, or
whose version went backwards, is an error in `popsc check`: a prompt is versioned like
code, so callers and recordings keyed by version never see two behaviours under one
version. The lock is JSON with sorted keys, so equal projects give equal bytes and diffs
in review stay small."""

from __future__ import annotations

import json
from pathlib import Path

import attrs

from promptlang import project as proj
from promptlang.diagnostics.model import Diagnostic
from promptlang.diagnostics.sink import Sink
from promptlang.emit.files import write_atomic
from promptlang.source import SourceFile

LOCK_NAME = "pops.lock"
LOCK_FORMAT = 1
_HELP = "bump `version` and run `popsc lock`"


def read_lock_source(project: proj.Project) -> SourceFile | None:
    """The text of `pops.lock` at the project root, or None (single files have no lock)."""
    if project.root is None:
        return None
    path = project.root / LOCK_NAME
    if not path.is_file():
        return None
    data = path.read_bytes()
    return SourceFile(LOCK_NAME, data.decode("utf-8", errors="replace"))


def parse_lock(source: SourceFile, sink: Sink) -> dict[str, dict] | None:
    """qualified prompt name -> {"version", "content_hash"}; None (and E0703) if invalid."""
    try:
        data = json.loads(source.text)
    except json.JSONDecodeError as error:
        sink.report("E0703", source.span(error.pos, min(error.pos + 1, len(source.text))),
                    f"`pops.lock` is not valid JSON: {error.msg[:1].lower() + error.msg[1:]}",
                    label="here", help="run `popsc lock` to write it again")
        return None
    problem = _shape_problem(data)
    if problem is not None:
        message, key = problem
        sink.report("E0703", _key_span(source, key), f"`pops.lock` is invalid: {message}",
                    label="here", help="run `popsc lock` to write it again")
        return None
    return data["prompts"]


def _shape_problem(data) -> tuple[str, str | None] | None:
    """(what is wrong, the JSON key where) for a lock not shaped as `popsc lock` writes."""
    if not isinstance(data, dict):
        return "expected a JSON object", None
    if data.get("format") != LOCK_FORMAT:
        return f"unknown format {data.get('format')!r} (this popsc reads format {LOCK_FORMAT})", "format"
    prompts = data.get("prompts")
    if not isinstance(prompts, dict):
        return "`prompts` must be an object", "prompts"
    for name, entry in prompts.items():
        if (not isinstance(entry, dict) or not isinstance(entry.get("content_hash"), str)
                or not isinstance(entry.get("version"), (str, type(None)))):
            return f"the entry of `{name}` needs `content_hash` (a string) and `version`", name
    return None


def _key_span(source: SourceFile, key: str | None):
    """Where `"key"` is first written in the lock; the file start if not found."""
    at = source.text.find(json.dumps(key)) if key is not None else -1
    return source.span(at, at + len(json.dumps(key))) if at >= 0 else source.span(0, 0)


def project_prompts(program) -> dict[str, tuple[object, object]]:
    """qualified name -> (symbol, PromptIR) for every prompt outside `std`. Lowers only
    the prompts (and what their hashes reach), not the whole program."""
    from promptlang.lower import lower_prompts

    symbols = [sym for _, sym in sorted(program.symbols.items())
               if sym.kind == "prompt" and not (sym.module == "std" or sym.module.startswith("std."))]
    return {sym.qname: (sym, prompt) for sym, prompt in zip(symbols, lower_prompts(program, symbols))}


def check_lock(program, source: SourceFile, diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """E0701/E0702 for prompts that break the lock, E0703 for a lock that cannot be read.
    Hashes need lowering, which needs a program without errors: with errors, only the
    lock itself is checked."""
    sink = Sink()
    locked = parse_lock(source, sink)
    if locked is None or program is None or any(d.is_error for d in diagnostics):
        return sink.sorted()
    for qname, (sym, prompt) in project_prompts(program).items():
        entry = locked.get(qname)
        if entry is None:
            continue
        old_version, old_hash = entry.get("version"), entry["content_hash"]
        span = _version_span(sym)
        if prompt.version is not None and old_version is not None \
                and version_key(prompt.version) < version_key(old_version):
            sink.report("E0702", span, f"prompt `{sym.name}` went back from version "
                        f"{old_version} (in pops.lock) to {prompt.version}",
                        label=f"lower than the locked {old_version}",
                        help=f"use a version above {old_version}, then run `popsc lock`")
        elif prompt.version == old_version and prompt.content_hash != old_hash:
            shown = prompt.version if prompt.version is not None else "(none)"
            sink.report("E0701", span, f"prompt `{sym.name}` changed but its version did not "
                        f"(content hash {old_hash[:12]} in pops.lock, now {prompt.content_hash[:12]})",
                        label=f"still {shown}", help=_HELP if prompt.version is not None else
                        'add `version = "1.0.0"` and run `popsc lock`')
    return sink.sorted()


def _version_span(sym):
    """The `version = ...` setting of a prompt, else its name."""
    from promptlang.syntax import nodes as n

    for entry in sym.decl.entries:
        if isinstance(entry, n.Setting) and entry.key.value == "version":
            return entry.span
    return sym.decl.name.span


def version_key(text: str) -> tuple:
    """Semver-ish order: dot-separated parts, numbers numerically, other parts as text
    (a number sorts before text in the same place); `+build` is ignored and a `-pre`
    release sorts before its release, as in semver."""
    core, _, pre = text.split("+", 1)[0].partition("-")

    def parts(value: str) -> tuple:
        return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in value.split("."))

    return parts(core), ((0, parts(pre)) if pre else (1, ()))


# ---- writing ----------------------------------------------------------------------


def lock_data(prompts: dict[str, tuple[object, object]]) -> dict:
    return {"format": LOCK_FORMAT,
            "prompts": {qname: {"version": ir_.version, "content_hash": ir_.content_hash}
                        for qname, (_, ir_) in sorted(prompts.items())}}


def lock_text(data: dict) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def changes(old: dict | None, new: dict) -> list[str]:
    """What a new lock changes, one line per prompt, for `popsc lock` to print."""
    old = old or {}
    lines = []
    for qname in sorted(set(old) | set(new)):
        before, after = old.get(qname), new.get(qname)
        if before == after:
            continue
        if before is None:
            lines.append(f"added {qname} {after['version'] or '(no version)'}")
        elif after is None:
            lines.append(f"removed {qname}")
        elif before.get("version") != after["version"]:
            lines.append(f"updated {qname} {before.get('version')} -> {after['version']}")
        else:
            lines.append(f"updated {qname} (content hash)")
    return lines


@attrs.define
class LockResult:
    """What `popsc lock` did: the check, and when it passed, the lock's path and changes."""

    check: object  # driver.CheckResult
    path: Path | None = None
    changes: list[str] = attrs.field(factory=list)


def lock(path: str | None, *, use_cache: bool = True) -> LockResult:
    """Check the project, then write `pops.lock` with every project prompt's version and
    content hash. An unreadable lock does not stop this (writing it is the fix); any
    other error does, including E0701/E0702 (bump the version first)."""
    from promptlang import driver

    result = driver.check(path, use_cache=use_cache, need_program=True)
    if result.project.root is None:
        raise proj.UsageError("`popsc lock` needs a project folder with pops.toml, not a single file")
    if any(d.is_error and d.code != "E0703" for d in result.diagnostics) or result.program is None:
        return LockResult(result)
    target = result.project.root / LOCK_NAME
    new = lock_data(project_prompts(result.program))
    old_source = read_lock_source(result.project)
    old = parse_lock(old_source, Sink()) if old_source is not None else None
    text = lock_text(new)
    if old_source is None or old_source.text != text:
        write_atomic(target, text)
    return LockResult(result, target, changes(old, new["prompts"]))
