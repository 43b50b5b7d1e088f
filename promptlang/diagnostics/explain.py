"""Long explanations of diagnostic codes, one Markdown file per code beside this module.

They ship inside the wheel and are read through importlib.resources, so `popsc explain`
and the SARIF rule help work from an installed package as well as from a checkout.
"""

from __future__ import annotations

import functools
import importlib.resources
import importlib.resources.abc

from promptlang.diagnostics.codes import CODES

_FOLDER = "explain"


def _resource(code: str) -> importlib.resources.abc.Traversable:
    folder = importlib.resources.files("promptlang.diagnostics").joinpath(_FOLDER)
    return folder.joinpath(f"{code}.md")


def normalize(code: str) -> str:
    """The catalog spelling of a code as a user may type it: `e0204` and ` E0204 ` alike."""
    return code.strip().upper()


@functools.cache
def explain(code: str) -> str | None:
    """The Markdown explanation of a code, or None for a code the catalog does not have."""
    key = normalize(code)
    if key not in CODES:
        return None
    resource = _resource(key)
    return resource.read_text("utf-8") if resource.is_file() else None


def all_codes() -> tuple[str, ...]:
    """The catalog codes that have an explanation, in catalog order."""
    return tuple(code for code in CODES if _resource(code).is_file())
