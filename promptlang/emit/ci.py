"""The `ci` target: what a CI system needs to test the prompts on every change.

Everything is written under `ci/` of the out folder (emitters never write elsewhere):

- `ci/tests.json`: the manifest of every test (format `popsc-tests/1`, described by
  `ci/tests.schema.json`, written beside it): for each prompt test its prompt, the
  prompt's version and content hash, the model it runs against, its inputs and its
  expectations; for each intent test its cases.
- `ci/promptfooconfig.yaml`: the prompt tests for promptfoo. Each test has a prompt of
  its own: the chat messages the generated SDK renders for the test's inputs (a JSON
  list of {role, content}), so promptfoo sends exactly what the SDK sends; each model is
  a provider (a replayed model is promptfoo's offline `echo`), and each expectation that
  promptfoo can check becomes an assertion (the others are listed in the test's
  metadata, under `not_mapped`, and left to `popsc test`).
- `ci/github/popsc.yml` (copy it to `.github/workflows/`), `ci/gitlab-ci.yml` (include
  it from `.gitlab-ci.yml`) and `ci/Jenkinsfile`: install this version of popsc, run
  `popsc check`, `popsc test --junit popsc-junit.xml` and `popsc build`, and publish the
  JUnit report.

YAML is built as data and serialised with PyYAML; only the first comment line (which
YAML data cannot hold) is added as text."""

from __future__ import annotations

import json
from importlib import resources
from urllib.parse import urlparse

import yaml

from promptlang import __version__
from promptlang import ir
from promptlang.emit.cache import EmitCache
from promptlang.emit.files import HEADER
from promptlang.emit.files import FileSet

FORMAT = "popsc-tests/1"
JUNIT = "popsc-junit.xml"
PYTHON = "3.12"


def emit(program: ir.ProgramIR, files: FileSet, cache: EmitCache | None = None) -> None:
    files.add_json("ci/tests.json", tests_manifest(program))
    files.add_json("ci/tests.schema.json", tests_schema())
    files.add("ci/promptfooconfig.yaml",
              _yaml(promptfoo_config(program, _rendered(program, files)),
                    "promptfoo config: `npx promptfoo@0.121.20 eval -c promptfooconfig.yaml`"))
    files.add("ci/github/popsc.yml",
              _yaml(github_workflow(program), "copy to .github/workflows/popsc.yml"))
    files.add("ci/gitlab-ci.yml",
              _yaml(gitlab_ci(program), "include from .gitlab-ci.yml (include: local: ...)"))
    files.add("ci/Jenkinsfile", jenkinsfile(program))


# ---- tests.json ----------------------------------------------------------------------

def tests_schema() -> dict:
    """The JSON Schema of `tests.json`."""
    text = resources.files("promptlang.emit").joinpath("schemas/tests.schema.json").read_text("utf-8")
    return json.loads(text)


def tests_manifest(program: ir.ProgramIR) -> dict:
    prompts = {p.qname: p for p in program.prompts}
    models = {m.qname: m for m in program.models}
    prompt_tests = []
    for test in program.tests:
        prompt = prompts.get(test.prompt)
        model = _model_of(test, prompt)
        prompt_tests.append({
            "id": f"{test.module}::{test.title}",
            "title": test.title,
            "module": test.module,
            "prompt": test.prompt,
            "prompt_version": prompt.version if prompt else None,
            "content_hash": prompt.content_hash if prompt else "",
            "model": model,
            "model_from": "test" if test.model else ("prompt" if model else "none"),
            "provider": models[model].provider if model in models else None,
            "inputs": ir.to_data(test.given),
            "expectations": [{"subject": e.subject, "op": e.op, "value": ir.to_data(e.value),
                              "flags": e.flags, "threshold": e.threshold, "line": e.line}
                             for e in test.expects],
        })
    return {
        "$schema": "tests.schema.json",
        "format": FORMAT,
        "generator": f"popsc {__version__}",
        "project": {k: v for k, v in program.project.items()
                    if k in ("name", "version", "description")},
        "prompt_tests": prompt_tests,
        "intent_tests": [{"name": t.name, "module": t.module,
                          "cases": [{"text": c.text, "intent": c.intent,
                                     "slots": ir.to_data(c.slots)} for c in t.cases]}
                         for t in program.intent_tests],
    }


