"""The `terraform` target: per environment, a Terraform root module that creates the same
Kubernetes objects as the `kubernetes` target, through the hashicorp/kubernetes provider.

Written under `terraform/<env>/`: `versions.tf` (Terraform and the provider, pinned to
its 2.x line, whose nested fields are blocks), `variables.tf` (`namespace`, `image` and
`replicas`, defaulting to the environment's values), `main.tf` (one resource per object)
and `outputs.tf` (namespace, names of the deployment, service and config map, image).
The provider is left unconfigured: it reads `KUBE_CONFIG_PATH` and the other `KUBE_*`
variables, as a root module run from CI usually wants.

The objects are `promptlang.emit.kubernetes.objects(program, env)`, the very data the
kubernetes target writes as YAML, converted by rule rather than by hand so the two
targets cannot drift apart:
- kinds the provider types (Deployment, Service, ConfigMap, HorizontalPodAutoscaler v2,
  PodDisruptionBudget, NetworkPolicy, ServiceAccount, Namespace) become its `_v1`/`_v2`
  resources, so that checkov's terraform checks apply to them; field names go from
  camelCase to snake_case, nested objects become blocks, lists of objects repeated
  blocks (named in the singular where the provider does: `container`, `port`, `volume`,
  `metric`...), and maps (labels, annotations, data, match_labels, limits, requests)
  stay attributes;
- custom resources (PrometheusRule, ServiceMonitor) become `kubernetes_manifest`, the
  object as it is;
- the namespace, the gateway's image and its replica count (or the autoscaler's minimum)
  are read from variables, and a pod's service account, config-map volumes and the
  autoscaler's target refer to the resources that create them, so Terraform orders
  them.

HCL is built as data and written by `promptlang.emit.hcl` as `terraform fmt` would."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from typing import Any

import attrs

from promptlang import __version__
from promptlang import ir
from promptlang.emit import hcl
from promptlang.emit import kubernetes
from promptlang.emit.cache import EmitCache
from promptlang.emit.files import HEADER
from promptlang.emit.files import FileSet
from promptlang.emit.hcl import Attribute, Block, Op, Ref

PROVIDER = "hashicorp/kubernetes"
PROVIDER_VERSION = "~> 2.38"
TERRAFORM_VERSION = ">= 1.5.0"

# (apiVersion, kind) -> the provider's typed resource
TYPED = {
    ("apps/v1", "Deployment"): "kubernetes_deployment_v1",
    ("v1", "Service"): "kubernetes_service_v1",
    ("v1", "ConfigMap"): "kubernetes_config_map_v1",
    ("v1", "ServiceAccount"): "kubernetes_service_account_v1",
    ("v1", "Namespace"): "kubernetes_namespace_v1",
    ("autoscaling/v2", "HorizontalPodAutoscaler"): "kubernetes_horizontal_pod_autoscaler_v2",
    ("policy/v1", "PodDisruptionBudget"): "kubernetes_pod_disruption_budget_v1",
    ("networking.k8s.io/v1", "NetworkPolicy"): "kubernetes_network_policy_v1",
}
MANIFEST = "kubernetes_manifest"

# Kubernetes list fields whose provider blocks are named otherwise than snake_case of
# the field (mostly the singular); per kind where kinds disagree (a NetworkPolicy
# rule's `ports` stays plural).
_BLOCK_NAMES = {
    "containers": "container", "initContainers": "init_container", "volumes": "volume",
    "volumeMounts": "volume_mount", "ports": "port", "tolerations": "toleration",
    "topologySpreadConstraints": "topology_spread_constraint",
    "readinessGates": "readiness_gate", "sysctls": "sysctl", "metrics": "metric",
    "policies": "policy",
}
_BLOCK_NAMES_BY_KIND = {
    "NetworkPolicy": {"ports": "ports"},
    "ServiceAccount": {"secrets": "secret", "imagePullSecrets": "image_pull_secret"},
}
# Fields that are maps of strings (attributes), wherever they are; plus per-kind paths.
_MAPS = frozenset({"labels", "annotations", "data", "binaryData", "matchLabels", "limits",
                   "requests", "nodeSelector"})
_MAPS_BY_KIND = {"Service": {("spec", "selector")}}
# Fields the provider takes as octal strings ("0644"), not the API's integers.
_MODES = frozenset({"defaultMode", "mode"})
# Fields left out: the API server sets them.
_SKIPPED = frozenset({"status", "creationTimestamp"})


def emit(program: ir.ProgramIR, files: FileSet, cache: EmitCache | None = None) -> None:
    for env in program.environments:
        objects = kubernetes.objects(program, env)
        if not objects:
            continue
        title = f"{program.project.get('name', 'project')}, environment {env.name}"
        for name, text in module(objects, title).items():
            files.add(f"terraform/{env.name}/{name}", text)


def module(objects: Iterable[dict], title: str) -> dict[str, str]:
    """The files of one environment's root module, by name."""
    plan = _Plan.of(list(objects))
    header = [HEADER.format(version=__version__), f"{title}: {{what}}"]

    def text(items: list[hcl.Item], what: str) -> str:
        return hcl.dumps(items, [line.format(what=what) for line in header])

    return {
        "versions.tf": text(versions(), "Terraform and the kubernetes provider"),
        "variables.tf": text(variables(plan), "inputs, defaulting to the environment's values"),
        "main.tf": text([resource(obj, plan) for obj in plan.objects], "the Kubernetes objects"),
        "outputs.tf": text(outputs(plan), "what other configuration needs"),
    }


