"""The gateway's pod, as the `kubernetes` target's Deployment runs it: hardened (non-root
high UID, read-only root filesystem, every capability dropped, seccomp RuntimeDefault,
no service-account token in the gateway), probed, with requests and limits, and its
secrets as references only.

Secrets reach the gateway the way `popsc serve` reads them (`promptlang/serve/settings.py`):
- `NAME = env("VAR")`: variable `VAR` from key `VAR` of the Secret `<app>-secrets`
  (`secretKeyRef`), which the operator creates in the namespace;
- `NAME = vault("path", "key")`: the Vault agent injector renders the key into the file
  `/vault/secrets/NAME` (annotations keyed by NAME, or by a short stable key with an
  `agent-inject-file` annotation naming the file when NAME does not fit in a key); it logs in with the Kubernetes auth role `<app>`, through a
  projected service-account token that only the agent mounts.

An environment with a `rollout` canary also mounts the ConfigMap `<app>-bundle-stable`,
marked optional, at `/stable`: the operator copies the deployed bundle into it before
applying a new build (docs/language.md, section 13), and the gateway serves the share of
calls the canary does not take from it. Until it exists (a first deploy) the volume is
empty and the gateway, told `--stable-optional`, serves this build to every call."""

from __future__ import annotations

import hashlib
import json

from promptlang import __version__
from promptlang import ir
from promptlang.serve.settings import rollout

UID = 10001  # a high UID, above every system account of a base image (the Dockerfile's)
BUNDLE_DIR = "/bundle"
STABLE_DIR = "/stable"
STABLE_BUNDLE = f"{STABLE_DIR}/bundle.json"
STABLE_VOLUME = "stable-bundle"
VAULT = "vault.hashicorp.com"
VAULT_TOKEN_VOLUME = "vault-token"
DEFAULT_RESOURCES = {"cpu": "250m", "memory": "256Mi"}
# The bundle is read and the SDK generated at start, in memory: a few seconds at most,
# but a large program on a throttled CPU gets a minute before liveness takes over.
STARTUP = {"periodSeconds": 2, "failureThreshold": 30, "timeoutSeconds": 2}


