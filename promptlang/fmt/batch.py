"""`popsc fmt` over files and projects: read every `.pops` a PATH names, format them
all, and only then write, so a syntax error anywhere leaves every file as it was."""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import attrs

from promptlang import project
from promptlang.diagnostics.sink import Sink
from promptlang.emit.files import write_atomic
from promptlang.fmt.api import FormatError
from promptlang.fmt.api import format_text
from promptlang.source import SourceFile


@attrs.frozen
class Outcome:
    """One file: where it is, how it is shown, its text now and formatted."""

    path: Path
    shown: str
    before: str
    after: str

    @property
    def changed(self) -> bool:
        return self.before != self.after

    def diff(self) -> str:
        lines = difflib.unified_diff(
            self.before.splitlines(keepends=True), self.after.splitlines(keepends=True),
            fromfile=f"a/{self.shown}", tofile=f"b/{self.shown}")
        return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
                       for line in lines)


@attrs.define
class Batch:
    """Every file formatted, or the diagnostics of those that could not be."""

    outcomes: list[Outcome] = attrs.Factory(list)
    sink: Sink = attrs.Factory(Sink)
    sources: dict[str, SourceFile] = attrs.Factory(dict)

    @property
    def changed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.changed]


def format_paths(paths: tuple[str, ...] | list[str]) -> Batch:
    """Format the files PATHs name (a file, a project folder; none: the project around
    the current folder). Raises project.UsageError for a PATH that is neither."""
    batch = Batch()
    seen: set[str] = set()
    for path in paths or [None]:
        for source, real in _sources(path, batch.sink):
            if real not in seen:
                seen.add(real)
                _format_one(source, real, batch)
    batch.outcomes.sort(key=lambda o: o.shown)
    return batch


def _sources(path: str | None, sink: Sink):
    """The `.pops` files of PATH with their real paths; read errors go to `sink`."""
    loaded = Sink()
    found = project.load(path, loaded)
    displays = {source.path for source in found.files.values()}
    sink.extend(d for d in loaded.sorted() if d.span.file in displays)
    for name, source in sorted(found.files.items()):
        yield source, found.real_paths[name]


def _format_one(source: SourceFile, real: str, batch: Batch) -> None:
    shown = _shown(real)
    source = SourceFile(shown, source.text, source.module)
    batch.sources[shown] = source
    try:
        after = format_text(source.text, shown)
    except FormatError as error:
        batch.sink.extend(error.diagnostics)
        return
    batch.outcomes.append(Outcome(Path(real), shown, source.text, after))


def _shown(real: str) -> str:
    """The path as the user would type it: relative to the current folder if inside."""
    rel = os.path.relpath(real)
    return Path(real).as_posix() if rel.startswith("..") else Path(rel).as_posix()


def write(outcomes: list[Outcome]) -> None:
    """Rewrite the changed files in place, each atomically, keeping its permissions."""
    for outcome in outcomes:
        if outcome.changed:
            mode = outcome.path.stat().st_mode
            write_atomic(outcome.path, outcome.after)
            os.chmod(outcome.path, mode)