def _model_of(test: ir.PromptTestIR, prompt: ir.PromptIR | None) -> str | None:
    return test.model or (prompt.model if prompt else None)


# ---- promptfoo -----------------------------------------------------------------------

def _rendered(program: ir.ProgramIR, files: FileSet) -> list[list[dict] | str]:
    """Per prompt test, the messages the generated SDK renders for its inputs (or the
    error that stopped it, as text)."""
    if not program.tests:
        return []
    import importlib

    from promptlang import preview
    from promptlang.emit import python
    from promptlang.emit.python.layout import Layout

    package = python.package_name(program)
    sdk = files
    if f"python/{package}/__init__.py" not in files.files:
        sdk = FileSet()
        python.emit(program, sdk)
    sdk_only = FileSet()
    sdk_only.files = {p: c for p, c in sdk.files.items() if p.startswith(f"python/{package}/")}
    layout = Layout(program, package)
    prompts = {p.qname: p for p in program.prompts}
    out: list[list[dict] | str] = []
    with preview._imported_from(sdk_only, package):
        for test in program.tests:
            prompt = prompts.get(test.prompt)
            try:
                if prompt is None:
                    raise LookupError(f"no prompt {test.prompt}")
                module = importlib.import_module(layout.dotted(prompt.module))
                compiled = getattr(module, layout.name_of[prompt.qname])
                messages = compiled.render(**compiled.arguments(ir.to_data(test.given)))
                out.append([{"role": m.role, "content": m.content} for m in messages])
            except Exception as error:  # noqa: BLE001 - reported in the config, not fatal
                out.append(f"{type(error).__name__}: {error}")
    return out


def provider_of(model: ir.ModelIR | None) -> dict:
    """The promptfoo provider for a popsc model: id, label (the model's qualified name)
    and the settings promptfoo's provider takes."""
    if model is None:
        return {"id": "echo", "label": "no-model"}
    s = model.settings
    name = model.model or model.name
    config: dict = {}
    if model.provider in ("openai", "openai_compatible"):
        pid = f"openai:chat:{name}"
        if s.get("base_url"):
            config["apiBaseUrl"] = s["base_url"]
        config.update({k: s[k] for k in ("temperature", "max_tokens", "top_p", "seed") if k in s})
    elif model.provider == "anthropic":
        pid = f"anthropic:messages:{name}"
        config.update({k: s[k] for k in ("temperature", "max_tokens", "top_p", "top_k") if k in s})
    elif model.provider == "azure_openai":
        pid = f"azureopenai:chat:{s.get('deployment') or name}"
        if s.get("base_url"):
            config["apiHost"] = urlparse(str(s["base_url"])).netloc or str(s["base_url"])
        config.update({k: s[k] for k in ("temperature", "max_tokens", "top_p", "seed") if k in s})
    elif model.provider == "ollama":
        pid = f"ollama:chat:{name}"
        config.update({k: s[k] for k in ("temperature",) if k in s})
    else:  # replay, and providers promptfoo has no equivalent for: offline echo
        pid = "echo"
    entry: dict = {"id": pid, "label": model.qname}
    if config:
        entry["config"] = config
    return entry


