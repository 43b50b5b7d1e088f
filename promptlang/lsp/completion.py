"""Completion: what may be written at the cursor, from the program's own tables.

The text being typed rarely parses, so the context is read from the text around the
cursor (which block it is in, whether it is inside a template, what precedes it on
the line); the candidates come from the resolved program: the fields of a record,
the names of the declarations visible there, the keys the checks accept."""

from __future__ import annotations

import re

import attrs

from promptlang import types as ty
from promptlang.checks.intents import _SETTINGS as INTENT_KEYS
from promptlang.checks.models import ALL_KEYS as MODEL_KEYS
from promptlang.checks.prompts import PROMPT_KEYS
from promptlang.checks.prompts import ROLES
from promptlang.checks.template_filters import FILTERS
from promptlang.checks.template_values import loop_fields
from promptlang.diagnostics.sink import Sink
from promptlang.resolve import TYPE_KINDS
from promptlang.resolve import signature
from promptlang.source import Span
from promptlang.syntax import nodes as n


@attrs.frozen
class Item:
    """One candidate: the text to insert, what it is (an LSP-neutral word), a detail."""

    label: str
    kind: str  # field, type, prompt, model, policy, template, intent, key, keyword, member, variable
    detail: str = ""


DECL_KEYWORDS = ("import", "from", "enum", "type", "model", "template", "prompt", "intent",
                 "test", "policy", "apply", "environment")
BLOCK_KEYS = {
    "prompt": PROMPT_KEYS + ROLES,
    "model": tuple(sorted(MODEL_KEYS)),
    "intent": INTENT_KEYS + ("slots",),
    "test": ("model", "description", "given", "expect"),
    "policy": ("severity", "description", "forbid", "deny", "require"),
    "environment": ("region", "description", "kubernetes", "secrets", "monitor", "rollout"),
    "kubernetes": ("namespace", "image", "replicas", "port", "autoscale", "resources"),
    "autoscale": ("cpu", "memory"),
    "monitor": ("slo", "alert"),
    "rollout": ("weight", "prompts"),
}
SETTING_KINDS = {"model": {"model"}, "fallback": {"model"}, "route": {"prompt"},
                 "policies": {"policy"}, "prompts": {"prompt"}}
_PATH_DOT = re.compile(r"([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\.(\w*)$")
_TYPE_AT = re.compile(r"(:|->|<|map<\s*string\s*,|^\s*type\s+\w+\s*=)\s*[\w.]*$")
_FOR = re.compile(r"\{%-?\s*for\s+([A-Za-z_]\w*)\s+in\s+([A-Za-z_][\w.]*)")


def complete(program, module: str, text: str, offset: int) -> list[Item]:
    """Candidates at `offset` in `text` (the module's current text)."""
    scope = program.scopes.get(module)
    if scope is None:
        return []
    context = _Context.read(text, offset)
    line = text[text.rfind("\n", 0, offset) + 1:offset]
    if context.in_string:
        decl = _decl_at(scope, offset)
        return _template(program, scope, decl, text[context.string_start:offset]) if decl else []
    for rule in (_expect, _test_target, _intent_target, _given_object, _setting_value, _apply,
                 _type_position, _line_start):
        found = rule(program, scope, context, line)
        if found is not None:
            return found
    return []


# ---- reading the context ------------------------------------------------------------


@attrs.define
class _Context:
    """The open blocks around the cursor (their headers, outermost first) and whether
    the cursor is inside a string."""

    blocks: list[str]
    in_string: bool = False
    string_start: int = 0

    @classmethod
    def read(cls, text: str, offset: int) -> _Context:
        blocks: list[str] = []
        i, header_start = 0, 0
        while i < offset:
            if text.startswith('"""', i):
                end = text.find('"""', i + 3)
                if end < 0 or end >= offset:
                    return cls(blocks, True, i + 3)
                i = end + 3
            elif text[i] == '"':
                end = _string_end(text, i + 1)
                if end is None or end >= offset:
                    return cls(blocks, True, i + 1)
                i = end + 1
            elif text.startswith("//", i):
                i = text.find("\n", i) if text.find("\n", i) >= 0 else len(text)
            elif text[i] == "{":
                blocks.append(text[header_start:i].strip().split("\n")[-1].strip())
                header_start = i = i + 1
            elif text[i] == "}":
                if blocks:
                    blocks.pop()
                header_start = i = i + 1
            else:
                if text[i] == "\n" and not text[header_start:i].strip().endswith((",", "(")):
                    header_start = i + 1
                i += 1
        return cls(blocks)

    @property
    def kinds(self) -> list[str]:
        """The first word of each open block's header (`prompt`, `given`, `{` for an
        object literal)."""
        words = []
        for header in self.blocks:
            head = header.split()
            words.append(head[0] if head and not header.endswith(("=", ":", ",", "[")) else "{")
        return words


