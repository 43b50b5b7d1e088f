"""The `ci` target: what a CI system needs to test the prompts on every change.

Everything is written under `ci/` of the out folder (emitters never write elsewhere):

- `ci/tests.json`: the manifest of every test (format `popsc-tests/1`, described by
  `ci/tests.schema.json`, written beside it): for each prompt test its prompt, the
  prompt's version and content hash, the model it runs against, its inputs and its
  expectations; for each intent test its cases.
- `ci/promptfooconfig.yaml`: the prompt tests for promptfoo. Each test has a prompt of
  its own: the chat messages the generated SDK renders for the test's inputs (a JSON
  list of {role, content}), so promptfoo sends exactly what the SDK sends; each model is
  a provider (a replayed model is the replay provider below), and each expectation that
  promptfoo can check becomes an assertion (the others are listed in the test's
  metadata, under `not_mapped`, and left to `popsc test`). Each test's `vars` hold
  `popsc_recording`: the path, relative to the project root, of the recording `popsc
  test` replays for it (`tests/recordings/<prompt>/<key>.json`, the same key).
- `ci/promptfooconfig.replay.yaml`: the same tests, offline: every test runs against
  `ci/popsc_replay_provider.py` (a promptfoo Python provider that answers with the
  test's recording; the project root is `$POPSC_PROJECT_ROOT`, else the first folder
  with a `pops.toml` above the working folder or the provider file), with only the
  assertions that need no model and mean something for a replayed answer (the
  model-graded `llm-rubric` and `similar`, and `latency` and `cost`, are listed in the
  test's metadata under `not_offline`). `promptfoo eval -c ci/promptfooconfig.replay.yaml`
  needs neither a network nor a key.
- `ci/github/popsc.yml` (copy it to `.github/workflows/`), `ci/gitlab-ci.yml` (include
  it from `.gitlab-ci.yml`) and `ci/Jenkinsfile`: install this version of popsc, run
  `popsc check`, `popsc test --junit popsc-junit.xml` and `popsc build`, and publish the
  JUnit report.

YAML is built as data and serialised with PyYAML; only the first comment line (which
YAML data cannot hold) is added as text."""

from __future__ import annotations

import json
from importlib import resources
from typing import NamedTuple
from urllib.parse import urlparse

import yaml

from promptlang import __version__
from promptlang import ir
from promptlang.emit.cache import EmitCache
from promptlang.emit.files import HEADER
from promptlang.emit.files import FileSet
from promptlang.runtime.convert import WRAPPED

FORMAT = "popsc-tests/1"
JUNIT = "popsc-junit.xml"
PYTHON = "3.12"
REPLAY_PROVIDER = "popsc_replay_provider.py"
REPLAY_LABEL = "popsc-replay"
RECORDING_VAR = "popsc_recording"
# promptfoo assertions that need a model (a grader, embeddings) or a live call's
# measurements: not in the offline config
_NOT_OFFLINE = frozenset({"llm-rubric", "similar", "latency", "cost"})


def emit(program: ir.ProgramIR, files: FileSet, cache: EmitCache | None = None) -> None:
    files.add_json("ci/tests.json", tests_manifest(program))
    files.add_json("ci/tests.schema.json", tests_schema())
    rendered = _rendered(program, files)
    files.add("ci/promptfooconfig.yaml",
              _yaml(promptfoo_config(program, rendered),
                    "promptfoo config: `npx promptfoo@0.121.20 eval -c promptfooconfig.yaml`"))
    files.add("ci/promptfooconfig.replay.yaml",
              _yaml(promptfoo_config(program, rendered, offline=True),
                    "offline promptfoo config (the recorded answers): "
                    "`npx promptfoo@0.121.20 eval -c promptfooconfig.replay.yaml`"))
    files.add(f"ci/{REPLAY_PROVIDER}", REPLAY_PROVIDER_SOURCE)
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

class Rendered(NamedTuple):
    """One prompt test as the generated SDK sees it: the chat messages it renders for the
    test's inputs (or the error that stopped it, as text) and the path of the recording
    `popsc test` replays for it, relative to the project root (None when unknown)."""

    messages: list[dict] | str
    recording: str | None = None


class _KeyFound(Exception):
    def __init__(self, key: str | None) -> None:
        super().__init__(key)
        self.key = key


