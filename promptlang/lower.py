"""Lower a checked program into the IR: names resolved to qualified names, literals to
JSON values, templates kept as text with their calls resolved. Runs only on programs
without errors, so a failure here is a bug, not a user mistake."""

from __future__ import annotations

import hashlib
import json

import jinja2
from jinja2 import nodes as jn

from promptlang import ir
from promptlang import types as ty
from promptlang.checks.compliance import applied_policies
from promptlang.checks.intents import intent_slots
from promptlang.checks.policies import interpret
from promptlang.checks.values import dotted_parts
from promptlang.diagnostics.sink import Sink
from promptlang.resolve import FieldInfo
from promptlang.resolve import Program
from promptlang.resolve import signature
from promptlang.syntax import nodes as n
from promptlang.syntax.docs import doc_comment

_ENV = jinja2.Environment()


def lower(program: Program, project: dict) -> ir.ProgramIR:
    """The IR of a program that checked without errors."""
    return _Lowering(program).run(project)


def _once_per_symbol(method):
    """Lower a declaration once: content hashes lower the records, templates and models
    a prompt reaches, which many prompts share."""
    def lowered(self, sym):
        key = (method.__name__, sym.qname)
        if key not in self.memo:
            self.memo[key] = method(self, sym)
        return self.memo[key]
    lowered.__doc__ = method.__doc__
    return lowered


def lower_prompts(program: Program, symbols) -> list[ir.PromptIR]:
    """The IR of these prompts only, with what their content hashes reach, not the whole
    program (`popsc lock` and the lock check need just the hashes)."""
    lowering = _Lowering(program)
    return [lowering.prompt(sym) for sym in symbols]


