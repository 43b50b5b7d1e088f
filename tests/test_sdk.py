"""The generated Python SDK of each example project, used as a customer would use it.

For every `examples/*/pops.toml`, built once per module with `--target python`:

- `mypy --strict` accepts the generated package;
- it installs with pip (`--no-deps --no-build-isolation --no-index`, hatchling as the
  backend) into a fresh venv that sees this interpreter's packages and the promptlang
  checkout only through a `.pth` file; there, importing the package loads no prompt
  module, the re-exported names load theirs on first use, and every example test's
  `given` inputs render through `p.render(**p.arguments(given))`;
- those messages equal an independent rendering of the IR's message bodies with Jinja
  (the subset is Jinja's semantics), and the golden copy in
  `tests/golden/render/<example>.json` (`pytest tests/test_sdk.py --update-golden`
  rewrites it; review the diff);
- calls through the `replay` provider return the typed output (`__call__` and `acall`),
  an invalid recorded answer raises `InvalidOutput`, an answer a deny-words policy
  refuses raises `PolicyViolation`;
- `arguments()` names the path of what does not fit (`input.ticket.priority: ...`).
"""

from __future__ import annotations

import asyncio
import copy
import difflib
import importlib
import importlib.util
import json
import os
import shutil
import site
import subprocess
import sys
import types as pytypes
import venv
from dataclasses import dataclass
from pathlib import Path

import attrs
import jinja2
import pytest

from promptlang import driver
from promptlang.runtime import api as rt
from promptlang.runtime import text as rt_text

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden" / "render"
EXAMPLES = sorted(p.parent for p in (ROOT / "examples").glob("*/pops.toml"))


# ---- the SDK of one example, built once per module -------------------------------------------


@dataclass
class Sdk:
    example: Path
    out: Path
    package: str
    program: dict

    @property
    def python(self) -> Path:
        return self.out / "python"

    def prompt_ir(self, qname: str) -> dict:
        return next(p for p in self.program["prompts"] if p["qname"] == qname)

    def module_of(self, qname: str) -> str:
        """`support.prompts.answer_ticket` -> `acme_support.support.prompts`."""
        return f"{self.package}.{qname.rsplit('.', 1)[0]}"

    def obj(self, qname: str):
        """The generated object of a prompt, record or enum, imported in this process."""
        return getattr(importlib.import_module(self.module_of(qname)), qname.rsplit(".", 1)[1])

    def tests_of(self, qname: str) -> list[dict]:
        return [t for t in self.program["tests"] if t["prompt"] == qname]

    def modules(self) -> list[str]:
        """Every module of the generated package, as dotted names."""
        names = []
        for path in sorted((self.python / self.package).rglob("*.py")):
            parts = path.relative_to(self.python).with_suffix("").parts
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
        return names


@pytest.fixture(scope="module", params=EXAMPLES, ids=lambda p: p.name)
def sdk(request, tmp_path_factory) -> Sdk:
    """The example built into a temporary folder, its package importable in this process
    while the module's tests run."""
    example = request.param
    tmp = tmp_path_factory.mktemp(f"sdk-{example.name}")
    copy_ = tmp / example.name
    shutil.copytree(example, copy_, ignore=shutil.ignore_patterns("build", ".popsc-cache"))
    result = driver.build(str(copy_), out=str(tmp / "out"), use_cache=False, targets=["python"])
    assert not result.check.has_errors
    out = Path(result.out)
    packages = [p.parent.name for p in (out / "python").glob("*/__init__.py")]
    assert len(packages) == 1, packages
    program = json.loads((out / "bundle.json").read_text(encoding="utf-8"))["program"]
    built = Sdk(example, out, packages[0], program)

    def forget() -> None:
        for name in [m for m in sys.modules
                     if m == built.package or m.startswith(built.package + ".")]:
            del sys.modules[name]

    forget()
    sys.path.insert(0, str(built.python))
    try:
        yield built
    finally:
        sys.path.remove(str(built.python))
        forget()