def _string_end(text: str, i: int) -> int | None:
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] in '"\n':
            return i if text[i] == '"' else None
        i += 1
    return None


def _decl_at(scope, offset: int):
    return next((d for d in scope.ast.decls if d.span.start <= offset <= d.span.end), None)


# ---- visible names ----------------------------------------------------------------------


def _visible(program, scope, kinds, prefix: str = "") -> list[Item]:
    """Declarations of these kinds visible in `scope` (or in module alias `prefix`)."""
    if prefix:
        target = scope.module_aliases.get(prefix)
        symbols = program.scopes[target].own.values() if target else ()
        return [Item(s.name, s.kind, s.module) for s in symbols if s.kind in kinds]
    items = [Item(s.name, _kind(s), s.module) for s in scope.own.values() if _kind(s) in kinds]
    items += [Item(name, s.kind, s.module) for name, s in scope.imported.items() if s.kind in kinds]
    items += [Item(alias, "module", target) for alias, target in scope.module_aliases.items()
              if any(s.kind in kinds for s in program.scopes[target].own.values())]
    return sorted(items, key=lambda i: i.label)


def _kind(sym) -> str:
    """A declaration's kind; one that does not parse yet (being typed) still counts as
    the kind its keyword says."""
    if sym.kind == "broken":
        return {"type": "record", "enum": "enum"}.get(sym.decl.keyword, sym.decl.keyword)
    return sym.kind


def _qualifier(line: str) -> tuple[str, str]:
    """`t.Tic` -> (`t`, `Tic`); `Tic` -> (``, `Tic`)."""
    word = re.search(r"[\w.]*$", line).group(0)
    return (word.rsplit(".", 1)[0], word.rsplit(".", 1)[1]) if "." in word else ("", word)


# ---- outside strings --------------------------------------------------------------------


def _type_position(program, scope, context, line):
    if context.kinds and context.kinds[-1] in ("given", "{"):
        return None
    if _TYPE_AT.search(line):
        prefix, _ = _qualifier(line)
        items = _visible(program, scope, TYPE_KINDS, prefix)
        if not prefix:
            items = [Item(p, "type", "built-in") for p in ty.PRIMITIVES + ("list", "map")] + items
        return items
    return None


def _intent_target(program, scope, context, line):
    """`"text" -> ` in `test intents`: an intent, or `none`."""
    if context.kinds[-1:] == ["test"] and re.match(r'\s*"(?:[^"\\]|\\.)*"\s*->\s*[\w.]*$', line):
        prefix = _qualifier(line)[0]
        return _visible(program, scope, {"intent"}, prefix) + ([] if prefix else [Item("none", "keyword")])
    return None


def _test_target(program, scope, context, line):
    if re.match(r'\s*test\s+"[^"]*"\s+for\s+[\w.]*$', line):
        return _visible(program, scope, {"prompt"}, _qualifier(line)[0])
    return None


def _apply(program, scope, context, line):
    if re.match(r"\s*apply\s+[\w.]*$", line):
        return _visible(program, scope, {"policy"}, _qualifier(line)[0])
    if re.match(r"\s*apply\s+[\w.]+\s+to\s+\[?[\w.,\s]*$", line):
        return _visible(program, scope, {"prompt"}, _qualifier(line)[0])
    return None


def _setting_value(program, scope, context, line):
    match = re.match(r"\s*(\w+)\s*=\s*\[?(?:[\w.]+\s*,\s*)*[\w.]*$", line)
    if not match:
        return None
    key = match.group(1)
    if context.kinds and context.kinds[-1] == "given":
        return _given_value(program, scope, context, key)
    kinds = SETTING_KINDS.get(key)
    return _visible(program, scope, kinds, _qualifier(line)[0]) if kinds else []


def _test_prompt(program, scope, context):
    """The prompt the enclosing `test "..." for p` block tests."""
    header = next((h for h in context.blocks if h.startswith("test ")), None)
    match = re.search(r"\bfor\s+([\w.]+)\s*$", header or "")
    if not match:
        return None
    parts = tuple(n.Name(Span("", 0, 0), p) for p in match.group(1).split("."))
    sym = program.lookup(scope, parts, {"prompt"}, "a prompt", Sink()) if parts else None
    return signature(program, sym) if sym is not None else None


def _given_value(program, scope, context, key):
    sig = _test_prompt(program, scope, context)
    info = sig.params.get(key) if sig else None
    return _members(program, info.type) if info else []


