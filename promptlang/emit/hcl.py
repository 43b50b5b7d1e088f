"""An HCL writer: configuration built as data (blocks, attributes, values) comes out as
text laid out exactly as `terraform fmt` lays it out, so `terraform fmt -check` passes
on everything popsc emits and a user's `terraform fmt` never rewrites it.

Why not python-hcl2's `dumps`: it expects strings pre-quoted as HCL source, leaves
trailing spaces and doubled blank lines, and does not quote block labels, so its output
is not what `terraform fmt` writes (python-hcl2 is still what the tests parse the
output back with). The layout rules written here are `terraform fmt`'s (hclwrite):

- two spaces of indentation per nesting level;
- in a run of consecutive one-line attributes (or object entries) the `=` signs are
  aligned one space after the longest name; a multi-line value, a blank line or a
  block ends the run;
- strings in double quotes with HCL's escapes (what is not printable as `\\uNNNN`);
  `${` and `%{` are doubled so that a value is never read as a template.

popsc's own choices on top (which `fmt` keeps as they are): a blank line between a
block and its neighbours; object keys bare when they are plain names, else quoted with
everything past ASCII escaped (`fmt` aligns on a key's width in grapheme clusters, which
ASCII keeps plain to count); a list of plain values on one line, a list holding objects
or lists one element per line; block labels are names, as Terraform's are."""

from __future__ import annotations

import decimal
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Union

import attrs

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")
_TRAVERSAL = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_][A-Za-z0-9_-]*|\[[0-9]+\])*\Z")
_COMPARISONS = frozenset({"==", "!=", "<", "<=", ">", ">=", "&&", "||"})
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_BARE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
# words a bare key would be read as: values, or the start of a `for` expression
_KEYWORDS = frozenset({"true", "false", "null", "for", "in", "if"})
INDENT = "  "


@attrs.frozen
class Ref:
    """A reference such as `var.image` or `kubernetes_service_v1.gateway.metadata[0].name`
    (also a type name such as `string`): written as it is, unquoted."""

    path: str = attrs.field()

    @path.validator
    def _check(self, _attribute, value: str) -> None:
        if not _TRAVERSAL.match(value):
            raise ValueError(f"not an HCL reference: {value!r}")


@attrs.frozen
class Op:
    """A comparison or logical operation of two values, as in a variable's validation."""

    left: "Value"
    op: str = attrs.field()
    right: "Value"

    @op.validator
    def _check(self, _attribute, value: str) -> None:
        if value not in _COMPARISONS:
            raise ValueError(f"not an HCL operator: {value!r}")


Value = Union[None, bool, int, float, str, Ref, Op, Sequence["Value"], Mapping[str, "Value"]]


@attrs.frozen
class Attribute:
    """`name = value` in a body."""

    name: str = attrs.field()
    value: Value

    @name.validator
    def _check(self, _attribute, value: str) -> None:
        _identifier(value)


@attrs.frozen
class Block:
    """`type "label" ... { body }`: a body is attributes and blocks, in order."""

    type: str = attrs.field()
    labels: tuple[str, ...] = attrs.field(default=())
    body: tuple["Attribute | Block | Comment", ...] = ()

    @type.validator
    def _check(self, _attribute, value: str) -> None:
        _identifier(value)

    @labels.validator
    def _check_labels(self, _attribute, value: tuple[str, ...]) -> None:
        # Terraform's labels are names (resource types and names, variables, outputs);
        # keeping them so also steers clear of `terraform fmt` 1.15 dropping a label
        # that ends in `%` or `$`.
        for label in value:
            _identifier(label)


@attrs.frozen
class Comment:
    """A `# text` line of its own in a body (tools read some: `#checkov:skip=...`)."""

    text: str = attrs.field()

    @text.validator
    def _check(self, _attribute, value: str) -> None:
        if "\n" in value or "\r" in value:
            raise ValueError(f"a comment is one line: {value!r}")


Item = Union[Attribute, Block, Comment]


def dumps(items: Iterable[Item], header: Sequence[str] = ()) -> str:
    """A whole file: `header` lines as `#` comments, then the items of the top-level
    body; ends with one newline."""
    lines = [f"# {line}".rstrip() for line in header]
    body = _body(list(items))
    if lines and body:
        lines.append("")
    lines.extend(body)
    return "\n".join(lines) + "\n"


