"""The `docs` target: `docs/catalogue.md`, a Markdown catalogue of the project's prompts,
intents, tests and policies, with owners, versions and descriptions. Declarations are
listed by qualified name, so the same program gives the same bytes. The standard
library's prompts are left out; its policies are listed when a prompt applies them."""

from __future__ import annotations

import json

from promptlang import __version__
from promptlang import ir
from promptlang.emit.cache import EmitCache
from promptlang.emit.files import HEADER
from promptlang.emit.files import FileSet


def emit(program: ir.ProgramIR, files: FileSet, cache: EmitCache | None = None) -> None:
    files.add("docs/catalogue.md", catalogue(program))


def _std(module: str) -> bool:
    return module == "std" or module.startswith("std.")


def type_text(t: ir.TypeIR) -> str:
    """A type as `.pops` source writes it."""
    if t.kind in ("record", "enum"):
        return t.name or t.kind
    if t.kind == "optional" and t.of is not None:
        return type_text(t.of) + "?"
    if t.kind == "list" and t.of is not None:
        return f"list<{type_text(t.of)}>"
    if t.kind == "map" and t.of is not None:
        return f"map<string, {type_text(t.of)}>"
    return t.kind


def _code(text: str) -> str:
    """Inline code that survives backticks in the text."""
    text = str(text)
    fence = "``" if "`" in text else "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _cell(text: str) -> str:
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _anchor(qname: str) -> str:
    return qname.lower().replace(".", "")


def _link(qname: str, known: set[str]) -> str:
    return f"[{_code(qname)}](#{_anchor(qname)})" if qname in known else _code(qname)


def _field_notes(f: ir.FieldIR) -> str:
    notes = []
    if f.has_default:
        notes.append(f"default {_code(_json(f.default))}")
    for label, value in (("min length", f.min_len), ("max length", f.max_len),
                         ("minimum", f.minimum), ("maximum", f.maximum)):
        if value is not None:
            notes.append(f"{label} {value}")
    if f.pattern:
        notes.append(f"pattern {_code(f.pattern)}")
    if f.pii:
        notes.append("PII")
    if f.secret:
        notes.append("secret")
    if f.description:
        notes.append(f.description)
    return _cell("; ".join(notes))


def _fields_table(fields: tuple[ir.FieldIR, ...], what: str) -> list[str]:
    if not fields:
        return [f"No {what}s.", ""]
    lines = [f"| {what.capitalize()} | Type | Required | Notes |", "|---|---|---|---|"]
    for f in fields:
        lines.append(f"| {_code(f.name)} | {_code(type_text(f.type))} | "
                     f"{'yes' if f.required else 'no'} | {_field_notes(f)} |")
    return lines + [""]


