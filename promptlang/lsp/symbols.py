"""Document symbols: the outline of a module, from its AST (no check needed)."""

from __future__ import annotations

import attrs

from promptlang.source import Span
from promptlang.syntax import nodes as n


@attrs.frozen
class Outline:
    """One entry of the outline: a declaration or a part of one."""

    name: str
    kind: str  # the declaration keyword, or field / member / param / slot / test
    span: Span
    name_span: Span
    detail: str = ""
    children: tuple[Outline, ...] = ()


def outline(module: n.Module) -> list[Outline]:
    """Declarations in source order, each with its fields, members or parameters."""
    result = []
    for decl in module.decls:
        if isinstance(decl, n.NAMED_DECLS):
            result.append(Outline(decl.name.value, _KIND[type(decl)], decl.span, decl.name.span,
                                  children=tuple(_children(decl))))
        elif isinstance(decl, n.Test):
            result.append(Outline(decl.title.value or "test", "test", decl.span, decl.title.span,
                                  f"for {decl.target.text}"))
        elif isinstance(decl, n.IntentTests):
            result.append(Outline(f"test {decl.name.value}", "test", decl.span, decl.name.span))
    return result


_KIND = {n.Enum: "enum", n.Record: "record", n.Alias: "alias", n.Model: "model",
         n.Template: "template", n.Prompt: "prompt", n.Intent: "intent", n.Policy: "policy",
         n.Environment: "environment"}


def _children(decl):
    if isinstance(decl, n.Enum):
        for member in decl.members:
            yield Outline(member.name.value, "member", member.span, member.name.span)
    for field in getattr(decl, "fields", ()) + getattr(decl, "params", ()):
        kind = "field" if isinstance(decl, n.Record) else "param"
        yield Outline(field.name.value, kind, field.span, field.name.span, field.type.name.text)
    if isinstance(decl, n.Intent):
        for block in decl.entries:
            if isinstance(block, n.Block) and block.kind.value == "slots":
                for field in block.entries:
                    if isinstance(field, n.Field):
                        yield Outline(field.name.value, "slot", field.span, field.name.span,
                                      field.type.name.text)