def _identifier(name: str) -> None:
    if not _IDENT.match(name):
        raise ValueError(f"not an HCL identifier: {name!r}")


# ---- bodies --------------------------------------------------------------------------

def _body(items: list[Item]) -> list[str]:
    """The lines of a body at depth 0 (the caller indents them)."""
    entries: list[tuple[str, list[str]] | list[str]] = []
    for index, item in enumerate(items):
        if index and (isinstance(item, Block) or isinstance(items[index - 1], Block)):
            entries.append([""])
        if isinstance(item, Block):
            entries.append(_block(item))
        elif isinstance(item, Comment):
            entries.append([f"# {item.text}".rstrip()])
        else:
            entries.append((item.name, _value(item.value)))
    return _aligned(entries)


def _block(block: Block) -> list[str]:
    head = " ".join([block.type, *(_string(label) for label in block.labels)])
    inner = _body(list(block.body))
    if not inner:
        return [head + " {}"]
    return [head + " {", *_indented(inner), "}"]


def _aligned(entries: list[tuple[str, list[str]] | list[str]]) -> list[str]:
    """`name = value` entries with the `=` of each run of one-line entries aligned;
    plain line lists (blocks, blank lines) pass through and end a run."""
    out: list[str] = []
    run: list[tuple[str, str]] = []

    def close() -> None:
        width = max((len(name) for name, _ in run), default=0)
        out.extend(f"{name.ljust(width)} = {text}" for name, text in run)
        run.clear()

    for entry in entries:
        if isinstance(entry, tuple) and len(entry[1]) == 1:
            run.append((entry[0], entry[1][0]))
            continue
        close()
        if isinstance(entry, tuple):
            name, lines = entry
            out.append(f"{name} = {lines[0]}")
            out.extend(lines[1:])
        else:
            out.extend(entry)
    close()
    return out


def _indented(lines: list[str]) -> list[str]:
    return [INDENT + line if line else line for line in lines]


# ---- values --------------------------------------------------------------------------

def _value(value: Value) -> list[str]:
    """The lines of a value: one for scalars, references and plain lists."""
    if isinstance(value, Mapping):
        return _object(value)
    if isinstance(value, (list, tuple)):
        return _list(value)
    return [_scalar(value)]


def _object(value: Mapping[str, Value]) -> list[str]:
    if not value:
        return ["{}"]
    entries: list[tuple[str, list[str]] | list[str]] = [
        (_key(key), _value(item)) for key, item in value.items()]
    return ["{", *_indented(_aligned(entries)), "}"]


def _list(value: Sequence[Value]) -> list[str]:
    if not any(isinstance(item, (Mapping, list, tuple)) for item in value):
        return ["[" + ", ".join(_scalar(item) for item in value) + "]"]
    lines = ["["]
    for item in value:
        rendered = _value(item)
        rendered[-1] += ","
        lines.extend(_indented(rendered))
    lines.append("]")
    return lines


def _scalar(value: Value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"HCL has no number {value!r}")
        # the shortest digits that read back as `value`, without an exponent (which
        # python-hcl2 reads as an expression)
        text = format(decimal.Decimal(repr(value)), "f")
        return text if "." in text else text + ".0"
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, Ref):
        return value.path
    if isinstance(value, Op):
        return f"{_scalar(value.left)} {value.op} {_scalar(value.right)}"
    raise TypeError(f"no HCL form for {type(value).__name__}")


def _key(key: str) -> str:
    """An object key: bare when it is a plain name, quoted otherwise (and for the
    keywords, which would be read as values)."""
    if _BARE_KEY.match(key) and key not in _KEYWORDS:
        return key
    return _string(key, ascii_only=True)


def _string(text: str, ascii_only: bool = False) -> str:
    """A quoted HCL string whose value is exactly `text`. `ascii_only` escapes every
    other character too: `fmt` aligns on the width of keys in grapheme clusters, which
    only ASCII makes plain to count."""
    out = []
    for index, char in enumerate(text):
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif not char.isprintable() or ascii_only and ord(char) > 0x7E:
            # as hclwrite does for what Go's unicode.IsPrint refuses
            code = ord(char)
            out.append(f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
        elif char in "$%" and text[index + 1:index + 2] == "{":
            out.append(char * 2)
        else:
            out.append(char)
    return '"' + "".join(out) + '"'