def _given_object(program, scope, context, line):
    """`ticket = { priority: ` in `given`: the members of the field's enum (nested
    objects too), read along the keys of the open objects."""
    if "given" not in context.kinds or context.kinds[-1] != "{":
        return None
    headers = context.blocks[len(context.kinds) - context.kinds[::-1].index("given"):]
    keys = [re.search(r"(\w+)\s*[:=]\s*$", h) for h in headers]
    current = re.search(r"(\w+)\s*:\s*\w*$", line)
    if not current or not all(keys):
        return []
    sig = _test_prompt(program, scope, context)
    root = sig.params.get(keys[0].group(1)) if sig else None
    if root is None:
        return []
    path = ".".join([k.group(1) for k in keys[1:]] + [current.group(1)])
    return _members(program, _walk(program, root.type, path))


def _members(program, type_) -> list[Item]:
    type_ = ty.strip_optional(type_)
    if isinstance(type_, ty.ListT):
        type_ = ty.strip_optional(type_.elem)
    if not isinstance(type_, ty.EnumT):
        return []
    return [Item(m, "member", type_.name) for m in program.enums.get(type_.qname, {})]


def _expect(program, scope, context, line):
    match = re.match(r"\s*expect\s+output((?:\.\w+)*)\.(\w*)$", line)
    sig = _test_prompt(program, scope, context) if line.lstrip().startswith("expect") else None
    if match:
        type_ = _walk(program, sig.output, match.group(1)) if sig else None
        return _fields(program, type_)
    match = re.match(r"\s*expect\s+output((?:\.\w+)*)\s+(?:==|!=|in|not\s+in)\s+\[?[\w,\s]*$", line)
    if match:
        return _members(program, _walk(program, sig.output, match.group(1))) if sig else []
    return None


def _walk(program, type_, path: str):
    for name in [p for p in path.split(".") if p]:
        type_ = ty.strip_optional(type_)
        if isinstance(type_, ty.RecordT):
            info = program.records.get(type_.qname, {}).get(name)
            type_ = info.type if info else ty.ANY
        elif isinstance(type_, ty.MapT):
            type_ = type_.value
        elif isinstance(type_, _LoopOf):
            type_ = loop_fields(type_.elem).get(name, ty.ANY)
        else:
            return ty.ANY
    return type_


def _fields(program, type_) -> list[Item]:
    type_ = ty.strip_optional(type_) if type_ is not None else None
    if isinstance(type_, ty.RecordT):
        return [Item(k, "field", v.type.show()) for k, v in program.records.get(type_.qname, {}).items()]
    if isinstance(type_, _LoopOf):
        return [Item(k, "field", v.show()) for k, v in loop_fields(type_.elem).items()]
    return []


def _line_start(program, scope, context, line):
    if not re.match(r"\s*\w*$", line):
        return None
    if not context.kinds:
        return [Item(k, "keyword") for k in DECL_KEYWORDS]
    kind = context.kinds[-1]
    if kind == "given":
        sig = _test_prompt(program, scope, context)
        return [Item(k, "field", v.type.show()) for k, v in sig.params.items()] if sig else []
    return [Item(k, "key") for k in BLOCK_KEYS.get(kind, ())]


# ---- inside templates --------------------------------------------------------------------


@attrs.frozen
class _LoopOf:
    """The type of `loop` for completion (its fields depend on the items' type)."""

    elem: object


def _template(program, scope, decl, body: str) -> list[Item]:
    """In a template body: fields after `a.b.`, else variables and templates inside
    `{{ }}` / `{% %}`."""
    if not isinstance(decl, (n.Prompt, n.Template)):
        return []
    if body.rfind("{{") <= body.rfind("}}") and body.rfind("{%") <= body.rfind("%}"):
        return []  # in plain text
    variables = _variables(program, scope, decl, body)
    dotted = _PATH_DOT.search(body)
    if dotted:
        root, *rest = dotted.group(1).split(".")
        if root in variables:
            return _fields(program, _walk(program, variables[root], ".".join(rest)))
        return _visible(program, scope, {"template"}, dotted.group(1))
    if re.search(r"\|\s*\w*$", body):
        return [Item(f, "function", "filter") for f in sorted(FILTERS)]
    items = [Item(k, "variable", getattr(v, "show", lambda: "loop")()) for k, v in variables.items()]
    return items + _visible(program, scope, {"template"})


def _variables(program, scope, decl, body: str) -> dict[str, object]:
    """The parameters, then the loop variables of the `{% for %}` tags before the cursor."""
    params = program.fields_of(scope, decl.params, Sink())
    variables: dict[str, object] = {k: v.type for k, v in params.items()}
    for match in _FOR.finditer(body):
        root, *rest = match.group(2).split(".")
        items = ty.strip_optional(_walk(program, variables.get(root, ty.ANY), ".".join(rest)))
        elem = items.elem if isinstance(items, ty.ListT) else ty.ANY
        variables[match.group(1)] = elem
        variables["loop"] = _LoopOf(elem)
    return variables