def versions() -> list[hcl.Item]:
    provider = {"source": PROVIDER, "version": PROVIDER_VERSION}
    return [Block("terraform", body=(
        Attribute("required_version", TERRAFORM_VERSION),
        Block("required_providers", body=(Attribute("kubernetes", provider),)),
    ))]


# ---- what the objects hold -----------------------------------------------------------

@attrs.frozen
class _Plan:
    """The objects of one environment with variables and references put in, and the
    address each object gets."""

    objects: list[dict]
    addresses: dict[tuple[str, str], str]  # (kind, name) -> "type.local_name"
    namespace: str | None
    image: str | None
    replicas: int | None
    replicas_of: str  # "deployment" or "autoscaler"

    @classmethod
    def of(cls, objects: list[dict]) -> "_Plan":
        addresses = _addresses(objects)
        deployment = _first(objects, "Deployment")
        autoscaler = _first(objects, "HorizontalPodAutoscaler")
        containers = _get(deployment, "spec", "template", "spec", "containers") or []
        image = containers[0].get("image") if containers else None
        replicas = _get(deployment, "spec", "replicas")
        replicas_of = "deployment"
        if replicas is None and autoscaler is not None:
            replicas, replicas_of = _get(autoscaler, "spec", "minReplicas"), "autoscaler"
        namespace = next((o["metadata"]["namespace"] for o in objects
                          if o.get("metadata", {}).get("namespace")), None)
        plan = cls([], addresses, namespace, image, replicas, replicas_of)
        return attrs.evolve(plan, objects=[plan.wired(obj) for obj in objects])

    def wired(self, obj: dict) -> dict:
        """`obj` with variables and references in place of the values they stand for."""
        obj = copy.deepcopy(obj)
        meta = obj.get("metadata", {})
        if self.namespace is not None and meta.get("namespace") == self.namespace:
            meta["namespace"] = Ref("var.namespace")
        spec = obj.get("spec", {})
        names = _get(spec, "namespaceSelector", "matchNames")
        if isinstance(names, list):  # a ServiceMonitor's own namespace
            spec["namespaceSelector"]["matchNames"] = [
                Ref("var.namespace") if n == self.namespace else n for n in names]
        if obj["kind"] == "Deployment":
            if "replicas" in spec and self.replicas_of == "deployment":
                spec["replicas"] = Ref("var.replicas")
            self._wire_pod(_get(obj, "spec", "template", "spec") or {})
        if obj["kind"] == "HorizontalPodAutoscaler":
            if self.replicas_of == "autoscaler" and "minReplicas" in spec:
                spec["minReplicas"] = Ref("var.replicas")
            target = spec.get("scaleTargetRef", {})
            target["name"] = self.ref(target.get("kind"), target.get("name"))
        return obj

    def _wire_pod(self, pod: dict) -> None:
        for container in pod.get("containers", []):
            if self.image is not None and container.get("image") == self.image:
                container["image"] = Ref("var.image")
        if "serviceAccountName" in pod:
            pod["serviceAccountName"] = self.ref("ServiceAccount", pod["serviceAccountName"])
        for volume in pod.get("volumes", []):
            source = volume.get("configMap")
            if source and "name" in source:
                source["name"] = self.ref("ConfigMap", source["name"])

    def ref(self, kind: str | None, name: Any) -> Any:
        """A reference to the name of the resource that creates `kind` `name`, or the
        name itself when no resource here does."""
        address = self.addresses.get((kind or "", name)) if isinstance(name, str) else None
        return Ref(f"{address}.metadata[0].name") if address else name

    def address(self, kind: str) -> str | None:
        return next((a for (k, _), a in self.addresses.items() if k == kind), None)


def _addresses(objects: list[dict]) -> dict[tuple[str, str], str]:
    seen: set[str] = set()
    out = {}
    for obj in objects:
        name = obj["metadata"]["name"]
        rtype = _type_of(obj)
        local = _identifier(name if rtype != MANIFEST else f"{_snake(obj['kind'])}_{name}")
        candidate, n = local, 1
        while f"{rtype}.{candidate}" in seen:
            n += 1
            candidate = f"{local}_{n}"
        seen.add(f"{rtype}.{candidate}")
        out[(obj["kind"], name)] = f"{rtype}.{candidate}"
    return out


def _type_of(obj: dict) -> str:
    return TYPED.get((obj.get("apiVersion", ""), obj.get("kind", "")), MANIFEST)


def _first(objects: list[dict], kind: str) -> dict | None:
    return next((o for o in objects if o.get("kind") == kind), None)