# ---- installed in a fresh venv, without network --------------------------------------------

# Runs in the venv's interpreter: what importing the package loads, the re-exports, the
# installed metadata, every module, and every example test rendered.
PROBE = r'''
import importlib, importlib.metadata, json, sys

request = json.load(sys.stdin)
pkg_name = request["package"]

def loaded():
    return sorted(m for m in sys.modules if m.startswith(pkg_name + "."))

pkg = importlib.import_module(pkg_name)
result = {"file": pkg.__file__, "loaded_on_import": loaded(), "all": list(pkg.__all__)}
first = request["reexports"][0]
namespace = {}
exec(f"from {pkg_name} import {first[0]} as value", namespace)
result["loaded_by_first_reexport"] = loaded()
result["reexports"] = {}
for name, module in request["reexports"]:
    exec(f"from {pkg_name} import {name} as value", namespace)
    home = importlib.import_module(module)
    result["reexports"][name] = namespace["value"] is getattr(home, name)
try:
    getattr(pkg, "no_such_name")
except AttributeError as error:
    result["unknown_name"] = str(error)
result["requires"] = importlib.metadata.requires(request["dist"])
for module in request["modules"]:
    importlib.import_module(module)
renders = []
for test in request["tests"]:
    module, _, name = test["prompt"].rpartition(".")
    prompt = getattr(importlib.import_module(f"{pkg_name}.{module}"), name)
    messages = prompt.render(**prompt.arguments(test["given"]))
    renders.append({"prompt": test["prompt"], "title": test["title"],
                    "messages": [{"role": m.role, "content": m.content} for m in messages]})
result["renders"] = renders
json.dump(result, sys.stdout, ensure_ascii=False)
'''


def _isolated_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV")
           and not k.startswith("PIP_")}
    env.update(PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_CACHE_DIR="1", PIP_NO_INPUT="1",
               PYTHONDONTWRITEBYTECODE="1")
    return env


def _unique_prompt_names(sdk: Sdk) -> list[tuple[str, str]]:
    """The prompts the package re-exports (names unique among prompts, records and
    enums), with the module each lives in."""
    program = sdk.program
    names = [d["name"] for kind in ("prompts", "records", "enums") for d in program[kind]]
    return [(p["name"], sdk.module_of(p["qname"])) for p in program["prompts"]
            if names.count(p["name"]) == 1]


@pytest.fixture(scope="module")
def installed(sdk, tmp_path_factory) -> dict:
    """The SDK pip-installed into a new venv, and what the probe saw there."""
    if importlib.util.find_spec("hatchling") is None:
        pytest.skip("hatchling, the generated pyproject's build backend, is not installed "
                    "(it is in promptlang's dev extras: pip install -e '.[dev]')")
    tmp = tmp_path_factory.mktemp(f"venv-{sdk.example.name}")
    # pip comes from this interpreter through the .pth file, like everything else: no
    # ensurepip, which would take seconds.
    venv.EnvBuilder(with_pip=False, clear=True).create(tmp / "venv")
    python = tmp / "venv" / ("Scripts" if os.name == "nt" else "bin") / "python"
    env = _isolated_env()
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True, env=env).stdout.strip()
    outer = [*site.getsitepackages(), site.getusersitepackages()]
    lines = [d for d in outer if os.path.isdir(d)] + [str(ROOT)]
    Path(purelib, "_promptlang_checkout.pth").write_text("\n".join(lines) + "\n",
                                                         encoding="utf-8")
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--no-deps", "--no-build-isolation",
         "--no-index", str(sdk.python)],
        capture_output=True, text=True, env=env, cwd=tmp)
    assert install.returncode == 0, install.stdout + install.stderr
    request = {
        "package": sdk.package, "dist": sdk.program["project"]["name"],
        "reexports": _unique_prompt_names(sdk), "modules": sdk.modules(),
        "tests": [{"prompt": t["prompt"], "title": t["title"], "given": t["given"]}
                  for t in sdk.program["tests"]],
    }
    probe = subprocess.run([str(python), "-c", PROBE], input=json.dumps(request),
                           capture_output=True, text=True, env=env, cwd=tmp)
    assert probe.returncode == 0, probe.stderr
    result = json.loads(probe.stdout)
    result["purelib"] = purelib
    return result


