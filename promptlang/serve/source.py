"""Where the gateway's program comes from: a project (checked and lowered, as `popsc
test` does) or a build's `bundle.json` (what the Kubernetes ConfigMap mounts), read back
into the IR. Either way the SDK is generated in memory from the IR and imported from
there, so the gateway runs the very code `popsc build` emits."""

from __future__ import annotations

import json
import tomllib
from contextlib import ExitStack
from pathlib import Path

import attrs
import cattrs

from promptlang import driver
from promptlang import ir
from promptlang import sdk_import
from promptlang.lower import lower
from promptlang.project import UsageError

BUNDLE = "bundle.json"
GIT = "git:"  # `--stable git:REV`
_converter = cattrs.Converter()


class ProgramErrors(Exception):
    """The project does not check: `result` holds the diagnostics to print."""

    def __init__(self, result: driver.CheckResult) -> None:
        super().__init__("the project has errors")
        self.result = result


@attrs.frozen
class Source:
    """A program to serve; `root` is its project folder (None for a bundle) and
    `sdk_options` what `sdk_import.loaded` reuses from the project's cache."""

    program: ir.ProgramIR
    root: Path | None = None
    sdk_options: dict = attrs.field(factory=dict)


def load(path: str | None) -> Source:
    """The program PATH names: a `bundle.json`, an out folder holding one (and no
    `pops.toml`), or else a project folder or `.pops` file as every command takes it.
    Raises `UsageError` (no such thing, not a bundle) or `ProgramErrors`."""
    bundle = _bundle_path(path)
    if bundle is not None:
        return Source(read_bundle(bundle))
    result, program = driver.checked_program(path)
    if program is None:
        raise ProgramErrors(result)
    return Source(program, result.project.root, sdk_import.cache_of(result))


def _bundle_path(path: str | None) -> Path | None:
    if path is None:
        return None
    given = Path(path)
    if given.is_file() and given.suffix == ".json":
        return given
    if given.is_dir() and (given / BUNDLE).is_file() and not (given / "pops.toml").exists():
        return given / BUNDLE
    return None


def read_bundle(path: Path) -> ir.ProgramIR:
    """The IR a build wrote to `bundle.json` (`UsageError` when it is not one)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise UsageError(f"cannot read {path}: {error}") from None
    program = data.get("program") if isinstance(data, dict) else None
    if not isinstance(program, dict) or program.get("format") != ir.FORMAT:
        raise UsageError(f"{path} is not a popsc bundle (format {ir.FORMAT})")
    try:
        return _converter.structure(program, ir.ProgramIR)
    except (cattrs.BaseValidationError, TypeError, ValueError, KeyError) as error:
        raise UsageError(f"{path} is not a bundle this popsc can read: {error}") from None


def absent(spec: str) -> bool:
    """Whether `--stable` names nothing yet: no such path, an empty file, or a folder with
    nothing visible in it (a ConfigMap volume marked optional whose ConfigMap does not
    exist: the kubelet mounts it empty but for its hidden `..data` entries)."""
    if spec.startswith(GIT):
        return False
    path = Path(spec)
    try:
        if path.is_dir():
            return not any(not entry.name.startswith(".") for entry in path.iterdir())
        return not path.exists() or not path.read_bytes().strip()
    except OSError:
        return False  # there but unreadable: `load` says why


def load_stable(spec: str, current: Source) -> Source:
    """What `--stable` names: a path as `load` takes it, or `git:REV`, the project's
    `.pops` files at git revision REV (read as `popsc diff` reads them, no checkout),
    checked and lowered with the current project's settings."""
    if not spec.startswith(GIT):
        return load(spec)
    rev = spec[len(GIT):]
    if current.root is None:
        raise UsageError(f"--stable {spec} reads the project's git history; serve a project "
                         "folder, not a bundle")
    from promptlang import versions_diff

    try:
        texts = versions_diff.git_texts(current.root, rev, _out_dir(current.root))
    except versions_diff.DiffError as error:
        raise UsageError(f"--stable {spec}: {error}") from None
    result = driver.check_texts(texts)
    if result.has_errors or result.program is None:
        raise ProgramErrors(result)
    with driver._no_cyclic_gc():
        return Source(lower(result.program, dict(current.program.project)))  # type: ignore[arg-type]


def _out_dir(root: Path) -> str:
    """The project's `[build] out` (its files are not sources); the project has been
    checked, so its `pops.toml` reads."""
    config = tomllib.loads((root / "pops.toml").read_text(encoding="utf-8"))
    return str(config.get("build", {}).get("out", "build"))


def renamed(program: ir.ProgramIR, suffix: str) -> ir.ProgramIR:
    """The program under another package name (`acme_support_stable`), so that two
    versions of one project import side by side. Content hashes, and so replay keys,
    do not change: they are in the IR already."""
    name = str(program.project.get("name") or "prompts")
    return attrs.evolve(program,  # type: ignore[misc]  # ir's decorator alias hides attrs
                        project={**program.project, "name": f"{name}-{suffix}"})


def enter_sdk(stack: ExitStack, source: Source) -> sdk_import.Sdk:
    """Import the source's SDK for as long as `stack` stays open."""
    return stack.enter_context(sdk_import.loaded(source.program, **source.sdk_options))