class _Lowering:
    def __init__(self, program: Program):
        self.program = program
        self.project: dict = {}
        self.memo: dict[tuple[str, str], object] = {}
        self.scratch = Sink()
        self.applied = applied_policies(program, self.scratch)

    def run(self, project: dict) -> ir.ProgramIR:
        self.project = project
        by_kind: dict[str, list] = {}
        for qname in sorted(self.program.symbols):
            sym = self.program.symbols[qname]
            by_kind.setdefault(sym.kind, []).append(sym)
        tests, intent_tests = self._tests()
        return ir.ProgramIR(
            format=ir.FORMAT, project=project,
            records=tuple(self.record(s) for s in by_kind.get("record", ())),
            enums=tuple(self.enum(s) for s in by_kind.get("enum", ())),
            models=tuple(self.model(s) for s in by_kind.get("model", ())),
            templates=tuple(self.template(s) for s in by_kind.get("template", ())),
            prompts=tuple(self.prompt(s) for s in by_kind.get("prompt", ())),
            intents=tuple(self.intent(s) for s in by_kind.get("intent", ())),
            tests=tests, intent_tests=intent_tests,
            policies=tuple(self.policy(s) for s in by_kind.get("policy", ())),
            environments=tuple(self.environment(s) for s in by_kind.get("environment", ())),
        )

    # ---- helpers ------------------------------------------------------------------
    def doc(self, sym) -> str | None:
        scope = self.program.scopes[sym.module]
        return doc_comment(scope.ast, scope.source.text, sym.decl)

    def ref(self, scope, expr, kind: str) -> str | None:
        parts = dotted_parts(expr)
        sym = parts and self.program.lookup(scope, parts, {kind}, kind, self.scratch)
        return sym.qname if sym else None

    def field(self, info: FieldInfo, scope) -> ir.FieldIR:
        c = info.constraints
        default = info.decl.default
        return ir.FieldIR(
            name=info.name, type=type_ir(info.type), required=info.required,
            default=literal(default, scope, self) if default is not None else None,
            has_default=default is not None, pii=c.pii, secret=c.secret,
            min_len=c.min_len, max_len=c.max_len, pattern=c.pattern,
            minimum=c.range[0] if c.range else None, maximum=c.range[1] if c.range else None,
            description=c.description,
        )

    def settings(self, entries) -> dict[str, n.Setting]:
        return {e.key.value: e for e in entries if isinstance(e, n.Setting)}

    # ---- declarations -----------------------------------------------------------------
    @_once_per_symbol
    def record(self, sym) -> ir.RecordIR:
        scope = self.program.scopes[sym.module]
        fields = self.program.records.get(sym.qname, {})
        return ir.RecordIR(qname=sym.qname, name=sym.name, module=sym.module, doc=self.doc(sym),
                           fields=tuple(self.field(f, scope) for f in fields.values()))

    @_once_per_symbol
    def enum(self, sym) -> ir.EnumIR:
        return ir.EnumIR(qname=sym.qname, name=sym.name, module=sym.module, doc=self.doc(sym),
                         members=tuple(self.program.enums.get(sym.qname, {})))

    @_once_per_symbol
    def model(self, sym) -> ir.ModelIR:
        scope = self.program.scopes[sym.module]
        settings = self.settings(sym.decl.entries)
        values = {k: literal(s.value, scope, self) for k, s in sorted(settings.items())
                  if k not in ("provider", "name", "api_key", "fallback")}
        fallback = settings.get("fallback")
        return ir.ModelIR(
            qname=sym.qname, name=sym.name, module=sym.module,
            provider=_text(settings.get("provider")) or "",
            model=_text(settings.get("name")), settings=values,
            api_key=secret_ref(settings["api_key"].value) if "api_key" in settings else None,
            fallback=tuple(q for q in (self.ref(scope, i, "model") for i in
                                       (fallback.value.items if fallback else ())) if q),
        )

    def calls(self, scope, body: str) -> dict[str, str]:
        """Each template call written in `body`, resolved to the template's qname."""
        found: dict[str, str] = {}
        if "(" not in body or "{" not in body:  # no call without both: skip Jinja's parser
            return found
        try:
            tree = _ENV.parse(body)
        except jinja2.TemplateSyntaxError:
            return found
        for call in tree.find_all(jn.Call):
            text = _callee_text(call.node)
            if text is None:
                continue
            nowhere = scope.source.span(0, 0)
            parts = tuple(n.Name(nowhere, p) for p in text.split("."))
            sym = self.program.lookup(scope, parts, {"template"}, "a template", self.scratch)
            if sym is not None:
                found[text] = sym.qname
        return dict(sorted(found.items()))

    @_once_per_symbol
    def template(self, sym) -> ir.TemplateIR:
        scope = self.program.scopes[sym.module]
        params = signature(self.program, sym).params
        body = sym.decl.body.value
        return ir.TemplateIR(qname=sym.qname, name=sym.name, module=sym.module, doc=self.doc(sym),
                             params=tuple(self.field(p, scope) for p in params.values()),
                             body=body, calls=self.calls(scope, body))

    def prompt(self, sym) -> ir.PromptIR:
        scope = self.program.scopes[sym.module]
        sig = signature(self.program, sym)
        settings = self.settings(sym.decl.entries)
        messages = tuple(
            ir.MessageIR(role=e.keyword.value, body=e.expr.value, calls=self.calls(scope, e.expr.value))
            for e in sym.decl.entries
            if isinstance(e, n.Rule) and e.keyword.value in ("system", "user", "assistant")
            and isinstance(e.expr, n.Str))
        model = self.ref(scope, settings["model"].value, "model") if "model" in settings else None
        tags = settings.get("tags")
        fields = dict(
            qname=sym.qname, name=sym.name, module=sym.module, doc=self.doc(sym),
            version=_text(settings.get("version")), owner=_text(settings.get("owner")),
            description=_text(settings.get("description")),
            tags=tuple(i.value for i in tags.value.items) if tags else (),
            params=tuple(self.field(p, scope) for p in sig.params.values()),
            output=type_ir(sig.output), model=model, messages=messages,
            policies=tuple(sorted(self.applied.get(sym.qname, ()))),
        )
        return ir.PromptIR(content_hash=self.content_hash(fields), **fields)

    def content_hash(self, fields: dict) -> str:
        """What a prompt's behaviour depends on: parameters, output type (with the records
        and enums it reaches), messages, the templates they call, and its model."""
        content = {
            "params": fields["params"], "output": fields["output"], "messages": fields["messages"],
            "types": self.reachable_types([p.type for p in fields["params"]] + [fields["output"]]),
            "templates": self.reachable_templates(fields["messages"]),
            "model": self.model(self.program.symbols[fields["model"]]) if fields["model"] else None,
        }
        text = json.dumps(ir.to_data(content), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def reachable_types(self, roots) -> list:
        seen: dict[str, object] = {}
        stack = list(roots)
        while stack:
            t_ = stack.pop()
            if t_ is None:
                continue
            if t_.kind in ("record", "enum") and t_.name not in seen:
                sym = self.program.symbols[t_.name]
                seen[t_.name] = self.record(sym) if t_.kind == "record" else self.enum(sym)
                if t_.kind == "record":
                    stack.extend(f.type for f in seen[t_.name].fields)
            stack.append(t_.of)
        return [seen[k] for k in sorted(seen)]

    def reachable_templates(self, messages) -> list:
        seen: dict[str, ir.TemplateIR] = {}
        stack = [q for m in messages for q in m.calls.values()]
        while stack:
            qname = stack.pop()
            if qname not in seen:
                seen[qname] = self.template(self.program.symbols[qname])
                stack.extend(seen[qname].calls.values())
        return [seen[k] for k in sorted(seen)]

    def intent(self, sym) -> ir.IntentIR:
        scope = self.program.scopes[sym.module]
        settings = self.settings(sym.decl.entries)
        slots = intent_slots(self.program, sym)
        examples = settings.get("examples")
        route = settings.get("route")
        prompt, args = None, ()
        if route is not None and isinstance(route.value, n.Call):
            prompt = self.ref(scope, route.value.func, "prompt")
            args = tuple(self.route_arg(a, slots, scope) for a in route.value.args if a.name)
        threshold = settings.get("threshold")
        return ir.IntentIR(
            qname=sym.qname, name=sym.name, module=sym.module, doc=self.doc(sym),
            description=_text(settings.get("description")),
            examples=tuple(i.value for i in examples.value.items if isinstance(i, n.Str)) if examples else (),
            slots=tuple(self.field(s, scope) for s in slots.values()),
            route_prompt=prompt, route_args=args,
            threshold=float(threshold.value.value) if threshold else None,
            matcher=_matcher(settings.get("matcher"), self.project),
        )

    def route_arg(self, arg: n.Arg, slots, scope) -> ir.RouteArgIR:
        value = arg.value
        if isinstance(value, n.Ident) and value.name in slots:
            return ir.RouteArgIR(param=arg.name.value, source="slot", slot=value.name)
        if isinstance(value, n.Ident) and value.name == "input":
            return ir.RouteArgIR(param=arg.name.value, source="input")
        return ir.RouteArgIR(param=arg.name.value, source="value", value=literal(value, scope, self))

    def policy(self, sym) -> ir.PolicyIR:
        settings = self.settings(sym.decl.entries)
        rules = []
        for entry in sym.decl.entries:
            if isinstance(entry, n.Rule):
                rule = interpret(entry, self.scratch)
                if rule is not None and rule.kind != "invalid":
                    rules.append(policy_rule(rule))
        severity = settings.get("severity")
        return ir.PolicyIR(
            qname=sym.qname, name=sym.name, module=sym.module, doc=self.doc(sym),
            severity=severity.value.name if severity and isinstance(severity.value, n.Ident) else "error",
            description=_text(settings.get("description")), rules=tuple(rules))

    def environment(self, sym) -> ir.EnvironmentIR:
        scope = self.program.scopes[sym.module]
        settings, secrets = block_data(sym.decl.entries, scope, self)
        return ir.EnvironmentIR(qname=sym.qname, name=sym.name, module=sym.module,
                                settings=settings, secrets=secrets)

    # ---- tests ----------------------------------------------------------------------
    def _tests(self):
        tests, intent_tests = [], []
        for name in sorted(self.program.scopes):
            scope = self.program.scopes[name]
            for decl in scope.ast.decls:
                if isinstance(decl, n.Test):
                    tests.append(self.prompt_test(scope, decl))
                elif isinstance(decl, n.IntentTests):
                    intent_tests.append(self.intent_test(scope, decl))
        return tuple(tests), tuple(intent_tests)

    def prompt_test(self, scope, decl: n.Test) -> ir.PromptTestIR:
        given: dict = {}
        expects = []
        model = None
        for entry in decl.entries:
            if isinstance(entry, n.Block) and entry.kind.value == "given":
                given.update({e.key.value: literal(e.value, scope, self)
                              for e in entry.entries if isinstance(e, n.Setting)})
            elif isinstance(entry, n.Rule) and entry.keyword.value == "expect":
                expects.append(expectation(entry, scope.source))
            elif isinstance(entry, n.Setting) and entry.key.value == "model":
                model = self.ref(scope, entry.value, "model")
        target = self.program.lookup(scope, decl.target.parts, {"prompt"}, "a prompt", self.scratch)
        return ir.PromptTestIR(title=decl.title.value, module=scope.module,
                               prompt=target.qname if target else decl.target.text,
                               model=model, given=given, expects=tuple(expects))

    def intent_test(self, scope, decl: n.IntentTests) -> ir.IntentTestIR:
        cases = []
        for entry in decl.entries:
            if not isinstance(entry, n.Mapping):
                continue
            target, slots = entry.target, {}
            if isinstance(target, n.Call):
                slots = {a.name.value: literal(a.value, scope, self) for a in target.args if a.name}
                target = target.func
            intent = None
            if not (isinstance(target, n.Ident) and target.name == "none"):
                intent = self.ref(scope, target, "intent")
            cases.append(ir.IntentCaseIR(text=entry.text.value, intent=intent, slots=slots,
                                         line=scope.source.line_col(entry.span.start)[0]))
        return ir.IntentTestIR(name=decl.name.value, module=scope.module, cases=tuple(cases))


# ---- values -------------------------------------------------------------------------------


def type_ir(t_: ty.Type) -> ir.TypeIR:
    if isinstance(t_, ty.Prim):
        return ir.TypeIR(kind=t_.name)
    if isinstance(t_, ty.ListT):
        return ir.TypeIR(kind="list", of=type_ir(t_.elem))
    if isinstance(t_, ty.MapT):
        return ir.TypeIR(kind="map", of=type_ir(t_.value))
    if isinstance(t_, ty.OptionalT):
        return ir.TypeIR(kind="optional", of=type_ir(t_.inner))
    if isinstance(t_, ty.RecordT):
        return ir.TypeIR(kind="record", name=t_.qname)
    if isinstance(t_, ty.EnumT):
        return ir.TypeIR(kind="enum", name=t_.qname)
    return ir.TypeIR(kind="any")


def literal(expr, scope, lowering: _Lowering | None = None):
    """The JSON value of a checked literal: enum members by name, durations in seconds,
    `file("...")` as the file's text, secrets as references."""
    handler = _LITERALS.get(type(expr))
    if handler is not None:
        return handler(expr, scope, lowering)
    return None


def _object(expr, scope, lowering):
    return {e.key.value: literal(e.value, scope, lowering) for e in expr.entries}


def _call(expr: n.Call, scope, lowering):
    name = expr.func.name if isinstance(expr.func, n.Ident) else None
    if name in ("env", "vault"):
        return ir.to_data(secret_ref(expr))
    if name == "file" and lowering is not None and lowering.program.root:
        import os

        path = os.path.join(lowering.program.root, expr.args[0].value.value)
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    return None


_LITERALS = {
    n.Str: lambda e, s, l: e.value, n.Int: lambda e, s, l: e.value, n.Float: lambda e, s, l: e.value,
    n.Bool: lambda e, s, l: e.value, n.Null: lambda e, s, l: None,
    n.Duration: lambda e, s, l: e.ms / 1000.0, n.Percent: lambda e, s, l: e.value,
    n.Range: lambda e, s, l: {"min": e.lo, "max": e.hi},
    n.Regex: lambda e, s, l: {"pattern": e.pattern, "flags": e.flags},
    n.ListExpr: lambda e, s, l: [literal(i, s, l) for i in e.items],
    n.ObjectExpr: _object, n.Ident: lambda e, s, l: e.name, n.Attr: lambda e, s, l: e.name.value,
    n.Call: _call,
}


def secret_ref(expr) -> ir.SecretRef | None:
    if not (isinstance(expr, n.Call) and isinstance(expr.func, n.Ident)):
        return None
    values = [a.value.value for a in expr.args if isinstance(a.value, n.Str)]
    if expr.func.name == "env" and len(values) == 1:
        return ir.SecretRef(source="env", name=values[0])
    if expr.func.name == "vault" and len(values) == 2:
        return ir.SecretRef(source="vault", path=values[0], key=values[1])
    return None


def _matcher(setting, project: dict) -> str:
    """An intent's `matcher`, else the project's (`[intents] matcher`), else lexical."""
    if setting is not None and isinstance(setting.value, n.Ident):
        return setting.value.name
    return str(project.get("intent_matcher") or "lexical")


def _text(setting) -> str | None:
    return setting.value.value if setting is not None and isinstance(setting.value, n.Str) else None


def _callee_text(node) -> str | None:
    if isinstance(node, jn.Name):
        return node.name
    if isinstance(node, jn.Getattr):
        head = _callee_text(node.node)
        return None if head is None else f"{head}.{node.attr}"
    return None


def policy_rule(rule) -> ir.PolicyRuleIR:
    value = rule.value
    flags = None
    if isinstance(value, n.Regex):
        value, flags = value.pattern, value.flags
    elif isinstance(value, n.ListExpr):
        value = [i.value for i in value.items]
    return ir.PolicyRuleIR(kind=rule.kind, subject=rule.subject or None, op=rule.op or None,
                           value=value, flags=flags)


def expectation(rule: n.Rule, source) -> ir.ExpectIR:
    e = rule.expr
    line = source.line_col(rule.span.start)[0]
    if isinstance(e, n.Apply) and e.word.value == "rubric":
        return ir.ExpectIR(subject="rubric", op="rubric", value=literal(e.arg, None), line=line)
    if isinstance(e, n.Similar):
        return ir.ExpectIR(subject=_path(e.left), op="similar_to", value=literal(e.reference, None),
                           threshold=float(literal(e.threshold, None)), flags=e.op, line=line)
    if isinstance(e, n.Compare):
        if isinstance(e.right, n.Regex):
            return ir.ExpectIR(subject=_path(e.left), op=e.op, value=e.right.pattern,
                               flags=e.right.flags, line=line)
        return ir.ExpectIR(subject=_path(e.left), op=e.op, value=literal(e.right, None), line=line)
    return ir.ExpectIR(subject=_path(e), op="truthy", line=line)


def _path(expr) -> str:
    parts = dotted_parts(expr)
    return ".".join(p.value for p in parts) if parts else "output"


def block_data(entries, scope, lowering) -> tuple[dict, dict]:
    """Environment settings as nested data (`monitor` rules as a list), secrets apart."""
    data: dict = {}
    secrets: dict[str, ir.SecretRef] = {}
    for entry in entries:
        if isinstance(entry, n.Setting):
            data[entry.key.value] = literal(entry.value, scope, lowering)
        elif isinstance(entry, n.Block) and entry.kind.value == "secrets":
            for s in entry.entries:
                if isinstance(s, n.Setting) and secret_ref(s.value):
                    secrets[s.key.value] = secret_ref(s.value)
        elif isinstance(entry, n.Block) and entry.kind.value == "monitor":
            data["monitor"] = [_monitor_rule(r) for r in entry.entries if isinstance(r, n.Rule)]
        elif isinstance(entry, n.Block):
            inner, _ = block_data(entry.entries, scope, lowering)
            if entry.label is not None:
                inner = {"strategy": entry.label.value, **inner}
            if entry.kind.value == "rollout" and "prompts" in inner:
                inner["prompts"] = [lowering.ref(scope, i, "prompt") for i in _items(entry, "prompts")]
            data[entry.kind.value] = inner
    return data, secrets


def _items(block: n.Block, key: str):
    for entry in block.entries:
        if isinstance(entry, n.Setting) and entry.key.value == key and isinstance(entry.value, n.ListExpr):
            return entry.value.items
    return ()


def _monitor_rule(rule: n.Rule) -> dict:
    e = rule.expr
    data = {"kind": rule.keyword.value}
    if isinstance(e, n.Compare):
        data.update(metric=_path(e.left), op=e.op, value=literal(e.right, None))
    if rule.for_ is not None:
        data["for"] = literal(rule.for_, None)
    return data
