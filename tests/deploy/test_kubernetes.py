"""The `kubernetes` target: every manifest of every example is valid for the cluster
(kubernetes-validate, strict: an unknown field fails) and for the Prometheus operator
(cloudcoil's schema-checked models, read back whole so a field they do not know fails
too); the gateway runs hardened; secrets are references; the files match their reviewed
goldens under `tests/golden/kubernetes/<example>/`.

In the goldens the ConfigMap's `bundle.json`, its digest and the PrometheusRule's groups
are placeholders: they belong to the bundle and monitoring targets, and tests here
check that the manifests carry exactly what those produce. `--update-golden` rewrites
the goldens; review the diff before committing it."""

from __future__ import annotations

import difflib
import hashlib
import shutil
from pathlib import Path

import pytest
import yaml

from promptlang import driver
from promptlang.emit import kubernetes
from promptlang.emit import monitoring
from promptlang.emit.files import FileSet
from promptlang.lower import lower

kubernetes_validate = pytest.importorskip("kubernetes_validate")
prometheus_operator = pytest.importorskip("cloudcoil.models.prometheus_operator.v1")

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden" / "kubernetes"
EXAMPLES = sorted(p.parent for p in (ROOT / "examples").glob("*/pops.toml"))
CLUSTER = "1.33.0"  # the oldest Kubernetes release still supported upstream
OPERATOR_KINDS = {"PrometheusRule", "ServiceMonitor"}


def program_of(path: Path):
    result = driver.check(str(path), need_program=True, use_cache=False)
    assert not result.has_errors, [d.message for d in result.diagnostics]
    return lower(result.program, driver._project_info(result.project))


def program_from(source: str):
    result = driver.check_texts({"deploy.pops": source})
    errors = [d.message for d in result.diagnostics if d.is_error]
    assert not errors, errors
    return lower(result.program, {"name": "Acme Support"})


def emitted(program) -> dict[str, str]:
    files = FileSet()
    kubernetes.emit(program, files)
    return {rel: content.decode("utf-8") for rel, content in files.files.items()}


@pytest.fixture(scope="module", params=EXAMPLES, ids=lambda p: p.name)
def example(request):
    return request.param, program_of(request.param)


def test_every_core_manifest_is_valid_for_the_cluster_in_strict_mode(example):
    _, program = example
    checked = 0
    for rel, text in emitted(program).items():
        data = yaml.safe_load(text)
        if data["kind"] not in OPERATOR_KINDS:
            kubernetes_validate.validate(data, CLUSTER, strict=True)
            checked += 1
    assert checked >= 6 * len(program.environments)


def test_prometheus_operator_objects_fit_the_operator_schema_whole(example):
    _, program = example
    kinds = []
    for rel, text in emitted(program).items():
        data = yaml.safe_load(text)
        if data["kind"] in OPERATOR_KINDS:
            model = getattr(prometheus_operator, data["kind"]).model_validate(data)
            # the models ignore unknown fields: reading back whole makes them fail
            assert model.model_dump(by_alias=True, exclude_unset=True, mode="json") == data, rel
            kinds.append(data["kind"])
    assert sorted(set(kinds)) == sorted(OPERATOR_KINDS)


def test_strict_validation_rejects_a_field_the_cluster_does_not_know(example):
    """The validator really is strict: the check above would catch a misspelt field."""
    _, program = example
    deployment = _object(program, program.environments[0], "Deployment")
    deployment["spec"]["template"]["spec"]["containers"][0]["readOnlyRootFileSystem"] = True
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, CLUSTER, strict=True)


