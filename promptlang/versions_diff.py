"""`popsc diff REV`: the project's prompts at a git revision against the working tree.

The revision's `.pops` files are read from git into memory (never checked out) and
checked with `driver.check_texts`, with the standard library of the installed popsc, so
a diff never touches the working tree. Both sides are lowered, and prompts compared by
qualified name: version, parameters, output type, model and message templates (as
unified diffs), plus the content hash, which also covers the templates and types a
prompt reaches."""

from __future__ import annotations

import difflib
import json
import subprocess
from pathlib import Path, PurePosixPath

import attrs

from promptlang import ir
from promptlang import project as proj


class DiffError(Exception):
    """The diff cannot be made: `exit_code` 2 for usage (no git, unknown revision),
    1 when the revision's project has errors."""

    def __init__(self, message: str, exit_code: int = 2):
        super().__init__(message)
        self.exit_code = exit_code


@attrs.define
class PromptChange:
    qname: str
    status: str  # added, removed, changed
    old_version: str | None = None
    new_version: str | None = None
    changes: dict[str, object] = attrs.field(factory=dict)  # what differs: old/new pairs
    template_diff: str = ""
    hash_changed: bool = False


def git_texts(root: Path, rev: str, out_dir: str = "build") -> dict[str, str]:
    """Relative path -> text of every project `.pops` file at REV (paths relative to
    the project root, which may be a folder inside the repository)."""
    _git(root, "rev-parse", "--is-inside-work-tree",
         failure=f"not a git repository: {root}")
    _git(root, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}",
         failure=f"unknown revision `{rev}`")
    listing = _git(root, "ls-tree", "-r", "-z", "--name-only", rev, "--", ".",
                   failure=f"cannot list the files of `{rev}`")
    texts = {}
    for rel in sorted(p for p in listing.split("\0") if p.endswith(".pops")):
        parts = PurePosixPath(rel).parts
        if any(p.startswith(".") or p in ("node_modules", "__pycache__", "venv") for p in parts[:-1]):
            continue
        if rel.startswith(out_dir.strip("/") + "/") or parts[0] == "std":
            continue
        texts[rel] = _git(root, "show", f"{rev}:./{rel}", failure=f"cannot read {rel} at `{rev}`")
    return texts


def _git(root: Path, *args: str, failure: str) -> str:
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, check=False)
    except FileNotFoundError:
        raise DiffError("git is not installed")
    if done.returncode != 0:
        raise DiffError(failure)
    return done.stdout.decode("utf-8", errors="replace")


def prompts_at(rev: str, root: Path, out_dir: str) -> dict[str, ir.PromptIR]:
    from promptlang import driver
    from promptlang.versions import project_prompts

    result = driver.check_texts(git_texts(root, rev, out_dir))
    errors = [d for d in result.diagnostics if d.is_error]
    if errors:
        raise DiffError(f"the project at `{rev}` has {len(errors)} error(s); "
                        f"popsc diff compares revisions that check", exit_code=1)
    return {q: p for q, (_, p) in project_prompts(result.program).items()}


def compare(old: dict[str, ir.PromptIR], new: dict[str, ir.PromptIR], rev: str) -> list[PromptChange]:
    result = []
    for qname in sorted(set(old) | set(new)):
        before, after = old.get(qname), new.get(qname)
        if before is None:
            result.append(PromptChange(qname, "added", new_version=after.version))
        elif after is None:
            result.append(PromptChange(qname, "removed", old_version=before.version))
        elif before.content_hash != after.content_hash or before.version != after.version:
            result.append(_changed(before, after, rev))
    return result


def _changed(before: ir.PromptIR, after: ir.PromptIR, rev: str) -> PromptChange:
    change = PromptChange(before.qname, "changed", before.version, after.version,
                          hash_changed=before.content_hash != after.content_hash)
    pairs = {"version": (before.version, after.version),
             "params": (_params(before), _params(after)),
             "output": (type_text(before.output), type_text(after.output)),
             "model": (before.model, after.model)}
    change.changes = {k: {"old": a, "new": b} for k, (a, b) in pairs.items() if a != b}
    old_lines, new_lines = _message_lines(before), _message_lines(after)
    change.template_diff = "".join(difflib.unified_diff(
        old_lines, new_lines, f"{rev}:{before.qname}", f"working tree:{after.qname}"))
    return change


def _params(prompt: ir.PromptIR) -> list[str]:
    return [f"{p.name}: {type_text(p.type)}" + ("" if p.required else "?") for p in prompt.params]


def _message_lines(prompt: ir.PromptIR) -> list[str]:
    lines = []
    for message in prompt.messages:
        lines.append(f"{message.role}:\n")
        lines.extend(line + "\n" for line in message.body.split("\n"))
    return lines


def type_text(t: ir.TypeIR | None) -> str:
    """A type as written in .pops."""
    if t is None:
        return "string"
    if t.kind in ("record", "enum"):
        return t.name or t.kind
    if t.kind == "list":
        return f"list<{type_text(t.of)}>"
    if t.kind == "map":
        return f"map<string, {type_text(t.of)}>"
    if t.kind == "optional":
        return f"{type_text(t.of)}?"
    return t.kind


def as_text(changes: list[PromptChange], rev: str) -> str:
    if not changes:
        return f"no prompt changed since {rev}\n"
    out = []
    for c in changes:
        if c.status == "added":
            out.append(f"added   {c.qname} {c.new_version or '(no version)'}\n")
        elif c.status == "removed":
            out.append(f"removed {c.qname} {c.old_version or '(no version)'}\n")
        else:
            version = (f"{c.old_version} -> {c.new_version}" if c.old_version != c.new_version
                       else f"{c.new_version} (version unchanged)")
            out.append(f"changed {c.qname} {version}\n")
            for key in ("params", "output", "model"):
                if key in c.changes:
                    old, new = c.changes[key]["old"], c.changes[key]["new"]
                    if key == "params":
                        old, new = "(" + ", ".join(old) + ")", "(" + ", ".join(new) + ")"
                    out.append(f"  {key}: {old} -> {new}\n")
            if c.template_diff:
                out.extend("  " + line + ("" if line.endswith("\n") else "\n")
                           for line in c.template_diff.splitlines(keepends=True))
            elif c.hash_changed and not c.changes.keys() - {"version"}:
                out.append("  content changed in the templates, types or model settings it reaches\n")
    return "".join(out)


def as_json(changes: list[PromptChange], rev: str) -> str:
    data = {"format": 1, "rev": rev, "prompts": [attrs.asdict(c) for c in changes]}
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def diff(rev: str, path: str | None) -> tuple[object, list[PromptChange] | None]:
    """(the working tree's check, the changes or None when that check has errors).
    Lock errors (E07xx) do not stop a diff: showing what changed is how one fixes them."""
    from promptlang import driver
    from promptlang.versions import project_prompts

    result = driver.check(path, need_program=True)
    if result.project.root is None:
        raise DiffError("`popsc diff` needs a project folder with pops.toml, not a single file")
    if any(d.is_error and not d.code.startswith("E07") for d in result.diagnostics):
        return result, None
    old = prompts_at(rev, result.project.root, result.project.out_dir)
    new = {q: p for q, (_, p) in project_prompts(result.program).items()}
    return result, compare(old, new, rev)