def pod_template(app: str, env: ir.EnvironmentIR, labels: dict, selector: dict,
                 bundle_sha: str) -> dict:
    """The Deployment's pod template of `env`: `labels` on the pods, `selector` the
    ones that pick them out (replicas are spread over nodes by it)."""
    k8s = env.settings.get("kubernetes") or {}
    annotations = {"popsc.dev/bundle-sha256": bundle_sha, **vault_annotations(app, env)}
    spec = {
        "serviceAccountName": app,
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "securityContext": {"runAsNonRoot": True, "runAsUser": UID, "runAsGroup": UID,
                            "fsGroup": UID, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [_container(app, env, k8s)],
        "volumes": _volumes(app, env),
        "terminationGracePeriodSeconds": 30,
    }
    if _replicas_max(k8s) > 1:
        spec["topologySpreadConstraints"] = [{
            "maxSkew": 1, "topologyKey": "kubernetes.io/hostname",
            "whenUnsatisfiable": "ScheduleAnyway", "labelSelector": {"matchLabels": selector}}]
    return {"metadata": {"labels": labels, "annotations": annotations}, "spec": spec}


def port(k8s: dict) -> int:
    return int(k8s.get("port") or 8080)


def _replicas_max(k8s: dict) -> int:
    replicas = k8s.get("replicas", 1)
    return int(replicas["max"] if isinstance(replicas, dict) else replicas)


def _container(app: str, env: ir.EnvironmentIR, k8s: dict) -> dict:
    probe = {"httpGet": {"path": "/healthz", "port": "http"}}
    stable_args, stable_mounts = [], []
    if rollout(env) is not None:  # the canary's previous build, absent on a first deploy
        stable_args = ["--stable", STABLE_BUNDLE, "--stable-optional"]
        stable_mounts = [{"name": STABLE_VOLUME, "mountPath": STABLE_DIR, "readOnly": True}]
    container = {
        "name": "gateway",
        "image": k8s.get("image") or f"popsc-gateway:{__version__}",
        "imagePullPolicy": "Always",
        "args": ["serve", BUNDLE_DIR, "--env", env.name, "--host", "0.0.0.0",
                 "--port", str(port(k8s)), *stable_args],
        "ports": [{"name": "http", "containerPort": port(k8s), "protocol": "TCP"}],
        "env": _env_vars(app, env),
        "resources": resources(k8s.get("resources") or {}),
        "startupProbe": {**probe, **STARTUP},
        "livenessProbe": {**probe, "periodSeconds": 10, "timeoutSeconds": 2, "failureThreshold": 3},
        "readinessProbe": {"httpGet": {"path": "/readyz", "port": "http"}, "periodSeconds": 5,
                           "timeoutSeconds": 2, "failureThreshold": 2},
        "securityContext": {"runAsNonRoot": True, "runAsUser": UID, "runAsGroup": UID,
                            "allowPrivilegeEscalation": False, "privileged": False,
                            "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]},
                            "seccompProfile": {"type": "RuntimeDefault"}},
        "volumeMounts": [{"name": "bundle", "mountPath": BUNDLE_DIR, "readOnly": True},
                         *stable_mounts, {"name": "tmp", "mountPath": "/tmp"}],
    }
    if not container["env"]:
        del container["env"]
    return container


def resources(block: dict) -> dict:
    """`resources { cpu, memory }` sets requests and limits alike (a Guaranteed pod);
    `requests { }` / `limits { }` set each apart, a value missing on one side taking the
    other's (so a default request never exceeds a limit given alone)."""
    flat = {k: str(v) for k, v in block.items() if k in DEFAULT_RESOURCES}
    asked, capped = _strings(block.get("requests")), _strings(block.get("limits"))
    requests, limits = {}, {}
    for key, default in DEFAULT_RESOURCES.items():
        requests[key] = asked.get(key) or flat.get(key) or capped.get(key) or default
        limits[key] = capped.get(key) or flat.get(key) or requests[key]
    return {"requests": requests, "limits": limits}


def _strings(block) -> dict:
    return {k: str(v) for k, v in (block or {}).items()} if isinstance(block, dict) else {}


def stable_config_map(app: str) -> str:
    """The ConfigMap the operator fills with the deployed build's bundle for a canary."""
    return f"{app}-bundle-stable"


def secret_name(app: str) -> str:
    """The Secret the operator creates for `env(...)` secrets (key: the variable name)."""
    return f"{app}-secrets"


def _env_vars(app: str, env: ir.EnvironmentIR) -> list[dict]:
    """`env(...)` secrets as Secret key references, under the variable the gateway reads."""
    refs = sorted((ref.name or name) for name, ref in env.secrets.items() if ref.source == "env")
    return [{"name": var, "valueFrom": {"secretKeyRef": {"name": secret_name(app), "key": var}}}
            for var in dict.fromkeys(refs)]


def vault_annotations(app: str, env: ir.EnvironmentIR) -> dict:
    """The Vault agent injector's annotations: one file `/vault/secrets/NAME` per secret."""
    vault = {name: ref for name, ref in sorted(env.secrets.items()) if ref.source == "vault"}
    if not vault:
        return {}
    out = {f"{VAULT}/agent-inject": "true", f"{VAULT}/role": app,
           f"{VAULT}/agent-service-account-token-volume-name": VAULT_TOKEN_VOLUME}
    for name, ref in vault.items():
        key = _annotation_key(name)
        out[f"{VAULT}/agent-inject-secret-{key}"] = ref.path or ""
        out[f"{VAULT}/agent-inject-template-{key}"] = vault_template(ref)
        if key != name:  # the file is still /vault/secrets/NAME
            out[f"{VAULT}/agent-inject-file-{key}"] = name
    return out


def _annotation_key(name: str) -> str:
    """The secret's name in its annotations' keys, which the agent also names the file
    after; a name too long for a key (63 characters with `agent-inject-template-`) or
    not starting with a letter or digit gets a short stable one instead."""
    if len(name) <= 63 - len("agent-inject-template-") and name[0].isalnum() and name[-1].isalnum():
        return name
    return "secret-" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:12]


def vault_template(ref: ir.SecretRef) -> str:
    """The agent template writing the bare value of `key` (KV version 2 when the path
    has the `data/` segment that version's API reads through, else version 1)."""
    data = ".Data.data" if "/data/" in f"/{ref.path or ''}" else ".Data"
    path, key = json.dumps(ref.path or ""), json.dumps(ref.key or "")
    return f"{{{{- with secret {path} -}}}}{{{{ index {data} {key} }}}}{{{{- end }}}}"


def _volumes(app: str, env: ir.EnvironmentIR) -> list[dict]:
    volumes = [
        {"name": "bundle", "configMap": {"name": f"{app}-bundle"}},
        {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}},
    ]
    if rollout(env) is not None:  # absent on a first deploy: mounted empty, not waited for
        volumes.insert(1, {"name": STABLE_VOLUME,
                           "configMap": {"name": stable_config_map(app), "optional": True}})
    if any(ref.source == "vault" for ref in env.secrets.values()):
        # The agent's login token, mounted into the agent alone: the gateway keeps none.
        volumes.append({"name": VAULT_TOKEN_VOLUME, "projected": {"sources": [
            {"serviceAccountToken": {"path": "token", "expirationSeconds": 600, "audience": "vault"}}]}})
    return volumes