def promptfoo_config(program: ir.ProgramIR, rendered: list[list[dict] | str]) -> dict:
    prompts = {p.qname: p for p in program.prompts}
    models = {m.qname: m for m in program.models}
    providers: dict[str, dict] = {}
    pf_prompts: list[dict] = []
    pf_tests: list[dict] = []
    width = len(str(len(program.tests)))
    for index, (test, messages) in enumerate(zip(program.tests, rendered), start=1):
        prompt = prompts.get(test.prompt)
        model_name = _model_of(test, prompt)
        provider = provider_of(models.get(model_name) if model_name else None)
        providers.setdefault(provider["label"], provider)
        label = f"{index:0{width}d} {test.prompt}: {test.title}"
        if isinstance(messages, str):
            raw = json.dumps([{"role": "system", "content": f"popsc could not render this "
                               f"test's inputs: {messages}"}], ensure_ascii=False)
        else:
            raw = json.dumps(messages, ensure_ascii=False, indent=2)
        if any(mark in raw for mark in ("{{", "{%", "{#")):  # promptfoo renders prompts with nunjucks
            raw = "{% raw %}" + raw.replace("{% endraw %}", "{% endraw %}{{ '{% endraw %}' }}{% raw %}") + "{% endraw %}"
        pf_prompts.append({"label": label, "raw": raw})
        output_kind = prompt.output.kind if prompt else "string"
        asserts, not_mapped = [], []
        for expect in test.expects:
            mapped = assertion(expect, output_kind)
            if mapped is None:
                not_mapped.append(_expect_text(expect))
            else:
                asserts.append(mapped)
        metadata: dict = {
            "popsc_test": f"{test.module}::{test.title}",
            "prompt": test.prompt,
            "prompt_version": prompt.version if prompt else None,
            "content_hash": prompt.content_hash if prompt else None,
            "model": model_name,
        }
        if not_mapped:
            metadata["not_mapped"] = not_mapped
        if isinstance(messages, str):
            metadata["render_error"] = messages
        entry: dict = {"description": test.title, "prompts": [label],
                       "providers": [provider["label"]]}
        if asserts:
            entry["assert"] = asserts
        entry["metadata"] = metadata
        pf_tests.append(entry)
    name = program.project.get("name") or "popsc project"
    version = program.project.get("version")
    return {
        "description": f"{name}{' ' + version if version else ''}: prompt tests generated by "
                       f"popsc {__version__} (expectations promptfoo cannot check are listed "
                       f"in each test's metadata.not_mapped; `popsc test` checks them all)",
        "prompts": pf_prompts,
        "providers": [providers[k] for k in sorted(providers)],
        "tests": pf_tests,
    }