class _KeyProvider:
    """A provider that stops the call at the model, with the replay key it was given."""

    def complete(self, config, messages, *, json_schema=None, key=None):
        raise _KeyFound(key)

    async def acomplete(self, config, messages, *, json_schema=None, key=None):
        raise _KeyFound(key)

    def close(self) -> None:
        """Nothing to release."""

    async def aclose(self) -> None:
        """Nothing to release."""


def _replay_key(compiled, arguments: dict) -> str | None:
    """The key a replayed call of `compiled` with `arguments` reads, computed by the SDK
    itself (the runtime's `recording_key` of the content hash and the inputs)."""
    from promptlang.runtime.config import ModelConfig
    from promptlang.runtime.providers import Providers

    class KeyOnly(Providers):
        def for_config(self, config):
            return _KeyProvider()

    model = ModelConfig(provider="replay", name="replay", recordings=".")
    try:
        compiled(**arguments, model=model, providers=KeyOnly())
    except _KeyFound as found:
        return found.key
    except Exception:  # noqa: BLE001 - an input policy stops it before the model: no key
        return None
    return None


def _rendered(program: ir.ProgramIR, files: FileSet) -> list[Rendered]:
    """Per prompt test, what the generated SDK renders for its inputs and the recording
    it replays."""
    if not program.tests:
        return []
    from promptlang import sdk_import
    from promptlang.testing import recordings

    prompts = {p.qname: p for p in program.prompts}
    out: list[Rendered] = []
    with sdk_import.loaded(program, files=files) as sdk:
        for test in program.tests:
            prompt = prompts.get(test.prompt)
            try:
                if prompt is None:
                    raise LookupError(f"no prompt {test.prompt}")
                compiled = sdk.obj(prompt.qname)
                arguments = compiled.arguments(ir.to_data(test.given))
                messages = compiled.render(**arguments)
            except Exception as error:  # noqa: BLE001 - reported in the config, not fatal
                out.append(Rendered(f"{type(error).__name__}: {error}"))
                continue
            key = _replay_key(compiled, arguments)
            path = (recordings.FOLDER / test.prompt / f"{key}.json").as_posix() if key else None
            out.append(Rendered([{"role": m.role, "content": m.content} for m in messages], path))
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
    elif model.provider == "replay":  # the recorded answers
        return {**replay_provider(), "label": model.qname}
    else:  # providers promptfoo has no equivalent for: offline echo
        pid = "echo"
    entry: dict = {"id": pid, "label": model.qname}
    if config:
        entry["config"] = config
    return entry


def replay_provider() -> dict:
    """promptfoo's provider for the recorded answers: `popsc_replay_provider.py`, written
    beside the config."""
    return {"id": f"file://{REPLAY_PROVIDER}", "label": REPLAY_LABEL}


def promptfoo_config(program: ir.ProgramIR, rendered: list[Rendered],
                     offline: bool = False) -> dict:
    """The promptfoo config of the prompt tests: against each test's model, or with
    `offline` against the recordings, with the assertions that need no model."""
    prompts = {p.qname: p for p in program.prompts}
    models = {m.qname: m for m in program.models}
    providers: dict[str, dict] = {}
    pf_prompts: list[dict] = []
    pf_tests: list[dict] = []
    width = len(str(len(program.tests)))
    for index, (test, (messages, recording)) in enumerate(zip(program.tests, rendered), start=1):
        prompt = prompts.get(test.prompt)
        model_name = _model_of(test, prompt)
        if offline:
            provider = replay_provider()
        else:
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
        asserts, not_mapped, not_offline = [], [], []
        for expect in test.expects:
            mapped = assertion(expect, output_kind)
            if mapped is None:
                not_mapped.append(_expect_text(expect))
            elif offline and mapped["type"] in _NOT_OFFLINE:
                not_offline.append(_expect_text(expect))
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
        if not_offline:
            metadata["not_offline"] = not_offline
        if isinstance(messages, str):
            metadata["render_error"] = messages
        entry: dict = {"description": test.title, "prompts": [label],
                       "providers": [provider["label"]]}
        if recording:
            entry["vars"] = {RECORDING_VAR: recording}
        if asserts:
            entry["assert"] = asserts
        entry["metadata"] = metadata
        pf_tests.append(entry)
    name = program.project.get("name") or "popsc project"
    version = program.project.get("version")
    if offline:
        note = ("replayed from the project's recordings, offline (expectations left out are "
                "listed in each test's metadata.not_mapped and metadata.not_offline; "
                "`popsc test` checks them all)")
    else:
        note = ("expectations promptfoo cannot check are listed in each test's "
                "metadata.not_mapped; `popsc test` checks them all")
    return {
        "description": f"{name}{' ' + version if version else ''}: prompt tests generated by "
                       f"popsc {__version__} ({note})",
        "prompts": pf_prompts,
        "providers": [providers[k] for k in sorted(providers)],
        "tests": pf_tests,
    }