# ---- the independent reference: Jinja over the IR ------------------------------------------


class _RecordsAsDicts(jinja2.Environment):
    """Records are JSON objects here; Jinja's `a.b` prefers attributes, so a field named
    like a dict method (`order.items`) would render the method: look keys up first."""

    def getattr(self, obj, attribute):
        if isinstance(obj, dict) and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)


def _default(value, fallback):
    """The subset's `default`, as in test_template_compiler: null takes the fallback."""
    return fallback if value is None or isinstance(value, jinja2.Undefined) else value


class Reference:
    """Renders a prompt's messages from the IR alone: bodies through Jinja, template
    calls as functions rendering the called template's body, inputs as plain JSON with
    the defaults of parameters and record fields filled in from the IR. Enum members are
    their JSON values already, which is how the SDK prints them (the one deliberate
    difference from Jinja, see test_template_compiler)."""

    def __init__(self, program: dict):
        self.records = {r["qname"]: r for r in program["records"]}
        self.templates = {t["qname"]: t for t in program["templates"]}
        self.env = _RecordsAsDicts(autoescape=False)
        self.env.filters.update(default=_default, json=rt_text.json_text,
                                redact=rt_text.redact)
        self._compiled: dict[str, jinja2.Template] = {}

    def fill(self, type_: dict, value):
        """JSON data of `type_` as the SDK holds it: record defaults filled in, numbers as
        the declared kind."""
        kind = type_["kind"]
        if value is None:
            return None
        if kind == "record":
            return self.fill_params(self.records[type_["name"]]["fields"], value)
        if kind == "list":
            return [self.fill(type_["of"], v) for v in value]
        if kind == "map":
            return {k: self.fill(type_["of"], v) for k, v in value.items()}
        if kind == "optional":
            return self.fill(type_["of"], value)
        if kind == "float":
            return float(value)
        if kind == "int":
            return int(value)
        return value

    def fill_params(self, params: list[dict], values: dict) -> dict:
        filled = {}
        for param in params:
            name = param["name"]
            if name in values:
                filled[name] = self.fill(param["type"], values[name])
            elif param["has_default"]:
                filled[name] = self.fill(param["type"], copy.deepcopy(param["default"]))
            else:
                assert param["type"]["kind"] == "optional", (name, "missing and required")
                filled[name] = None
        return filled

    def render_body(self, body: str, calls: dict[str, str], context: dict) -> str:
        template = self._compiled.get(body)
        if template is None:
            template = self._compiled[body] = self.env.from_string(body)
        return template.render({**self._callables(calls), **context})

    def _callables(self, calls: dict[str, str]) -> dict:
        tree: dict = {}
        for written, qname in calls.items():
            *parents, last = written.split(".")
            node = tree
            for part in parents:
                node = node.setdefault(part, {})
            node[last] = self._function(qname)

        def namespaces(node):
            return {k: pytypes.SimpleNamespace(**namespaces(v)) if isinstance(v, dict) else v
                    for k, v in node.items()}
        return namespaces(tree)

    def _function(self, qname: str):
        template = self.templates[qname]

        def call(*args, **kwargs):
            names = [p["name"] for p in template["params"]]
            bound = dict(zip(names, args), **kwargs)
            context = {**self.fill_params([p for p in template["params"]
                                           if p["name"] not in bound], {}), **bound}
            return self.render_body(template["body"], template["calls"], context)
        return call

    def render(self, prompt: dict, given: dict) -> list[dict]:
        context = self.fill_params(prompt["params"], given)
        return [{"role": m["role"], "content": self.render_body(m["body"], m["calls"], context)}
                for m in prompt["messages"]]