def _get(obj: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


# ---- variables and outputs -----------------------------------------------------------

def variables(plan: _Plan) -> list[hcl.Item]:
    out: list[hcl.Item] = []
    if plan.namespace is not None:
        out.append(_variable("namespace", "string", plan.namespace,
                             "The namespace everything is created in (it must exist)."))
    if plan.image is not None:
        out.append(_variable("image", "string", plan.image,
                             "The gateway's container image, best pinned by digest."))
    if plan.replicas is not None:
        what = ("The gateway's replica count." if plan.replicas_of == "deployment"
                else "The fewest replicas the autoscaler keeps.")
        out.append(_variable("replicas", "number", plan.replicas, what, Block("validation", body=(
            Attribute("condition", Op(Ref("var.replicas"), ">=", 1)),
            Attribute("error_message", "The gateway needs at least one replica.")))))
    return out


def _variable(name: str, type_: str, default: Any, description: str,
              *extra: Block) -> Block:
    return Block("variable", (name,), (
        Attribute("description", description),
        Attribute("type", Ref(type_)),
        Attribute("default", default),
        *extra,
    ))


def outputs(plan: _Plan) -> list[hcl.Item]:
    wanted = [("deployment_name", "Deployment", "The gateway's Deployment."),
              ("service_name", "Service", "The Service in front of the gateway."),
              ("config_map_name", "ConfigMap", "The ConfigMap holding the bundle.")]
    out: list[hcl.Item] = []
    if plan.namespace is not None:
        out.append(_output("namespace", Ref("var.namespace"), "The namespace used."))
    for name, kind, description in wanted:
        address = plan.address(kind)
        if address:
            out.append(_output(name, Ref(f"{address}.metadata[0].name"), description))
    if plan.image is not None:
        out.append(_output("image", Ref("var.image"), "The gateway image deployed."))
    return out


def _output(name: str, value: hcl.Value, description: str) -> Block:
    return Block("output", (name,), (Attribute("description", description),
                                     Attribute("value", value)))


# ---- objects to resources ------------------------------------------------------------

def resource(obj: dict, plan: _Plan) -> Block:
    """The resource that creates `obj`."""
    rtype, local = plan.addresses[(obj["kind"], _name_of(obj))].split(".")
    skips = tuple(_skips(obj))
    if rtype == MANIFEST:
        manifest = {k: v for k, v in obj.items() if k not in _SKIPPED}
        return Block("resource", (rtype, local), (*skips, Attribute("manifest", manifest)))
    return Block("resource", (rtype, local), (*skips, *_Converter(obj["kind"]).body(obj, ())))


def _skips(obj: dict) -> Iterable[hcl.Comment]:
    """checkov's skips of an object (`checkov.io/skipN: ID=reason` annotations, which
    its kubernetes framework reads) as the comments its terraform framework reads."""
    annotations = _get(obj, "metadata", "annotations") or {}
    for key, value in sorted(annotations.items()):
        if re.fullmatch(r"checkov\.io/skip\d+", key) and isinstance(value, str):
            check, _, reason = value.partition("=")
            yield hcl.Comment(f"checkov:skip={check.strip()}:{' '.join(reason.split())}")


def _name_of(obj: dict) -> str:
    name = obj["metadata"]["name"]
    return name if isinstance(name, str) else str(name)


@attrs.frozen
class _Converter:
    """One typed resource's body from its object, field by field."""

    kind: str

    def body(self, mapping: dict, path: tuple[str, ...]) -> tuple[hcl.Item, ...]:
        items: list[hcl.Item] = []
        for key, value in mapping.items():
            if not path and key in ("apiVersion", "kind") or key in _SKIPPED:
                continue
            items.extend(self.field(key, value, path + (key,)))
        return tuple(items)

    def field(self, key: str, value: Any, path: tuple[str, ...]) -> list[hcl.Item]:
        if value is None or value == []:
            return []  # unset, as the provider has it (an empty list of blocks is none)
        if key in _MAPS or path in _MAPS_BY_KIND.get(self.kind, ()):
            return [Attribute(_snake(key), value)]
        if isinstance(value, dict):
            return [Block(_snake(key), body=self.body(value, path))]
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            name = self.block_name(key)
            return [Block(name, body=self.body(item, path)) for item in value]
        if key in _MODES and isinstance(value, int):
            value = f"0{value:o}"
        return [Attribute(_snake(key), value)]

    def block_name(self, key: str) -> str:
        names = _BLOCK_NAMES_BY_KIND.get(self.kind, {})
        return names.get(key) or _BLOCK_NAMES.get(key) or _snake(key)


_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def _snake(name: str) -> str:
    """`readOnlyRootFilesystem` -> `read_only_root_filesystem`, `clusterIP` -> `cluster_ip`,
    `PrometheusRule` -> `prometheus_rule`."""
    return _CAMEL.sub("_", name).lower()


def _identifier(name: str) -> str:
    """A Terraform resource name for a Kubernetes object name."""
    text = re.sub(r"[^A-Za-z0-9_]", "_", name)
    return text if re.match(r"[A-Za-z_]", text) else f"_{text}"