_COMPARE = {"==": "===", "!=": "!==", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


def _js(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _subject_js(subject: str) -> str:
    """JavaScript for the value an `output...` subject names, from promptfoo's `output`."""
    parsed = "(() => { try { return JSON.parse(output) } catch (e) { return output.trim() } })()"
    for part in subject.split(".")[1:]:
        parsed = f"({parsed})?.[{_js(part)}]"
    return parsed


def assertion(expect: ir.ExpectIR, output_kind: str) -> dict | None:
    """The promptfoo assertion that checks `expect`, None when promptfoo has none."""
    subject, op, value = expect.subject, expect.op, ir.to_data(expect.value)
    if subject == "rubric" or op == "rubric":
        return {"type": "llm-rubric", "value": str(value)}
    if subject == "latency" and op in ("<", "<="):
        return {"type": "latency", "threshold": int(round(float(value) * 1000))}
    if subject == "cost" and op in ("<", "<="):
        return {"type": "cost", "threshold": float(value)}
    if subject != "output" and not subject.startswith("output."):
        return None  # tokens, schema, ...: `popsc test` only
    whole_text = subject == "output" and output_kind == "string"
    if op == "similar_to":
        entry = {"type": "similar", "value": str(value)}
        if expect.threshold is not None:
            entry["threshold"] = expect.threshold
        if subject != "output":
            entry["transform"] = f"String({_subject_js(subject)} ?? '')"
        return entry
    if whole_text and op in ("contains", "not_contains") and isinstance(value, str):
        return {"type": "contains" if op == "contains" else "not-contains", "value": value}
    if whole_text and op in ("matches", "not_matches") and not expect.flags:
        return {"type": "regex" if op == "matches" else "not-regex", "value": str(value)}
    v = _subject_js(subject)
    if op in ("==", "!="):
        test = f"JSON.stringify(v) {_COMPARE[op]} JSON.stringify({_js(value)})"
    elif op in ("<", "<=", ">", ">="):
        test = f"typeof v === 'number' && v {_COMPARE[op]} {_js(value)}"
    elif op in ("contains", "not_contains"):
        test = (f"(Array.isArray(v) ? v.some(x => JSON.stringify(x) === JSON.stringify({_js(value)}))"
                f" : String(v ?? '').includes(String({_js(value)})))")
        if op == "not_contains":
            test = f"!{test}"
    elif op in ("matches", "not_matches"):
        test = f"new RegExp({_js(value)}, {_js(expect.flags or '')}).test(String(v ?? ''))"
        if op == "not_matches":
            test = f"!{test}"
    else:
        return None
    return {"type": "javascript", "value": f"((v) => {test})({v})"}


def _expect_text(expect: ir.ExpectIR) -> str:
    value = ir.to_data(expect.value)
    text = f"{expect.subject} {expect.op} {json.dumps(value, ensure_ascii=False)}"
    return f"line {expect.line}: {text}" if expect.line else text


# ---- CI systems ----------------------------------------------------------------------

def _install() -> str:
    return f'python -m pip install "promptlang=={__version__}"'


_COMMANDS = ("popsc check", f"popsc test --junit {JUNIT}", "popsc build")


def github_workflow(program: ir.ProgramIR) -> dict:
    return {
        "name": "popsc",
        "on": {"push": {"branches": ["main"]}, "pull_request": {}},
        "permissions": {"contents": "read"},
        "jobs": {"popsc": {
            "name": f"Check, test and build the prompts (popsc {__version__})",
            "runs-on": "ubuntu-latest",
            "steps": [
                {"uses": "actions/checkout@v6"},
                {"uses": "actions/setup-python@v6", "with": {"python-version": PYTHON}},
                {"name": f"Install popsc {__version__}", "run": _install()},
                {"name": "Check", "run": "popsc check --format github"},
                {"name": "Test", "run": _COMMANDS[1]},
                {"name": "Build", "run": _COMMANDS[2]},
                {"name": "Upload the JUnit report", "if": "always()",
                 "uses": "actions/upload-artifact@v6",
                 "with": {"name": "popsc-junit", "path": JUNIT, "if-no-files-found": "warn"}},
            ],
        }},
    }


def gitlab_ci(program: ir.ProgramIR) -> dict:
    return {
        "stages": ["test"],
        "popsc": {
            "stage": "test",
            "image": f"python:{PYTHON}",
            "script": [_install(), *_COMMANDS],
            "artifacts": {"when": "always", "paths": [JUNIT], "reports": {"junit": JUNIT}},
        },
    }


def _groovy(text: str) -> str:
    """A Groovy single-quoted string literal (no interpolation)."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def jenkinsfile(program: ir.ProgramIR) -> str:
    venv = ".venv-popsc"
    steps = [("Install popsc", f"python -m venv {venv} && {venv}/bin/{_install()}")]
    steps += [(title, f"{venv}/bin/{command}")
              for title, command in zip(("Check", "Test", "Build"), _COMMANDS)]
    lines = [
        f"// {HEADER.format(version=__version__)}",
        f"// Installs popsc {__version__}, then checks, tests and builds the prompts.",
        "pipeline {",
        f"    agent {{ docker {{ image {_groovy('python:' + PYTHON)} }} }}",
        "    stages {",
    ]
    for title, command in steps:
        lines += [f"        stage({_groovy(title)}) {{",
                  f"            steps {{ sh {_groovy(command)} }}",
                  "        }"]
    lines += [
        "    }",
        "    post {",
        f"        always {{ junit allowEmptyResults: true, testResults: {_groovy(JUNIT)} }}",
        "    }",
        "}",
    ]
    return "\n".join(lines) + "\n"


class _Dumper(yaml.SafeDumper):
    """PyYAML's safe dumper, writing multi-line strings as literal blocks (`|`)."""


def _str(dumper: yaml.SafeDumper, text: str):
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _str)


def _yaml(data: dict, note: str) -> str:
    header = f"# {HEADER.format(version=__version__)}\n# {note}\n"
    return header + yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                              width=100)