# ---- mypy and installation -------------------------------------------------------------------


@pytest.mark.skipif(importlib.util.find_spec("mypy") is None, reason="mypy is not installed")
def test_generated_package_passes_mypy_strict(sdk, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path / "mypy-cache"),
         sdk.package],
        capture_output=True, text=True, cwd=sdk.python,
        env={k: v for k, v in os.environ.items() if k not in ("MYPYPATH", "PYTHONPATH")})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success: no issues found" in result.stdout


def test_the_package_installs_into_a_fresh_venv(sdk, installed):
    assert Path(installed["file"]).resolve() == \
        (Path(installed["purelib"]) / sdk.package / "__init__.py").resolve()
    requires = " ".join(installed["requires"] or [])
    assert "promptlang" in requires and "attrs" in requires
    assert installed["unknown_name"] == \
        f"module {sdk.package!r} has no attribute 'no_such_name'"


def test_importing_the_package_imports_no_prompt_module(sdk, installed):
    """The `__init__` is lazy: a prompt's module loads when its name is first used."""
    assert installed["loaded_on_import"] == []
    _, first_module = _unique_prompt_names(sdk)[0]
    assert first_module in installed["loaded_by_first_reexport"]
    assert installed["reexports"] and all(installed["reexports"].values()), installed["reexports"]
    assert set(installed["reexports"]) <= set(installed["all"])
    if sdk.example.name == "support":
        assert installed["reexports"]["answer_ticket"] is True


def test_every_example_test_renders_in_the_venv(sdk, installed):
    renders = installed["renders"]
    assert [(r["prompt"], r["title"]) for r in renders] == \
        [(t["prompt"], t["title"]) for t in sdk.program["tests"]]
    for render in renders:
        roles = [m["role"] for m in render["messages"]]
        assert roles == [m["role"] for m in sdk.prompt_ir(render["prompt"])["messages"]]
        assert all(m["content"].strip() for m in render["messages"]), render["title"]


# ---- what the messages say --------------------------------------------------------------------


def test_rendered_messages_equal_jinja_rendering_the_ir(sdk, installed):
    reference = Reference(sdk.program)
    assert sdk.program["tests"]
    for test, render in zip(sdk.program["tests"], installed["renders"], strict=True):
        expected = reference.render(sdk.prompt_ir(test["prompt"]), test["given"])
        for want, got in zip(expected, render["messages"], strict=True):
            assert got == want, f"{test['prompt']} ({test['title']})"


def test_rendered_messages_match_their_golden(sdk, installed, request):
    path = GOLDEN / f"{sdk.example.name}.json"
    text = json.dumps(installed["renders"], indent=2, ensure_ascii=False) + "\n"
    if request.config.getoption("--update-golden") or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        missing = not path.exists()
        path.write_text(text, encoding="utf-8")
        if missing and not request.config.getoption("--update-golden"):
            pytest.fail(f"wrote the missing {path.relative_to(ROOT)}; review it and run again")
        return
    expected = path.read_text(encoding="utf-8")
    if json.loads(expected) != installed["renders"]:
        diff = difflib.unified_diff(expected.splitlines(), text.splitlines(),
                                    f"golden/{path.name}", f"rendered/{path.name}",
                                    lineterm="", n=2)
        pytest.fail(f"the rendered messages differ from {path.relative_to(ROOT)} (run "
                    "pytest tests/test_sdk.py --update-golden and review the diff):\n"
                    + "\n".join(list(diff)[:80]))


# ---- calls through recordings -----------------------------------------------------------------


