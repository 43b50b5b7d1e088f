"""Rename a declaration (or a field, parameter, enum member, loop variable) everywhere
it is named: its declaration, qualified and imported uses, template bodies, tests."""

from __future__ import annotations

import re

from promptlang.lsp import index

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_KEYWORDS = frozenset({"and", "apply", "as", "contains", "enum", "environment", "false", "for",
                       "from", "import", "in", "intent", "matches", "model", "not", "null", "or",
                       "policy", "prompt", "similar_to", "template", "test", "to", "true", "type",
                       "none", "output"})
RENAMABLE = ("symbol", "field", "member", "param", "loop")


class RenameError(Exception):
    """The rename cannot be done as asked; the message says why."""


def renamable(program, module: str, offset: int):
    """The occurrence under the cursor if it names something that can be renamed."""
    occ = index.at(program, module, offset)
    if occ is None or occ.target[0] not in RENAMABLE:
        return None
    if occ.target[1].startswith(("std.", "<std>")):
        return None  # the standard library is not the project's to edit
    return occ


def edits(program, module: str, offset: int, new_name: str) -> list:
    """The spans to replace with `new_name` (raises RenameError when it cannot be done)."""
    occ = renamable(program, module, offset)
    if occ is None:
        raise RenameError("nothing to rename here: place the cursor on a declared name")
    if not _IDENT.match(new_name) or new_name in _KEYWORDS:
        raise RenameError(f"`{new_name}` is not a valid name")
    _check_collision(program, occ.target, new_name)
    spans = {(o.span.file, o.span.start, o.span.end): o.span
             for o in index.references(program, occ.target)}
    return [spans[key] for key in sorted(spans)]


def _check_collision(program, target: tuple, new_name: str) -> None:
    """A declaration may not take a name its module, or a module importing it by
    name, already uses; a field or member one its record or enum already has."""
    kind, owner = target[0], target[1]
    if kind == "symbol":
        sym = program.symbols[owner]
        for scope in program.scopes.values():
            if new_name in scope.own and scope.module == sym.module:
                raise RenameError(f"`{new_name}` is already declared in `{scope.module}`")
            if scope.imported.get(sym.name) is sym and (new_name in scope.own or new_name in scope.imported):
                raise RenameError(f"`{new_name}` is already a name in `{scope.module}`")
    elif kind == "field" and new_name in program.records.get(owner, {}):
        raise RenameError(f"`{owner.rsplit('.', 1)[-1]}` already has a field `{new_name}`")
    elif kind == "member" and new_name in program.enums.get(owner, {}):
        raise RenameError(f"`{owner.rsplit('.', 1)[-1]}` already has a member `{new_name}`")
    elif kind == "param":
        taken = {f.name.value for f in index.params_of(program, owner)}
        if new_name in taken:
            raise RenameError(f"`{owner.rsplit('.', 1)[-1]}` already has a parameter `{new_name}`")
