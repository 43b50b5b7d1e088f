"""Doc comments: the `//` lines directly above a declaration describe it."""

from __future__ import annotations

import bisect

from promptlang.syntax import nodes as n


def doc_comment(module: n.Module, text: str, decl) -> str | None:
    """The text of the `//` comment block that ends on the line just above `decl`,
    with the slashes and one following space removed; None if there is none."""
    starts = [c.span.start for c in module.comments]
    index = bisect.bisect_left(starts, decl.span.start) - 1
    lines: list[str] = []
    boundary = decl.span.start
    while index >= 0:
        comment = module.comments[index]
        gap = text[comment.span.end : boundary]
        if gap.strip() or gap.count("\n") != 1 or not comment.text.startswith("//"):
            break
        if text[text.rfind("\n", 0, comment.span.start) + 1 : comment.span.start].strip():
            break  # a comment after code on the same line belongs to that code
        lines.append(_strip(comment.text))
        boundary = comment.span.start
        index -= 1
    return "\n".join(reversed(lines)) if lines else None


def _strip(comment: str) -> str:
    body = comment[2:]
    return body[1:] if body.startswith(" ") else body