@dataclass
class Case:
    """One prompt called with the inputs of its first example test."""

    qname: str
    prompt: object
    kwargs: dict
    plain: dict

    def key(self) -> str:
        return rt.recording_key(self.prompt.info.content_hash, rt.input_json(self.plain))


def _case(sdk: Sdk, qname: str) -> Case:
    prompt = sdk.obj(qname)
    given = sdk.tests_of(qname)[0]["given"]
    kwargs = prompt.arguments(given)
    plain = Reference(sdk.program).fill_params(sdk.prompt_ir(qname)["params"], given)
    # What a call keys its recording by is the inputs as plain JSON, defaults included.
    assert rt.plain_inputs(kwargs) == plain
    assert prompt.info.content_hash == sdk.prompt_ir(qname)["content_hash"]
    return Case(qname, prompt, kwargs, plain)


def _tested_prompts(sdk: Sdk, kind: str) -> list[str]:
    return [p["qname"] for p in sdk.program["prompts"]
            if p["output"]["kind"] == kind and sdk.tests_of(p["qname"])]


def _few_shot_answer(sdk: Sdk, qname: str) -> str | None:
    """A static assistant message of the prompt: an answer its author wrote as valid."""
    for message in sdk.prompt_ir(qname)["messages"]:
        if message["role"] == "assistant" and "{{" not in message["body"] \
                and "{%" not in message["body"]:
            return message["body"]
    return None


def _schema_accepts(schema: dict | None, *instances) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    assert schema is not None
    validator = jsonschema.Draft202012Validator(schema)
    validator.check_schema(schema)
    for instance in instances:
        validator.validate(instance)
    with pytest.raises(jsonschema.ValidationError):
        validator.validate({**instances[0], "not_declared": 1})


@pytest.fixture
def replay(tmp_path):
    providers = rt.Providers()
    yield rt.ModelConfig(provider="replay", recordings=str(tmp_path / "recordings")), providers
    providers.close()


def _call_both_ways(case: Case, model, providers, calls: list) -> tuple[object, object]:
    observe = calls.append
    sync = case.prompt(**case.kwargs, model=model, on_metrics=observe, providers=providers)
    async_ = asyncio.run(case.prompt.acall(**case.kwargs, model=model, on_metrics=observe,
                                           providers=providers))
    return sync, async_


def test_a_record_output_comes_back_as_its_class(sdk, replay):
    model, providers = replay
    found = [(q, _few_shot_answer(sdk, q)) for q in _tested_prompts(sdk, "record")]
    found = [(q, a) for q, a in found if a is not None]
    if not found:
        pytest.skip("no tested prompt with a record output has a few-shot answer to replay")
    qname, answer = found[0]
    case = _case(sdk, qname)
    output = sdk.prompt_ir(qname)["output"]
    cls = sdk.obj(output["name"])
    rt.write_recording(model.recordings, case.key(), answer, input_tokens=120, output_tokens=40)

    calls: list[rt.CallRecord] = []
    sync, async_ = _call_both_ways(case, model, providers, calls)
    assert type(sync) is cls and attrs.has(cls)
    assert async_ == sync
    expected = Reference(sdk.program).fill(output, json.loads(answer))
    assert rt.plain_inputs({"o": sync})["o"] == expected
    # The schema the provider is given accepts the answer, and the answer as the SDK
    # holds it.
    _schema_accepts(case.prompt.json_schema, json.loads(answer), expected)
    for record in calls:
        assert record.ok and record.prompt is case.prompt.info
        assert (record.provider, record.attempts) == ("replay", 1)
        assert (record.input_tokens, record.output_tokens) == (120, 40)
        assert record.inputs == case.plain