def catalogue(program: ir.ProgramIR) -> str:
    prompts = sorted((p for p in program.prompts if not _std(p.module)), key=lambda p: p.qname)
    intents = sorted(program.intents, key=lambda i: i.qname)
    applied = {q for p in prompts for q in p.policies}
    policies = sorted((p for p in program.policies if not _std(p.module) or p.qname in applied),
                      key=lambda p: p.qname)
    models = {m.qname: m for m in program.models}
    known = {p.qname for p in prompts} | {i.qname for i in intents} | {p.qname for p in policies}
    tests_of: dict[str, list[ir.PromptTestIR]] = {}
    for test in program.tests:
        tests_of.setdefault(test.prompt, []).append(test)
    routed_by: dict[str, list[str]] = {}
    for intent in intents:
        if intent.route_prompt:
            routed_by.setdefault(intent.route_prompt, []).append(intent.qname)

    project = program.project
    title = project.get("name") or "Prompt catalogue"
    out = [f"<!-- {HEADER.format(version=__version__)} -->", "", f"# {title}: prompt catalogue",
           ""]
    if project.get("description"):
        out += [str(project["description"]), ""]
    if project.get("version"):
        out += [f"Project version {_code(project['version'])}.", ""]
    n_tests = len(program.tests) + sum(len(t.cases) for t in program.intent_tests)
    out += [f"{len(prompts)} prompts, {len(intents)} intents, {len(program.tests)} prompt tests "
            f"and {sum(len(t.cases) for t in program.intent_tests)} intent test cases "
            f"({n_tests} in all), {len(policies)} policies.", ""]

    out += ["## Prompts", ""]
    if prompts:
        out += ["| Prompt | Version | Owner | Model | Tests |", "|---|---|---|---|---|"]
        for p in prompts:
            out.append(f"| {_link(p.qname, known)} | {_cell(p.version or '-')} | "
                       f"{_cell(p.owner or '-')} | {_cell(p.model or '-')} | "
                       f"{len(tests_of.get(p.qname, []))} |")
        out.append("")
    else:
        out += ["No prompts.", ""]
    for p in prompts:
        out += [f"### {p.qname}", ""]
        facts = [f"- Module: {_code(p.module)}",
                 f"- Version: {_code(p.version) if p.version else 'none'}",
                 f"- Owner: {p.owner or 'none'}"]
        if p.tags:
            facts.append("- Tags: " + ", ".join(_code(t) for t in p.tags))
        model = models.get(p.model) if p.model else None
        if model is not None:
            facts.append(f"- Model: {_code(p.model)} ({model.provider}"
                         f"{' ' + _code(model.model) if model.model else ''})")
        else:
            facts.append(f"- Model: {_code(p.model) if p.model else 'none'}")
        facts.append(f"- Output: {_code(type_text(p.output))}")
        facts.append("- Policies: " + (", ".join(_link(q, known) for q in p.policies)
                                       if p.policies else "none"))
        if p.qname in routed_by:
            facts.append("- Routed to by: " + ", ".join(_link(q, known)
                                                        for q in routed_by[p.qname]))
        facts.append(f"- Content hash: {_code(p.content_hash)}")
        out += [x for d in (p.description, p.doc) if d for x in (d, "")]
        out += facts + [""]
        out += ["Parameters:", ""] + _fields_table(p.params, "parameter")
        tests = tests_of.get(p.qname, [])
        if tests:
            out += ["Tests:", ""]
            out += [f"- {t.title} ({_code(t.module)}, {len(t.expects)} expectations"
                    f"{', model ' + _code(t.model) if t.model else ''})" for t in tests]
        else:
            out += ["Tests: none."]
        out.append("")

    out += ["## Intents", ""]
    if not intents:
        out += ["No intents.", ""]
    for i in intents:
        out += [f"### {i.qname}", ""]
        out += [x for d in (i.description, i.doc) if d for x in (d, "")]
        route = "none"
        if i.route_prompt:
            args = []
            for a in i.route_args:
                source = {"slot": a.slot, "input": "input"}.get(a.source, _json(a.value))
                args.append(f"{a.param} = {source}")
            route = f"{_link(i.route_prompt, known)} ({_code(', '.join(args))})" if args \
                else _link(i.route_prompt, known)
        out += [f"- Module: {_code(i.module)}", f"- Route: {route}",
                f"- Threshold: {i.threshold if i.threshold is not None else 'default'}", ""]
        out += ["Slots:", ""] + _fields_table(i.slots, "slot")
        out += ["Examples:", ""] + [f"- {_code(e)}" for e in i.examples] + [""]

    out += ["## Tests", "", "### Prompt tests", ""]
    if program.tests:
        out += ["| Test | Module | Prompt | Model | Expectations |", "|---|---|---|---|---|"]
        prompt_models = {p.qname: p.model for p in program.prompts}
        for t in program.tests:
            model = t.model or prompt_models.get(t.prompt) or "-"
            out.append(f"| {_cell(t.title)} | {_cell(t.module)} | {_link(t.prompt, known)} | "
                       f"{_cell(model)} | {len(t.expects)} |")
        out.append("")
    else:
        out += ["No prompt tests.", ""]
    out += ["### Intent tests", ""]
    if not program.intent_tests:
        out += ["No intent tests.", ""]
    for t in program.intent_tests:
        out += [f"{_code(t.module + '.' + t.name)}:", "", "| Text | Intent | Slots |",
                "|---|---|---|"]
        for c in t.cases:
            out.append(f"| {_cell(c.text)} | {_cell(c.intent or 'none')} | "
                       f"{_cell(_json(c.slots)) if c.slots else '-'} |")
        out.append("")

    out += ["## Policies", ""]
    if not policies:
        out += ["No policies.", ""]
    applied_to: dict[str, list[str]] = {}
    for p in prompts:
        for q in p.policies:
            applied_to.setdefault(q, []).append(p.qname)
    for pol in policies:
        out += [f"### {pol.qname}", ""]
        out += [x for d in (pol.description, pol.doc) if d for x in (d, "")]
        out += [f"- Module: {_code(pol.module)}", f"- Severity: {pol.severity}",
                "- Applied to: " + (", ".join(_link(q, known) for q in applied_to[pol.qname])
                                    if pol.qname in applied_to else "no prompt"), ""]
        out += ["| Rule | Subject | Operator | Value |", "|---|---|---|---|"]
        for r in pol.rules:
            value = r.value if r.flags is None else f"/{r.value}/{r.flags}"
            out.append(f"| {r.kind} | {_cell(r.subject or '-')} | {_cell(r.op or '-')} | "
                       f"{_cell(_code(_json(value)) if value is not None else '-')} |")
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"
