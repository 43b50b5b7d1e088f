"""checkov, offline (`--framework terraform`), finds no failed check and no parsing
error in the examples' Terraform, and its kubernetes checks do run on the typed
resources: a Deployment with a writable root filesystem fails. The same checkov as the
kubernetes target's tests (`$POPSC_CHECKOV`, else `.ci/checkov/bin/checkov`)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from promptlang import driver
from test_kubernetes_checkov import EXAMPLES, checkov

# checks that must run and pass on every gateway Deployment: probes, requests and
# limits, image tag, digest and pull policy, privilege escalation, read-only root,
# capabilities, pod and container security contexts
DEPLOYMENT_CHECKS = {"CKV_K8S_8", "CKV_K8S_9", "CKV_K8S_10", "CKV_K8S_11", "CKV_K8S_12",
                     "CKV_K8S_13", "CKV_K8S_14", "CKV_K8S_15", "CKV_K8S_20", "CKV_K8S_22",
                     "CKV_K8S_28", "CKV_K8S_29", "CKV_K8S_30", "CKV_K8S_37", "CKV_K8S_43"}


def _built(example: Path, tmp_path: Path) -> Path:
    copy = tmp_path / example.name
    shutil.copytree(example, copy, ignore=shutil.ignore_patterns("build", ".popsc-cache"))
    built = driver.build(str(copy), out=str(tmp_path / "out"), use_cache=False,
                         targets=["terraform"])
    return built.out / "terraform"


def _failed(report: dict) -> list[str]:
    return [f"{c['check_id']} {c['check_name']} ({c['file_path']}: {c['resource']})"
            for c in report["results"].get("failed_checks", [])]


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_checkov_passes_every_terraform_module_of_the_examples(example, tmp_path):
    modules = _built(example, tmp_path)
    report = checkov(tmp_path, "-d", str(modules), "--framework", "terraform")
    summary = report["summary"]
    assert summary["parsing_errors"] == 0, report["results"].get("parsing_errors")
    assert _failed(report) == []
    environments = [p for p in modules.iterdir() if p.is_dir()]
    # every resource of every environment was read: 7 typed resources and 2 manifests
    assert summary["resource_count"] >= 8 * len(environments)
    assert summary["passed"] >= len(DEPLOYMENT_CHECKS) * len(environments)


def test_checkov_runs_the_deployment_checks_on_the_typed_resource(tmp_path):
    """On the module folder: checkov reads `var.image`'s default (a digest) from
    variables.tf, as it does for a real plan."""
    (example,) = [e for e in EXAMPLES if e.name == "support"]
    module = _built(example, tmp_path) / "production"
    report = checkov(tmp_path, "-d", str(module), "--framework", "terraform",
                     "--check", ",".join(sorted(DEPLOYMENT_CHECKS)))
    assert report["summary"]["failed"] == 0
    assert report["summary"]["passed"] == len(DEPLOYMENT_CHECKS)


def test_checkov_finds_a_failure_when_the_gateway_is_not_hardened(tmp_path):
    (example,) = [e for e in EXAMPLES if e.name == "support"]
    module = _built(example, tmp_path) / "production"
    main = module / "main.tf"
    text = main.read_text(encoding="utf-8")
    assert "read_only_root_filesystem  = true" in text
    main.write_text(text.replace("read_only_root_filesystem  = true",
                                 "read_only_root_filesystem  = false"), encoding="utf-8")
    report = checkov(tmp_path, "-d", str(module), "--framework", "terraform")
    assert any(f.startswith("CKV_K8S_22 ") for f in _failed(report))
