"""Golden cases: one `.txtar` file per case holding input modules and expected output.

    # One sentence saying what the case proves.
    -- input/main.pops --
    ...
    -- out/diagnostics --
    main.pops:3:5: error[E0204]: ...

A case without `input/pops.toml` gets a minimal one. Run `pytest --update-golden`
to rewrite the `out/` sections (never the inputs) for review."""

from __future__ import annotations

import re
from pathlib import Path

import attrs

_SECTION = re.compile(r"^-- (.+?) --$", re.M)
DEFAULT_CONFIG = '[project]\nname = "case"\nversion = "0.1.0"\n'


@attrs.define
class Archive:
    """A parsed txtar file: its comment header and its named sections, in order."""

    comment: str
    sections: dict[str, str]

    @classmethod
    def parse(cls, text: str) -> "Archive":
        parts = _SECTION.split(text)
        sections = {}
        for i in range(1, len(parts), 2):
            body = parts[i + 1]
            sections[parts[i].strip()] = body[1:] if body.startswith("\n") else body
        return cls(parts[0], sections)

    def format(self) -> str:
        out = [self.comment]
        for name, body in self.sections.items():
            if body and not body.endswith("\n"):
                body += "\n"
            out.append(f"-- {name} --\n{body}")
        return "".join(out)

    def inputs(self) -> dict[str, str]:
        return {k[len("input/"):]: v for k, v in self.sections.items() if k.startswith("input/")}


def run_case(archive: Archive, workdir: Path) -> dict[str, str]:
    """The actual `out/` sections of a case."""
    from promptlang import driver
    from promptlang.diagnostics.render import render_text

    inputs = archive.inputs()
    inputs.setdefault("pops.toml", DEFAULT_CONFIG)
    for rel, text in inputs.items():
        path = workdir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    result = driver.check(str(workdir), use_cache=False)
    return {"out/diagnostics": render_text(result.diagnostics, result.sources, color=False)}
