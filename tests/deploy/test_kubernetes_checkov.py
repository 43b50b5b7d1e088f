"""checkov, offline, finds no failed check and no parsing error in the examples'
Kubernetes manifests, nor in the gateway's Dockerfile.

checkov pins packages the project pins differently, so it lives in its own virtual
environment: `$POPSC_CHECKOV` (its executable), else `.ci/checkov/bin/checkov` (where
`.ci/run` installs it). Without it the tests skip locally; when `$POPSC_CHECKOV` is set
(as `.ci/run` does) and names no file, they fail. It runs with `--skip-download` and
`CKV_SKIP_PACKAGE_UPDATE_CHECK=true`: no network."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from promptlang import driver

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p.parent for p in (ROOT / "examples").glob("*/pops.toml"))
INSTALL = "python -m venv .ci/checkov && .ci/checkov/bin/pip install checkov==3.3.30"


def _checkov() -> str:
    configured = os.environ.get("POPSC_CHECKOV")
    path = Path(configured) if configured else ROOT / ".ci/checkov/bin/checkov"
    path = path if path.is_absolute() else ROOT / path
    if path.is_file():
        return str(path)
    message = f"checkov is not installed: `{INSTALL}` (or set POPSC_CHECKOV)"
    if configured:  # CI (.ci/run) sets it: there, a missing checkov is a failure
        pytest.fail(f"POPSC_CHECKOV={configured} does not exist; {message}")
    pytest.skip(message)


def checkov(tmp_path: Path, *args: str) -> dict:
    """checkov's JSON report of one framework, offline, with a throwaway HOME."""
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path),
           "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true", "BC_SKIP_MAPPING": "TRUE",
           "LOG_LEVEL": "ERROR"}
    done = subprocess.run([_checkov(), *args, "--skip-download", "--quiet", "--compact",
                           "-o", "json"], capture_output=True, text=True, env=env, timeout=300)
    assert done.stdout.strip(), f"checkov printed no report (exit {done.returncode}):\n{done.stderr}"
    report = json.loads(done.stdout)
    (found,) = report if isinstance(report, list) else [report]
    return found


def _failed(report: dict) -> list[str]:
    return [f"{c['check_id']} {c['check_name']} ({c['file_path']}: {c['resource']})"
            for c in report["results"].get("failed_checks", [])]


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_checkov_passes_every_kubernetes_manifest_of_the_examples(example, tmp_path):
    copy = tmp_path / example.name
    shutil.copytree(example, copy, ignore=shutil.ignore_patterns("build", ".popsc-cache"))
    built = driver.build(str(copy), out=str(tmp_path / "out"), use_cache=False,
                         targets=["kubernetes"])
    manifests = built.out / "kubernetes"
    report = checkov(tmp_path, "-d", str(manifests), "--framework", "kubernetes")
    summary = report["summary"]
    assert summary["parsing_errors"] == 0, report["results"].get("parsing_errors")
    assert _failed(report) == []
    # every file was read (a Deployment counts once more, for its containers)
    assert summary["resource_count"] >= len(list(manifests.rglob("*.yaml")))
    assert summary["passed"] >= 5 * summary["resource_count"]  # checks really ran
    # the one skip is documented in the manifest: env() secrets are variables
    assert {c["check_id"] for c in report["results"].get("skipped_checks", [])} <= {"CKV_K8S_35"}


def test_checkov_finds_a_failure_when_the_gateway_is_not_hardened(tmp_path):
    """The scan can fail: the same Deployment with a writable root filesystem does."""
    example = EXAMPLES[0]
    copy = tmp_path / example.name
    shutil.copytree(example, copy, ignore=shutil.ignore_patterns("build", ".popsc-cache"))
    built = driver.build(str(copy), out=str(tmp_path / "out"), use_cache=False,
                         targets=["kubernetes"])
    (deployment,) = sorted((built.out / "kubernetes").glob("*/deployment.yaml"))[:1]
    text = deployment.read_text(encoding="utf-8")
    deployment.write_text(text.replace("readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false"))
    report = checkov(tmp_path, "-f", str(deployment), "--framework", "kubernetes")
    assert any(f.startswith("CKV_K8S_22 ") for f in _failed(report))


def test_checkov_passes_the_gateway_dockerfile(tmp_path):
    report = checkov(tmp_path, "-f", str(ROOT / "Dockerfile"), "--framework", "dockerfile")
    assert report["summary"]["parsing_errors"] == 0
    assert _failed(report) == []
    assert report["summary"]["passed"] >= 20