_COMPARE = {"==": "===", "!=": "!==", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


def _js(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _subject_js(subject: str, output_kind: str = "record") -> str:
    """JavaScript for the value an `output...` subject names, from promptfoo's `output`:
    the answer's JSON (for an output other than text or a record, the `value` the SDK
    unwraps: such outputs are asked for as `{"value": ...}`)."""
    parsed = "(() => { try { return JSON.parse(output) } catch (e) { return output.trim() } })()"
    if output_kind not in ("string", "record"):
        parsed = f"({parsed})?.[{_js(WRAPPED)}]"
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
            entry["transform"] = f"String({_subject_js(subject, output_kind)} ?? '')"
        return entry
    if whole_text and op in ("contains", "not_contains") and isinstance(value, str):
        return {"type": "contains" if op == "contains" else "not-contains", "value": value}
    if whole_text and op in ("matches", "not_matches") and not expect.flags:
        return {"type": "regex" if op == "matches" else "not-regex", "value": str(value)}
    v = _subject_js(subject, output_kind)
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
    elif op in ("in", "not_in"):
        test = f"{_js(value)}.some(x => JSON.stringify(x) === JSON.stringify(v))"
        if op == "not_in":
            test = f"!{test}"
    elif op == "truthy":
        # As `.pops` (and Python) judge truth: null, false, 0, "", [] and {} are false.
        test = ("Boolean(v) && !(typeof v === 'object' && Object.keys(v).length === 0)")
    else:
        return None
    return {"type": "javascript", "value": f"((v) => {test})({v})"}


def _expect_text(expect: ir.ExpectIR) -> str:
    value = ir.to_data(expect.value)
    text = f"{expect.subject} {expect.op} {json.dumps(value, ensure_ascii=False)}"
    return f"line {expect.line}: {text}" if expect.line else text


REPLAY_PROVIDER_SOURCE = f'''# {HEADER.format(version=__version__)}
"""promptfoo's provider for the answers popsc recorded (`popsc test --record`).

promptfoo calls `call_api(prompt, options, context)` (a Python provider, `file://` in
the config; it runs `$PROMPTFOO_PYTHON`, else the `python` it finds). The answer is the
recording named by the test's `{RECORDING_VAR}` var: a path relative to the project
root, which is `$POPSC_PROJECT_ROOT`, else the `project_root` of the provider's config
(relative to this file), else the first folder with a `pops.toml` above the working
folder or this file. Only the standard library is used."""

import json
import os
from pathlib import Path


def _root(config):
    if os.environ.get("POPSC_PROJECT_ROOT"):
        return Path(os.environ["POPSC_PROJECT_ROOT"])
    here = Path(__file__).resolve().parent
    if config.get("project_root"):
        return here / config["project_root"]
    cwd = Path.cwd().resolve()
    for folder in (cwd, *cwd.parents, here, *here.parents):
        if (folder / "pops.toml").is_file():
            return folder
    return cwd


def call_api(prompt, options, context):
    variables = (context or {{}}).get("vars") or {{}}
    recording = variables.get("{RECORDING_VAR}")
    if not recording:
        return {{"error": "this test has no recording (popsc could not render its inputs)"}}
    path = _root((options or {{}}).get("config") or {{}}) / recording
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {{"error": f"no recording {{path}}: re-record with `popsc test --record`"}}
    except ValueError as error:
        return {{"error": f"recording {{path}} is not valid JSON: {{error}}"}}
    prompt_tokens = int(data.get("input_tokens") or 0)
    completion_tokens = int(data.get("output_tokens") or 0)
    return {{
        "output": data["text"],
        "tokenUsage": {{"prompt": prompt_tokens, "completion": completion_tokens,
                       "total": prompt_tokens + completion_tokens}},
    }}
'''


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