def test_an_enum_output_is_unwrapped_into_a_member(sdk, replay):
    model, providers = replay
    prompts = _tested_prompts(sdk, "enum")
    if not prompts:
        pytest.skip("no tested prompt has an enum output")
    case = _case(sdk, prompts[0])
    output = sdk.prompt_ir(prompts[0])["output"]
    cls = sdk.obj(output["name"])
    value = next(e for e in sdk.program["enums"] if e["qname"] == output["name"])["members"][-1]
    rt.write_recording(model.recordings, case.key(), json.dumps({"value": value}))
    sync, async_ = _call_both_ways(case, model, providers, [])
    assert sync is cls(value) and async_ is sync
    assert isinstance(sync, cls)
    _schema_accepts(case.prompt.json_schema, {"value": value})
    # The bare value is not what the schema asks for: invalid, even after the repair turn.
    rt.write_recording(model.recordings, case.key(), json.dumps(value))
    calls: list[rt.CallRecord] = []
    with pytest.raises(rt.InvalidOutput) as caught:
        case.prompt(**case.kwargs, model=model, providers=providers, on_metrics=calls.append)
    assert caught.value.error.startswith("output: expected an object")
    assert caught.value.raw == json.dumps(value)
    assert calls[0].attempts == 2 and isinstance(calls[0].error, rt.InvalidOutput)


def test_a_string_output_is_the_answer_text(sdk, replay):
    model, providers = replay
    prompts = _tested_prompts(sdk, "string")
    if not prompts:
        pytest.skip("no tested prompt has a string output")
    case = _case(sdk, prompts[0])
    assert case.prompt.json_schema is None
    answer = 'A colleague will continue here shortly.\n\n- {"not": "parsed"}'
    rt.write_recording(model.recordings, case.key(), answer)
    sync, async_ = _call_both_ways(case, model, providers, [])
    assert sync == async_ == answer and type(sync) is str


def test_an_invalid_record_answer_raises_invalid_output(sdk, replay):
    model, providers = replay
    prompts = _tested_prompts(sdk, "record")
    assert prompts
    case = _case(sdk, prompts[0])
    record = next(r for r in sdk.program["records"]
                  if r["qname"] == sdk.prompt_ir(prompts[0])["output"]["name"])
    required = [f["name"] for f in record["fields"]
                if not f["has_default"] and f["type"]["kind"] != "optional"]
    assert required
    rt.write_recording(model.recordings, case.key(), "{}")
    with pytest.raises(rt.InvalidOutput) as caught:
        case.prompt(**case.kwargs, model=model, providers=providers)
    assert caught.value.error.startswith("output: missing field")
    assert all(f"`{name}`" in caught.value.error for name in required)
    rt.write_recording(model.recordings, case.key(), "Sorry, I cannot answer in JSON.")
    with pytest.raises(rt.InvalidOutput, match="not JSON"):
        asyncio.run(case.prompt.acall(**case.kwargs, model=model, providers=providers))


def _deny_word_case(sdk: Sdk) -> tuple[str, str, str] | None:
    """A tested prompt, an `error` policy of it that denies words in the output (in the
    IR and in the generated object), and one of the words."""
    policies = {p["qname"]: p for p in sdk.program["policies"]}
    for prompt in sdk.program["prompts"]:
        if not sdk.tests_of(prompt["qname"]):
            continue
        runtime = {p.name: p for p in sdk.obj(prompt["qname"]).policies}
        for name in prompt["policies"]:
            policy = policies[name]
            for rule in policy["rules"]:
                if rule["kind"] == "deny_words" and rule["subject"] == "output" \
                        and policy["severity"] == "error":
                    assert name in runtime, f"{name} is missing from {prompt['qname']}.policies"
                    return prompt["qname"], name, rule["value"][0]
    return None