def test_the_gateway_runs_hardened(example):
    _, program = example
    for env in program.environments:
        pod = _object(program, env, "Deployment")["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        context = container["securityContext"]
        assert pod["securityContext"]["runAsNonRoot"] and context["runAsNonRoot"]
        assert pod["securityContext"]["runAsUser"] >= 10000 and context["runAsUser"] >= 10000
        assert context["readOnlyRootFilesystem"] is True
        assert context["allowPrivilegeEscalation"] is False
        assert context["capabilities"] == {"drop": ["ALL"]}
        assert context["seccompProfile"] == {"type": "RuntimeDefault"}
        assert pod["automountServiceAccountToken"] is False
        assert _object(program, env, "ServiceAccount")["automountServiceAccountToken"] is False
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert set(container["resources"]) == {"requests", "limits"}
        assert all(set(v) == {"cpu", "memory"} for v in container["resources"].values())


def test_the_configmap_holds_the_bundle_the_build_writes_and_the_pod_its_digest(example, tmp_path):
    path, program = example
    bundle = kubernetes.bundle_text(program)
    copy = tmp_path / path.name
    shutil.copytree(path, copy, ignore=shutil.ignore_patterns("build", ".popsc-cache"))
    built = driver.build(str(copy), out=str(tmp_path / "out"), use_cache=False, targets=["kubernetes"])
    assert (built.out / "bundle.json").read_text(encoding="utf-8") == bundle
    for env in program.environments:
        assert _object(program, env, "ConfigMap")["data"] == {"bundle.json": bundle}
        template = _object(program, env, "Deployment")["spec"]["template"]
        digest = hashlib.sha256(bundle.encode()).hexdigest()
        assert template["metadata"]["annotations"]["popsc.dev/bundle-sha256"] == digest
        assert f"kubernetes/{env.name}/deployment.yaml" in built.written


def test_the_prometheus_rule_carries_the_monitoring_targets_groups(example):
    _, program = example
    for env in program.environments:
        rule = _object(program, env, "PrometheusRule")
        assert rule["spec"]["groups"] == monitoring.rule_groups(program, env)
        assert rule["spec"]["groups"]


def test_manifests_are_byte_identical_across_builds(example):
    path, program = example
    assert emitted(program) == emitted(program_of(path))


def test_manifests_match_their_golden(example, request):
    path, program = example
    actual = {rel: _reviewable(text) for rel, text in emitted(program).items()}
    folder = GOLDEN / path.name
    if request.config.getoption("--update-golden"):
        shutil.rmtree(folder, ignore_errors=True)
        for rel, text in actual.items():
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            (folder / rel).write_text(text, encoding="utf-8")
        return
    expected = {str(p.relative_to(folder)): p.read_text(encoding="utf-8")
                for p in sorted(folder.rglob("*.yaml"))}
    assert sorted(actual) == sorted(expected), "the target writes other files than the golden"
    for rel, text in actual.items():
        if text != expected[rel]:
            diff = difflib.unified_diff(expected[rel].splitlines(), text.splitlines(),
                                        f"golden/{rel}", f"emitted/{rel}", lineterm="", n=2)
            pytest.fail(f"{rel} differs from its golden (run with --update-golden and review):\n"
                        + "\n".join(list(diff)[:80]))


def _reviewable(text: str) -> str:
    """The manifest with what other targets own replaced by placeholders."""
    header, data = text.split("\n", 1)[0], yaml.safe_load(text)
    if data["kind"] == "ConfigMap":
        data["data"]["bundle.json"] = "<bundle.json>"
    elif data["kind"] == "Deployment":
        data["spec"]["template"]["metadata"]["annotations"]["popsc.dev/bundle-sha256"] = "<sha256>"
    elif data["kind"] == "PrometheusRule":
        data["spec"]["groups"] = [f"<group {g['name']}>" for g in data["spec"]["groups"]]
    return header + "\n" + kubernetes.manifest(data).split("\n", 1)[1]


def _object(program, env, kind: str) -> dict:
    (found,) = [o for o in kubernetes.objects(program, env) if o["kind"] == kind]
    return found


# ---- smaller programs: what each setting becomes -------------------------------------------

SECRETS = """
environment production {
  kubernetes {
    namespace = "prompts"
    image = "ghcr.io/acme/gateway@sha256:%s"
    replicas = %s
    %s
  }
  secrets {
    OPENAI_API_KEY = env("PROD_OPENAI_KEY")
    ANTHROPIC_API_KEY = vault("secret/data/llm", "anthropic")
    LEGACY_TOKEN = vault("kv/llm", "legacy-token")
  }
}
""" % ("0" * 64, "%s", "%s")


def test_secrets_are_references_never_values():
    program = program_from(SECRETS % ("1", ""))
    (env,) = program.environments
    pod = _object(program, env, "Deployment")["spec"]["template"]
    (container,) = pod["spec"]["containers"]
    assert container["env"] == [{"name": "PROD_OPENAI_KEY", "valueFrom": {"secretKeyRef": {
        "name": "acme-support-secrets", "key": "PROD_OPENAI_KEY"}}}]
    notes = pod["metadata"]["annotations"]
    assert notes["vault.hashicorp.com/agent-inject"] == "true"
    assert notes["vault.hashicorp.com/role"] == "acme-support"
    assert notes["vault.hashicorp.com/agent-inject-secret-ANTHROPIC_API_KEY"] == "secret/data/llm"
    assert notes["vault.hashicorp.com/agent-inject-template-ANTHROPIC_API_KEY"] == (
        '{{- with secret "secret/data/llm" -}}{{ index .Data.data "anthropic" }}{{- end }}')
    # a path without KV version 2's `data/` segment reads version 1's layout
    assert notes["vault.hashicorp.com/agent-inject-template-LEGACY_TOKEN"] == (
        '{{- with secret "kv/llm" -}}{{ index .Data "legacy-token" }}{{- end }}')
    assert not any(k.startswith("vault.hashicorp") and "OPENAI_API_KEY" in k for k in notes)


def test_the_vault_agent_logs_in_with_a_token_the_gateway_never_mounts():
    program = program_from(SECRETS % ("1", ""))
    pod = _object(program, program.environments[0], "Deployment")["spec"]["template"]["spec"]
    (token,) = [v for v in pod["volumes"] if v["name"] == "vault-token"]
    assert token["projected"]["sources"][0]["serviceAccountToken"]["audience"] == "vault"
    assert all(m["name"] != "vault-token" for m in pod["containers"][0]["volumeMounts"])
    ports = [p["port"] for rule in _object(program, program.environments[0], "NetworkPolicy")
             ["spec"]["egress"] for p in rule["ports"]]
    assert 8200 in ports and 53 in ports


def test_a_fixed_replica_count_has_no_autoscaler():
    program = program_from(SECRETS % ("3", ""))
    kinds = [o["kind"] for o in kubernetes.objects(program, program.environments[0])]
    assert "HorizontalPodAutoscaler" not in kinds
    assert _object(program, program.environments[0], "Deployment")["spec"]["replicas"] == 3


def test_autoscale_targets_become_hpa_metrics_and_a_bare_range_scales_on_cpu():
    program = program_from(SECRETS % ("2..6", "autoscale { cpu = 60%, memory = 75% }"))
    hpa = _object(program, program.environments[0], "HorizontalPodAutoscaler")["spec"]
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (2, 6)
    # the autoscaler alone sets the count: the Deployment does not reset it on apply
    assert "replicas" not in _object(program, program.environments[0], "Deployment")["spec"]
    assert [(m["resource"]["name"], m["resource"]["target"]["averageUtilization"])
            for m in hpa["metrics"]] == [("cpu", 60), ("memory", 75)]
    program = program_from(SECRETS % ("2..6", ""))
    hpa = _object(program, program.environments[0], "HorizontalPodAutoscaler")["spec"]
    assert [m["resource"]["name"] for m in hpa["metrics"]] == ["cpu"]


def test_requests_and_limits_blocks_are_set_apart():
    block = 'resources { requests { cpu = "100m", memory = "128Mi" }, limits { memory = "1Gi" } }'
    program = program_from(SECRETS % ("1", block))
    (container,) = _object(program, program.environments[0], "Deployment")["spec"]["template"][
        "spec"]["containers"]
    assert container["resources"] == {"requests": {"cpu": "100m", "memory": "128Mi"},
                                      "limits": {"cpu": "100m", "memory": "1Gi"}}


def test_an_environment_without_a_kubernetes_block_has_no_manifests():
    program = program_from('environment dev {\n  region = "local"\n}\n')
    assert kubernetes.objects(program, program.environments[0]) == []
    assert emitted(program) == {}


def test_without_an_image_the_deployment_names_the_dockerfiles_image():
    program = program_from('environment dev {\n  kubernetes { namespace = "dev" }\n}\n')
    (container,) = _object(program, program.environments[0], "Deployment")["spec"]["template"][
        "spec"]["containers"]
    assert container["image"].startswith("popsc-gateway:")
    assert _object(program, program.environments[0], "Service")["metadata"]["namespace"] == "dev"


def test_names_are_dns_labels_whatever_the_project_is_called():
    assert kubernetes.dns_label("Acme Support!") == "acme-support"
    assert kubernetes.dns_label("42 bots") == "popsc-42-bots"
    assert kubernetes.dns_label("") == "popsc"
    assert len(kubernetes.dns_label("x" * 100)) == 50


def test_a_secret_name_too_long_for_an_annotation_key_still_gets_its_file():
    name = "AZURE_OPENAI_API_KEY_FOR_THE_PRODUCTION_WEST_EUROPE"
    program = program_from(
        f'environment p {{\n  kubernetes {{ namespace = "p" }}\n'
        f'  secrets {{ {name} = vault("secret/data/llm", "azure") }}\n}}\n')
    notes = _object(program, program.environments[0], "Deployment")["spec"]["template"][
        "metadata"]["annotations"]
    (file_key,) = [k for k in notes if "/agent-inject-file-" in k]
    key = file_key.rpartition("agent-inject-file-")[2]
    assert notes[file_key] == name and len(key) < len(name)
    assert notes[f"vault.hashicorp.com/agent-inject-secret-{key}"] == "secret/data/llm"
    assert all(len(k.rpartition("/")[2]) <= 63 for k in notes)


def test_a_limit_given_alone_is_also_the_request():
    """A default request (250m) above a 100m limit would be refused by the API server."""
    program = program_from(SECRETS % ("1", 'resources { limits { cpu = "100m" } }'))
    (container,) = _object(program, program.environments[0], "Deployment")["spec"]["template"][
        "spec"]["containers"]
    assert container["resources"] == {"requests": {"cpu": "100m", "memory": "256Mi"},
                                      "limits": {"cpu": "100m", "memory": "256Mi"}}


def test_a_canary_mounts_the_stable_bundle_from_an_optional_configmap():
    """The gateway gets `--stable` from `<app>-bundle-stable`, which the operator fills
    (not the target: it is the build deployed before) and which may not exist yet."""
    program = program_from(SECRETS % ("1", "") + (
        'environment canary {\n  kubernetes { namespace = "c" }\n'
        '  rollout canary { weight = 10%, prompts = [] }\n}\n'))
    envs = {env.name: env for env in program.environments}
    plain, canary = envs["production"], envs["canary"]
    pod = _object(program, canary, "Deployment")["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    (volume,) = [v for v in pod["volumes"] if v["name"] == "stable-bundle"]
    assert volume["configMap"] == {"name": "acme-support-bundle-stable", "optional": True}
    (mount,) = [m for m in container["volumeMounts"] if m["name"] == "stable-bundle"]
    assert mount == {"name": "stable-bundle", "mountPath": "/stable", "readOnly": True}
    args = container["args"]
    assert args[args.index("--stable") + 1] == "/stable/bundle.json"
    assert "--stable-optional" in args
    names = [o["metadata"]["name"] for o in kubernetes.objects(program, canary)]
    assert "acme-support-bundle-stable" not in names
    kubernetes_validate.validate(_object(program, canary, "Deployment"), CLUSTER, strict=True)
    # no rollout, no stable build
    pod = _object(program, plain, "Deployment")["spec"]["template"]["spec"]
    assert "--stable" not in pod["containers"][0]["args"]
    assert all("stable" not in v["name"] for v in pod["volumes"])
