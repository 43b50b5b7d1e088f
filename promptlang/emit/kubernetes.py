"""The `kubernetes` target: per environment with a `kubernetes` block, the manifests
that run the prompt gateway (`popsc serve`) in its namespace, one file per object under
`kubernetes/<environment>/`, ready for `kubectl apply -f`.

Objects are built as plain data by `objects` (the terraform target converts the same
data into HCL) and serialised with PyYAML. Every object is named after the project
(`<app>`, a DNS label) in the environment's namespace (default: `<app>-<environment>`),
so each environment is meant to have a namespace of its own."""

from __future__ import annotations

import hashlib
import re

import yaml

from promptlang import __version__
from promptlang import ir
from promptlang.emit import bundle
from promptlang.emit import k8s_objects as obj
from promptlang.emit.cache import EmitCache
from promptlang.emit.files import HEADER
from promptlang.emit.files import FileSet
from promptlang.emit.k8s_pod import pod_template

# The order objects are listed and applied in: what a Deployment refers to comes first.
KINDS = ("ServiceAccount", "ConfigMap", "Service", "Deployment", "HorizontalPodAutoscaler",
         "PodDisruptionBudget", "NetworkPolicy", "ServiceMonitor", "PrometheusRule")
# The checkov check the gateway's `env(...)` secrets are skipped for, and why: the
# gateway reads them as variables (see `promptlang/serve/settings.py`).
SECRET_ENV_SKIP = ("CKV_K8S_35=popsc serve reads env() secrets from variables; "
                   "use vault() to receive them as files")


def emit(program: ir.ProgramIR, files: FileSet, cache: EmitCache | None = None) -> None:
    for env in program.environments:
        for data in objects(program, env):
            files.add(f"kubernetes/{env.name}/{_file_name(data)}.yaml", manifest(data))


def objects(program: ir.ProgramIR, env: ir.EnvironmentIR) -> list[dict]:
    """Every Kubernetes object of `env` as plain data, in `KINDS` order; none when the
    environment has no `kubernetes` block."""
    k8s = env.settings.get("kubernetes")
    if not isinstance(k8s, dict):
        return []
    app = app_name(program)
    namespace = k8s.get("namespace") or dns_label(f"{app}-{env.name}")
    selector = {"app.kubernetes.io/name": app,
                "app.kubernetes.io/instance": label_value(f"{app}-{env.name}")}
    labels = {**selector, "app.kubernetes.io/component": "gateway",
              "app.kubernetes.io/managed-by": "popsc", "popsc.dev/environment": label_value(env.name)}

    def meta(name: str = app) -> dict:
        return {"name": name, "namespace": namespace, "labels": labels}

    text = bundle_text(program)
    found = [
        obj.service_account(meta()),
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta(f"{app}-bundle"),
         "data": {"bundle.json": text}},
        obj.service(meta(), selector, k8s),
        _deployment(meta(), selector, app, env, text),
        obj.autoscaler(meta(), k8s),
        obj.disruption_budget(meta(), selector),
        obj.network_policy(meta(), selector, program, env),
        obj.service_monitor(meta(), selector),
        obj.prometheus_rule(meta(), program, env),
    ]
    return sorted((o for o in found if o is not None),
                  key=lambda o: (KINDS.index(o["kind"]), o["metadata"]["name"]))


def _deployment(meta: dict, selector: dict, app: str, env: ir.EnvironmentIR, text: str) -> dict:
    k8s = env.settings["kubernetes"]
    replicas = k8s.get("replicas", 1)
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    if any(ref.source == "env" for ref in env.secrets.values()):
        meta = {**meta, "annotations": {"checkov.io/skip1": SECRET_ENV_SKIP}}
    spec = {
        "revisionHistoryLimit": 5,
        "selector": {"matchLabels": selector},
        "strategy": {"type": "RollingUpdate",
                     "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
        "template": pod_template(app, env, meta["labels"], selector, sha)}
    if not isinstance(replicas, dict):
        # a range is the autoscaler's to set: a count here would reset it on every apply
        spec["replicas"] = int(replicas)
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta, "spec": spec}


def app_name(program: ir.ProgramIR) -> str:
    """The project's name as a DNS-1035 label (what a Service name must be)."""
    return dns_label(str(program.project.get("name") or "prompts"))


def dns_label(text: str, limit: int = 50) -> str:
    """Lowercase letters, digits and `-`, starting with a letter; short enough to take
    the `-bundle` and `-secrets` suffixes within the 63 characters of a name."""
    label = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    if not label or not label[0].isalpha():
        label = f"popsc-{label}".rstrip("-")
    return label[:limit].rstrip("-")


def label_value(text: str) -> str:
    """A label value: at most 63 letters, digits, `-`, `_` and `.`, starting and ending
    with a letter or digit (an environment may be called `_eu` or be long)."""
    value = re.sub(r"[^A-Za-z0-9_.-]+", "-", text)[:63]
    return re.sub(r"^[^A-Za-z0-9]+|[^A-Za-z0-9]+$", "", value)


def bundle_text(program: ir.ProgramIR) -> str:
    """`bundle.json` exactly as the build writes it beside the manifests."""
    files = FileSet()
    bundle.emit(program, files)
    return files.files["bundle.json"].decode("utf-8")


def manifest(data: dict) -> str:
    """One object as YAML, keys sorted, after the generated-file header."""
    header = "# " + HEADER.format(version=__version__) + "\n"
    return header + yaml.dump(data, Dumper=_Dumper, sort_keys=True, allow_unicode=True,
                              default_flow_style=False, width=1 << 30)


class _Dumper(yaml.SafeDumper):
    """Shared values written out in full (no `&anchors`, which some tools reject), and
    multi-line strings (PromQL) as literal blocks."""

    def ignore_aliases(self, data) -> bool:
        return True


def _str(dumper: yaml.SafeDumper, text: str):
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _str)


def _file_name(data: dict) -> str:
    """`HorizontalPodAutoscaler` -> `horizontal-pod-autoscaler` (one object per kind)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "-", data["kind"]).lower()