def test_a_denied_word_in_the_answer_raises_policy_violation(sdk, replay):
    model, providers = replay
    found = _deny_word_case(sdk)
    if found is None:
        pytest.skip("no tested prompt has an error policy denying words in its output")
    qname, policy, word = found
    if sdk.example.name == "support":
        assert (policy, word) == ("policies.brand_safety", "guarantee")
    case = _case(sdk, qname)
    answer = f"We {word.upper()} it works."
    few_shot = _few_shot_answer(sdk, qname)
    if few_shot is not None:
        # Inside a valid structured answer: the rule reads the decoded strings.
        data = json.loads(few_shot)
        first = next(k for k, v in data.items() if isinstance(v, str))
        data[first] = answer
        answer = json.dumps(data)
    rt.write_recording(model.recordings, case.key(), answer)
    calls: list[rt.CallRecord] = []
    with pytest.raises(rt.PolicyViolation) as caught:
        case.prompt(**case.kwargs, model=model, providers=providers, on_metrics=calls.append)
    assert (caught.value.policy, caught.value.where) == (policy, "output")
    assert calls[0].violations and calls[0].violations[0].policy == policy
    with pytest.raises(rt.PolicyViolation):
        asyncio.run(case.prompt.acall(**case.kwargs, model=model, providers=providers))


# ---- arguments() on what does not fit -----------------------------------------------------------


def _locations(reference: Reference, type_: dict, value, path: str, keys: tuple):
    """(path, keys, type, value) of every value inside `value`, depth first."""
    yield path, keys, type_, value
    kind = type_["kind"]
    if value is None:
        return
    if kind == "optional":
        yield from _locations(reference, type_["of"], value, path, keys)
    elif kind == "record":
        for field in reference.records[type_["name"]]["fields"]:
            if field["name"] in value:
                yield from _locations(reference, field["type"], value[field["name"]],
                                      f"{path}.{field['name']}", (*keys, field["name"]))
    elif kind == "list":
        for i, item in enumerate(value):
            yield from _locations(reference, type_["of"], item, f"{path}[{i}]", (*keys, i))
    elif kind == "map":
        for k, item in value.items():
            yield from _locations(reference, type_["of"], item, f"{path}.{k}", (*keys, k))


# A value of the wrong kind for each type, and what the message says.
WRONG = {
    "string": (3, TypeError, "expected a string, got a number (3)"),
    "int": (True, TypeError, "expected an integer, got a boolean (true)"),
    "float": ("1.5", TypeError, 'expected a number, got a string ("1.5")'),
    "bool": (1, TypeError, "expected true or false, got a number (1)"),
    "enum": ("no-such-member", ValueError, 'expected one of'),
    "list": ({}, TypeError, "expected a list, got an object ({})"),
    "map": ([], TypeError, "expected an object, got a list ([])"),
    "record": ("x", TypeError, 'expected an object, got a string ("x")'),
}


def _set(data, keys, value):
    data = copy.deepcopy(data)
    node = data
    for key in keys[:-1]:
        node = node[key]
    if value is _DELETE:
        del node[keys[-1]]
    else:
        node[keys[-1]] = value
    return data


_DELETE = object()


def test_arguments_name_the_path_of_what_does_not_fit(sdk):
    reference = Reference(sdk.program)
    tried: set[str] = set()
    for test in sdk.program["tests"]:
        prompt = sdk.obj(test["prompt"])
        params = sdk.prompt_ir(test["prompt"])["params"]
        given = test["given"]
        prompt.arguments(given)
        for param in params:
            if param["name"] not in given:
                continue
            for path, keys, type_, value in _locations(reference, param["type"],
                                                       given[param["name"]],
                                                       f"input.{param['name']}",
                                                       (param["name"],)):
                kind = type_["kind"]
                if kind in WRONG and value is not None:
                    bad, exc, says = WRONG[kind]
                    with pytest.raises(exc) as caught:
                        prompt.arguments(_set(given, keys, bad))
                    assert str(caught.value).startswith(f"{path}: {says}"), str(caught.value)
                    tried.add(path)
                if kind == "record" and value is not None:
                    fields = reference.records[type_["name"]]["fields"]
                    required = [f["name"] for f in fields if f["name"] in value
                                and not f["has_default"] and f["type"]["kind"] != "optional"]
                    for name in required[:1]:
                        with pytest.raises(ValueError) as caught:
                            prompt.arguments(_set(given, (*keys, name), _DELETE))
                        assert str(caught.value) == f"{path}: missing field `{name}`"
            if param["required"]:
                with pytest.raises(ValueError) as caught:
                    prompt.arguments(_set(given, (param["name"],), _DELETE))
                assert str(caught.value) == f"input: missing field `{param['name']}`"
        with pytest.raises(TypeError, match=r"^input: expected an object, got a list"):
            prompt.arguments([given])
    assert tried
    if sdk.example.name == "support":
        assert {"input.ticket.priority", "input.history[0].author",
                "input.ticket.last_order.total"} <= tried


