"""The target-neutral IR: a checked program, resolved and flattened, the only input of
every emitter. Frozen attrs data with JSON-ready fields; `to_data` turns it into the
plain dicts and lists that `bundle.json` holds."""

from __future__ import annotations

import enum
import typing as t

import attrs

FORMAT = "popsc-bundle/1"

ir = attrs.frozen(kw_only=True)


@ir
class TypeIR:
    """A type: `kind` is string, int, float, bool, list, map, optional, record, enum or
    any; `name` is the qualified name of a record or enum; `of` the element type."""

    kind: str
    name: str | None = None
    of: TypeIR | None = None


@ir
class FieldIR:
    """A record field, a parameter or a slot, with what its annotations say."""

    name: str
    type: TypeIR
    required: bool
    default: t.Any = None
    has_default: bool = False
    pii: bool = False
    secret: bool = False
    min_len: int | None = None
    max_len: int | None = None
    pattern: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    description: str | None = None


@ir
class RecordIR:
    """A record type."""

    qname: str
    name: str
    module: str
    doc: str | None
    fields: tuple[FieldIR, ...]


@ir
class EnumIR:
    """An enum type; members in declaration order."""

    qname: str
    name: str
    module: str
    doc: str | None
    members: tuple[str, ...]


@ir
class SecretRef:
    """Where a secret comes from: `env` (variable `name`) or `vault` (`path`, `key`)."""

    source: str
    name: str | None = None
    path: str | None = None
    key: str | None = None


@ir
class ModelIR:
    """A model: its provider and settings, durations in seconds."""

    qname: str
    name: str
    module: str
    provider: str
    model: str | None
    settings: dict[str, t.Any]
    api_key: SecretRef | None
    fallback: tuple[str, ...]


@ir
class TemplateIR:
    """A reusable template; `calls` maps each callee as written to its qualified name."""

    qname: str
    name: str
    module: str
    doc: str | None
    params: tuple[FieldIR, ...]
    body: str
    calls: dict[str, str]


@ir
class MessageIR:
    """One message block of a prompt."""

    role: str
    body: str
    calls: dict[str, str]


@ir
class PromptIR:
    """A prompt with everything needed to render and call it."""

    qname: str
    name: str
    module: str
    doc: str | None
    version: str | None
    owner: str | None
    description: str | None
    tags: tuple[str, ...]
    params: tuple[FieldIR, ...]
    output: TypeIR
    model: str | None
    messages: tuple[MessageIR, ...]
    policies: tuple[str, ...]
    content_hash: str


@ir
class RouteArgIR:
    """A route argument: from a slot, from the raw `input`, or a literal `value`."""

    param: str
    source: str
    slot: str | None = None
    value: t.Any = None


@ir
class IntentIR:
    """An intent with its examples, typed slots and route."""

    qname: str
    name: str
    module: str
    doc: str | None
    description: str | None
    examples: tuple[str, ...]
    slots: tuple[FieldIR, ...]
    route_prompt: str | None
    route_args: tuple[RouteArgIR, ...]
    threshold: float | None
    matcher: str = "lexical"


@ir
class ExpectIR:
    """One assertion: `subject` (output, output.a.b, latency, tokens, cost, rubric), an
    operator and the value it is checked against (text, number, seconds, pattern).
    `flags` are a regex's flags, or for `similar_to` how the score meets `threshold`
    (`>=` or `>`)."""

    subject: str
    op: str
    value: t.Any = None
    flags: str | None = None
    threshold: float | None = None
    line: int = 0


@ir
class PromptTestIR:
    """`test "title" for prompt { given ... expect ... }`."""

    title: str
    module: str
    prompt: str
    model: str | None
    given: dict[str, t.Any]
    expects: tuple[ExpectIR, ...]


@ir
class IntentCaseIR:
    """One `"text" -> intent(slots)` line; `intent` None means `none`."""

    text: str
    intent: str | None
    slots: dict[str, t.Any]
    line: int = 0


@ir
class IntentTestIR:
    """`test intents { ... }`."""

    name: str
    module: str
    cases: tuple[IntentCaseIR, ...]


@ir
class PolicyRuleIR:
    """A rule: kind forbid, deny_match, deny_words, require_model, require_field or
    require_tests; runtime rules are the `deny_*` ones."""

    kind: str
    subject: str | None = None
    op: str | None = None
    value: t.Any = None
    flags: str | None = None


@ir
class PolicyIR:
    """A policy and its rules."""

    qname: str
    name: str
    module: str
    doc: str | None
    severity: str
    description: str | None
    rules: tuple[PolicyRuleIR, ...]


@ir
class EnvironmentIR:
    """An environment: deploy and monitoring settings as written, secrets as references."""

    qname: str
    name: str
    module: str
    settings: dict[str, t.Any]
    secrets: dict[str, SecretRef]


@ir
class ProgramIR:
    """A whole checked program."""

    format: str
    project: dict[str, t.Any]
    records: tuple[RecordIR, ...]
    enums: tuple[EnumIR, ...]
    models: tuple[ModelIR, ...]
    templates: tuple[TemplateIR, ...]
    prompts: tuple[PromptIR, ...]
    intents: tuple[IntentIR, ...]
    tests: tuple[PromptTestIR, ...]
    intent_tests: tuple[IntentTestIR, ...]
    policies: tuple[PolicyIR, ...]
    environments: tuple[EnvironmentIR, ...]


def to_data(value: t.Any) -> t.Any:
    """Plain JSON data: attrs classes become dicts (sorted keys when serialised),
    tuples become lists."""
    cls = type(value)
    if cls in _SCALARS:
        return value
    names = _field_names(cls)
    if names is not None:
        return {name: to_data(getattr(value, name)) for name in names}
    if isinstance(value, (list, tuple)):
        return [to_data(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_data(v) for k, v in value.items()}
    if isinstance(value, enum.Enum):
        return value.value
    return value


_SCALARS = frozenset({str, int, float, bool, type(None)})
_NAMES: dict[type, tuple[str, ...] | None] = {}


def _field_names(cls: type) -> tuple[str, ...] | None:
    """The field names of an attrs class, None for other types (memoised: `to_data`
    runs over every node of a large program)."""
    try:
        return _NAMES[cls]
    except KeyError:
        names = tuple(f.name for f in attrs.fields(cls)) if attrs.has(cls) else None
        _NAMES[cls] = names
        return names
