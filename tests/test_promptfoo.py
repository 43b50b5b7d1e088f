"""promptfoo itself loads and runs the `ci` target's configs of each example.

`promptfoo validate -c` accepts both configs (`ci/promptfooconfig.yaml`, against the
models, and `ci/promptfooconfig.replay.yaml`, offline), and `promptfoo eval` of the
offline config, with the emitted Python provider answering from the example's committed
recordings, passes every assertion: all the deterministic ones (contains, regex,
javascript comparisons). The model-graded ones (`llm-rubric`, `similar`) need a model
and `latency`/`cost` mean nothing for a replayed answer: the offline config leaves them
out and lists them in each test's `metadata.not_offline` (checked here too).

promptfoo is npm `promptfoo@0.121.20`: `$POPSC_PROMPTFOO` (its executable), else
`.ci/node/node_modules/.bin/promptfoo` (where `.ci/run` installs it). Without it the
tests skip locally; when `$POPSC_PROMPTFOO` is set (as `.ci/run` does) and names no
file, they fail. Telemetry and
update checks are off, HOME and the config folder are temporary, nothing is cached."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from promptlang import driver
from promptlang.emit import ci

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(p.parent for p in (ROOT / "examples").glob("*/pops.toml"))
INSTALL = "npm install --prefix .ci/node promptfoo@0.121.20 --no-audit --no-fund"


def _promptfoo() -> str:
    configured = os.environ.get("POPSC_PROMPTFOO")
    path = Path(configured) if configured else ROOT / ".ci/node/node_modules/.bin/promptfoo"
    path = path if path.is_absolute() else ROOT / path
    if path.is_file():
        return str(path)
    message = f"promptfoo is not installed: `{INSTALL}` (or set POPSC_PROMPTFOO)"
    if configured:  # CI (.ci/run) sets it: there, a missing promptfoo is a failure
        pytest.fail(f"POPSC_PROMPTFOO={configured} does not exist; {message}")
    pytest.skip(message)


@pytest.fixture(scope="module")
def promptfoo(tmp_path_factory):
    executable = _promptfoo()
    home = tmp_path_factory.mktemp("promptfoo-home")
    env = {k: v for k, v in os.environ.items()
           if not k.endswith("_API_KEY") and not k.startswith("PROMPTFOO_")}
    env.update({
        "HOME": str(home),
        "PROMPTFOO_CONFIG_DIR": str(home / ".promptfoo"),
        "PROMPTFOO_DISABLE_TELEMETRY": "1",
        "PROMPTFOO_DISABLE_UPDATE": "1",
        "PROMPTFOO_DISABLE_SHARING": "1",
        "PROMPTFOO_CACHE_ENABLED": "false",
        "PROMPTFOO_PYTHON": sys.executable,
        "NO_COLOR": "1",
    })

    def run(*args: str, cwd: Path, **extra: str) -> subprocess.CompletedProcess:
        return subprocess.run([executable, *args], cwd=cwd, env={**env, **extra},
                              capture_output=True, text=True, timeout=180)

    return run


@pytest.fixture(scope="module", params=EXAMPLES, ids=lambda p: p.name)
def built(request, tmp_path_factory):
    """The example (a copy: its recordings are read from there) and its ci target."""
    tmp = tmp_path_factory.mktemp(f"pf-{request.param.name}")
    copy = tmp / "project"
    shutil.copytree(request.param, copy, ignore=shutil.ignore_patterns("build", ".popsc-cache"))
    result = driver.build(str(copy), out=str(tmp / "out"), use_cache=False, targets=["ci"])
    assert not result.check.has_errors
    return copy, Path(result.out) / "ci"


@pytest.mark.parametrize("config", ["promptfooconfig.yaml", "promptfooconfig.replay.yaml"])
def test_promptfoo_validates_the_config(promptfoo, built, config):
    _, out = built
    done = promptfoo("validate", "-c", config, cwd=out)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Configuration is valid" in done.stdout + done.stderr


def test_offline_eval_passes_with_the_recordings(promptfoo, built, tmp_path):
    project, out = built
    config = yaml.safe_load((out / "promptfooconfig.replay.yaml").read_text("utf-8"))
    assert {p["label"] for p in config["providers"]} == {ci.REPLAY_LABEL}
    results_file = tmp_path / "results.json"
    done = promptfoo("eval", "-c", "promptfooconfig.replay.yaml", "--no-cache",
                     "--filter-providers", ci.REPLAY_LABEL, "-o", str(results_file),
                     cwd=out, POPSC_PROJECT_ROOT=str(project))
    log = done.stdout[-4000:] + done.stderr[-4000:]
    assert results_file.is_file(), log
    results = json.loads(results_file.read_text("utf-8"))["results"]
    rows = results["results"]
    assert len(rows) == len(config["tests"]) > 0
    by_title = {t["description"]: t for t in config["tests"]}
    checked = 0
    for row in rows:
        test = by_title[row["testCase"]["description"]]
        recording = project / test["vars"][ci.RECORDING_VAR]
        assert recording.is_file()
        assert row.get("error") in (None, ""), (test["description"], row.get("error"))
        assert row["response"]["output"] == json.loads(recording.read_text("utf-8"))["text"]
        assert row["success"], (test["description"], row.get("gradingResult"))
        components = (row.get("gradingResult") or {}).get("componentResults") or []
        assert len(components) == len(test.get("assert", []))
        assert all(c["pass"] for c in components)
        checked += len(components)
        for a in test.get("assert", []):
            assert a["type"] not in {"llm-rubric", "similar", "latency", "cost"}
    assert checked > 0
    assert results["stats"]["failures"] == 0 and results["stats"]["errors"] == 0
    assert done.returncode == 0, log


def test_offline_config_lists_what_it_leaves_out(built):
    _, out = built
    live = yaml.safe_load((out / "promptfooconfig.yaml").read_text("utf-8"))
    offline = yaml.safe_load((out / "promptfooconfig.replay.yaml").read_text("utf-8"))
    for a, b in zip(live["tests"], offline["tests"]):
        left_out = [x for x in a.get("assert", []) if x["type"] in ci._NOT_OFFLINE]
        assert len(b.get("assert", [])) == len(a.get("assert", [])) - len(left_out)
        assert len(b["metadata"].get("not_offline", [])) == len(left_out)
        assert a["vars"] == b["vars"]


def test_a_missing_recording_is_an_error_not_a_pass(promptfoo, built, tmp_path):
    project, out = built
    config = yaml.safe_load((out / "promptfooconfig.replay.yaml").read_text("utf-8"))
    first = config["tests"][0]
    config["tests"] = [first]
    (out / "one.yaml").write_text(yaml.safe_dump(config), "utf-8")
    empty = tmp_path / "empty"
    empty.mkdir()
    results_file = tmp_path / "results.json"
    done = promptfoo("eval", "-c", "one.yaml", "--no-cache", "-o", str(results_file),
                     cwd=out, POPSC_PROJECT_ROOT=str(empty))
    assert done.returncode != 0
    row = json.loads(results_file.read_text("utf-8"))["results"]["results"][0]
    assert not row["success"] and "re-record with `popsc test --record`" in row["error"]