def test_arguments_report_annotation_violations_under_the_record(sdk):
    """`@max_len` and friends are checked by the record classes; the message names the
    record's path and the field."""
    reference = Reference(sdk.program)
    checked = 0
    for test in sdk.program["tests"]:
        prompt = sdk.obj(test["prompt"])
        for param in sdk.prompt_ir(test["prompt"])["params"]:
            if param["name"] not in test["given"]:
                continue
            for path, keys, type_, value in _locations(reference, param["type"],
                                                       test["given"][param["name"]],
                                                       f"input.{param['name']}",
                                                       (param["name"],)):
                if type_["kind"] != "record" or value is None:
                    continue
                for field in reference.records[type_["name"]]["fields"]:
                    if field["max_len"] is None or field["type"]["kind"] != "string":
                        continue
                    long = "x" * (field["max_len"] + 1)
                    with pytest.raises(ValueError) as caught:
                        prompt.arguments(_set(test["given"], (*keys, field["name"]), long))
                    assert str(caught.value) == (
                        f"{path}: `{field['name']}` has {len(long)} characters, "
                        f"more than {field['max_len']}")
                    checked += 1
    assert checked


# ---- the intent router -----------------------------------------------------------------------


def test_the_packages_router_routes_every_intent_test_line(sdk):
    package = importlib.import_module(sdk.package)
    lines = [c for block in sdk.program["intent_tests"] for c in block["cases"]]
    assert lines
    for line in lines:
        match = package.route(line["text"])
        assert (match.intent if match else None) == line["intent"], line
        if match is not None:
            got = rt.plain_inputs(dict(match.slots))
            assert {k: got.get(k) for k in line["slots"]} == line["slots"], line
            # slots come typed: enum members are the generated enum's
            for name, value in match.slots.items():
                slot = next(s for s in _intent_ir(sdk, match.intent)["slots"] if s["name"] == name)
                if slot["type"]["kind"] == "enum":
                    assert type(value) is sdk.obj(slot["type"]["name"])


def test_a_routed_match_runs_its_prompt(sdk, replay):
    model, providers = replay
    package = importlib.import_module(sdk.package)
    texts = [c["text"] for block in sdk.program["intent_tests"] for c in block["cases"] if c["intent"]]
    matches = [m for m in map(package.route, texts) if m is not None and m.ready]
    strings = [m for m in matches if sdk.prompt_ir(_intent_ir(sdk, m.intent)["route_prompt"])["output"]["kind"] == "string"]
    if not strings:
        pytest.skip("no intent test routes to a prompt with a text output")
    match = strings[0]
    assert match.prompt is sdk.obj(_intent_ir(sdk, match.intent)["route_prompt"])
    with pytest.raises(rt.MissingRecording) as missing:
        match(model=model, providers=providers)
    rt.write_recording(model.recordings, missing.value.key, "Someone will be with you shortly.")
    assert match(model=model, providers=providers) == "Someone will be with you shortly."
    assert asyncio.run(match.acall(model=model, providers=providers)) == "Someone will be with you shortly."


def _intent_ir(sdk: Sdk, qname: str) -> dict:
    return next(i for i in sdk.program["intents"] if i["qname"] == qname)
