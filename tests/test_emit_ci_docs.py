"""The `ci` and `docs` targets, built from each example: `ci/tests.json` against its own
JSON Schema, the GitHub workflow and GitLab CI file against the schemas that ship with
check-jsonschema (and the workflow through actionlint), the promptfoo config's shape,
the catalogue's contents, and determinism. The promptfoo CLI itself runs them in
tests/test_promptfoo.py."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml

from promptlang import driver
from promptlang.emit import ci

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(p.parent for p in (ROOT / "examples").glob("*/pops.toml"))


def _build(example: Path, tmp_path: Path, name: str = "out") -> Path:
    copy = tmp_path / f"src-{name}"
    shutil.copytree(example, copy, ignore=shutil.ignore_patterns("build", ".popsc-cache"))
    result = driver.build(str(copy), out=str(tmp_path / name), use_cache=False,
                          targets=["ci", "docs"])
    assert not result.check.has_errors
    assert result.targets == ["ci", "docs"]
    return result.out


@pytest.fixture(scope="module", params=EXAMPLES, ids=lambda p: p.name)
def built(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(request.param.name)
    out = _build(request.param, tmp)
    program = json.loads((out / "bundle.json").read_text("utf-8"))["program"]
    return out, program


def test_tests_manifest_matches_its_schema_and_the_bundle(built):
    out, program = built
    manifest = json.loads((out / "ci/tests.json").read_text("utf-8"))
    schema = json.loads((out / "ci/tests.schema.json").read_text("utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(manifest)
    assert manifest["format"] == "popsc-tests/1"
    prompts = {p["qname"]: p for p in program["prompts"]}
    assert len(manifest["prompt_tests"]) == len(program["tests"]) > 0
    for entry, test in zip(manifest["prompt_tests"], program["tests"]):
        prompt = prompts[test["prompt"]]
        assert entry["title"] == test["title"] and entry["prompt"] == test["prompt"]
        assert entry["content_hash"] == prompt["content_hash"]
        assert entry["prompt_version"] == prompt["version"]
        assert entry["model"] == (test["model"] or prompt["model"])
        assert entry["inputs"] == test["given"]
        assert [(e["subject"], e["op"], e["value"]) for e in entry["expectations"]] == \
            [(e["subject"], e["op"], e["value"]) for e in test["expects"]]
    assert [c["text"] for t in manifest["intent_tests"] for c in t["cases"]] == \
        [c["text"] for t in program["intent_tests"] for c in t["cases"]]


def test_a_broken_manifest_fails_the_schema(built):
    out, _ = built
    manifest = json.loads((out / "ci/tests.json").read_text("utf-8"))
    schema = json.loads((out / "ci/tests.schema.json").read_text("utf-8"))
    del manifest["prompt_tests"][0]["content_hash"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(manifest, schema)


def test_promptfoo_config_has_one_test_per_prompt_test(built):
    out, program = built
    config = yaml.safe_load((out / "ci/promptfooconfig.yaml").read_text("utf-8"))
    assert set(config) == {"description", "prompts", "providers", "tests"}
    assert len(config["tests"]) == len(config["prompts"]) == len(program["tests"])
    labels = [p["label"] for p in config["prompts"]]
    assert len(set(labels)) == len(labels)
    providers = {p["label"]: p["id"] for p in config["providers"]}
    models = {m["qname"]: m for m in program["models"]}
    prompts = {p["qname"]: p for p in program["prompts"]}
    for test, pf_test, pf_prompt in zip(program["tests"], config["tests"], config["prompts"]):
        assert pf_test["description"] == test["title"]
        assert pf_test["prompts"] == [pf_prompt["label"]]
        model = test["model"] or prompts[test["prompt"]]["model"]
        assert pf_test["providers"] == [model]
        provider = models[model]["provider"]
        prefix = {"replay": "file://popsc_replay_provider.py", "openai": "openai:chat:", "openai_compatible": "openai:chat:",
                  "anthropic": "anthropic:messages:", "azure_openai": "azureopenai:chat:",
                  "ollama": "ollama:chat:"}[provider]
        assert providers[model].startswith(prefix)
        messages = json.loads(pf_prompt["raw"])  # the SDK's rendering, as chat messages
        assert messages and all(set(m) == {"role", "content"} for m in messages)
        assert pf_test["metadata"]["content_hash"] == prompts[test["prompt"]]["content_hash"]
        recording = pf_test["vars"]["popsc_recording"]  # what `popsc test` replays
        assert recording.startswith(f"tests/recordings/{test['prompt']}/")
        assert recording.endswith(".json") and len(Path(recording).stem) == 64
        mapped = len(pf_test.get("assert", [])) + len(pf_test["metadata"].get("not_mapped", []))
        assert mapped == len(test["expects"])
        for a in pf_test.get("assert", []):
            assert a["type"] in {"contains", "not-contains", "regex", "not-regex", "javascript",
                                 "similar", "llm-rubric", "latency", "cost"}


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (pip install -e '.[dev]')")
    return path


def test_github_workflow_passes_its_schema_and_actionlint(built):
    out, _ = built
    workflow = out / "ci/github/popsc.yml"
    data = yaml.safe_load(workflow.read_text("utf-8"))
    steps = data["jobs"]["popsc"]["steps"]
    runs = [s.get("run", "") for s in steps]
    assert any(r.startswith("popsc check") for r in runs)
    assert "popsc test --junit popsc-junit.xml" in runs and "popsc build" in runs
    assert any(s.get("uses") == "actions/upload-artifact@v6" for s in steps)
    check = subprocess.run([_tool("check-jsonschema"), "--builtin-schema",
                            "vendor.github-workflows", str(workflow)],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    lint = subprocess.run([_tool("actionlint"), "-no-color", str(workflow)],
                          capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_gitlab_ci_passes_its_schema(built):
    out, _ = built
    path = out / "ci/gitlab-ci.yml"
    job = yaml.safe_load(path.read_text("utf-8"))["popsc"]
    assert job["script"][1:] == ["popsc check", "popsc test --junit popsc-junit.xml",
                                 "popsc build"]
    assert job["artifacts"]["reports"]["junit"] == "popsc-junit.xml"
    check = subprocess.run([_tool("check-jsonschema"), "--builtin-schema", "vendor.gitlab-ci",
                            str(path)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_jenkinsfile_runs_the_commands_and_publishes_junit(built):
    out, _ = built
    text = (out / "ci/Jenkinsfile").read_text("utf-8")
    assert text.count("{") == text.count("}")
    for command in ("popsc check'", "popsc test --junit popsc-junit.xml'", "popsc build'",
                    "junit allowEmptyResults: true, testResults: 'popsc-junit.xml'",
                    'pip install "promptlang=='):
        assert command in text


def test_catalogue_lists_prompts_intents_tests_and_policies(built):
    out, program = built
    text = (out / "docs/catalogue.md").read_text("utf-8")
    for prompt in program["prompts"]:
        if prompt["module"].startswith("std."):
            continue
        assert f"### {prompt['qname']}" in text
        assert f"- Version: `{prompt['version']}`" in text
        if prompt["owner"]:
            assert prompt["owner"] in text
    for intent in program["intents"]:
        assert f"### {intent['qname']}" in text
    for test in program["tests"]:
        assert test["title"].replace("|", "\\|") in text
    for policy in program["policies"]:
        if not policy["module"].startswith("std."):
            assert f"### {policy['qname']}" in text


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_two_builds_are_byte_identical(example, tmp_path):
    first, second = _build(example, tmp_path, "a"), _build(example, tmp_path, "b")
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    assert any(str(f).startswith("ci/") for f in files)
    for rel in files:
        assert (first / rel).read_bytes() == (second / rel).read_bytes(), rel


def test_assertions_map_to_promptfoo():
    from promptlang import ir
    e = lambda subject, op, value, **kw: ir.ExpectIR(subject=subject, op=op, value=value, **kw)
    assert ci.assertion(e("output", "contains", "x"), "string") == {"type": "contains", "value": "x"}
    assert ci.assertion(e("output", "not_contains", "x"), "string")["type"] == "not-contains"
    assert ci.assertion(e("output", "matches", "a|b", flags=""), "string") == \
        {"type": "regex", "value": "a|b"}
    assert ci.assertion(e("latency", "<", 2.5), "string") == {"type": "latency", "threshold": 2500}
    assert ci.assertion(e("cost", "<", 0.01), "string") == {"type": "cost", "threshold": 0.01}
    assert ci.assertion(e("rubric", "rubric", "polite"), "string") == \
        {"type": "llm-rubric", "value": "polite"}
    js = ci.assertion(e("output.confidence", ">=", 0.5), "record")
    assert js["type"] == "javascript" and 'JSON.parse(output)' in js["value"] and ">= 0.5" in js["value"]
    sim = ci.assertion(e("output.answer", "similar_to", "hi", threshold=0.8), "record")
    assert sim["type"] == "similar" and sim["threshold"] == 0.8 and "transform" in sim
    assert ci.assertion(e("tokens", "<", 100), "string") is None
    enum = ci.assertion(e("output", "==", "de"), "enum")  # asked for as {"value": ...}
    assert enum["type"] == "javascript" and '?.["value"]' in enum["value"]
    assert '?.["value"]' not in ci.assertion(e("output", "==", "x"), "string")["value"]


def test_replay_keys_are_the_ones_popsc_test_reads(built):
    """Each recording the configs name is one the example has committed (the same key
    function as `popsc test`)."""
    out, program = built
    config = yaml.safe_load((out / "ci/promptfooconfig.yaml").read_text("utf-8"))
    example = next(e for e in EXAMPLES if e.name in str(out))
    for pf_test in config["tests"]:
        assert (example / pf_test["vars"]["popsc_recording"]).is_file(), pf_test["description"]


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node")
@pytest.mark.parametrize("op, value, answer, expected", [
    ("in", ["a", "b"], '{"c": "a"}', True),
    ("in", ["b"], '{"c": "a"}', False),
    ("not_in", ["b"], '{"c": "a"}', True),
    ("truthy", None, '{"c": "a"}', True),
    ("truthy", None, '{"c": ""}', False),
    ("truthy", None, '{"c": {}}', False),
    ("truthy", None, '{"c": []}', False),
])
def test_javascript_assertions_judge_like_popsc_test(op, value, answer, expected):
    """The `javascript` assertions promptfoo runs give the verdicts `popsc test` gives."""
    import subprocess

    from promptlang import ir as ir_mod
    from promptlang.emit import ci

    expect = ir_mod.ExpectIR(subject="output.c", op=op, value=value)
    check = ci.assertion(expect, "record")
    assert check["type"] == "javascript"
    script = f"const output = {json.dumps(answer)};\nconsole.log(JSON.stringify({check['value']}));"
    result = subprocess.run(["node", "-e", script], capture_output=True, text=True, check=True)
    assert json.loads(result.stdout) is expected
