"""The objects around the gateway's Deployment: its ServiceAccount, Service, autoscaler,
disruption budget, network policy and Prometheus-operator objects, as plain data."""

from __future__ import annotations

from urllib.parse import urlsplit

from promptlang import ir
from promptlang.emit.k8s_pod import port

DEFAULT_CPU_TARGET = 80.0  # a replica range without `autoscale` scales on CPU at 80%
DNS = [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]
VAULT_PORT = 8200


def service_account(meta: dict) -> dict:
    """The gateway's own identity, with no API token: it never calls the Kubernetes API."""
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta,
            "automountServiceAccountToken": False}


def service(meta: dict, selector: dict, k8s: dict) -> dict:
    return {"apiVersion": "v1", "kind": "Service", "metadata": meta, "spec": {
        "type": "ClusterIP", "selector": selector,
        "ports": [{"name": "http", "port": port(k8s), "targetPort": "http", "protocol": "TCP"}]}}


def autoscaler(meta: dict, k8s: dict) -> dict | None:
    """An autoscaling/v2 HorizontalPodAutoscaler over the replica range, None for a
    fixed count."""
    replicas = k8s.get("replicas")
    if not isinstance(replicas, dict):
        return None
    targets = k8s.get("autoscale") or {"cpu": DEFAULT_CPU_TARGET}
    metrics = [{"type": "Resource", "resource": {"name": name, "target": {
        "type": "Utilization", "averageUtilization": max(1, round(float(value)))}}}
        for name, value in sorted(targets.items())]
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": meta,
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment",
                                        "name": meta["name"]},
                     "minReplicas": int(replicas["min"]), "maxReplicas": int(replicas["max"]),
                     "metrics": metrics}}


def disruption_budget(meta: dict, selector: dict) -> dict:
    """At most one replica evicted at a time; with one replica a node drain still
    proceeds (a `minAvailable: 1` would block it forever)."""
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": meta,
            "spec": {"maxUnavailable": 1, "selector": {"matchLabels": selector}}}


def network_policy(meta: dict, selector: dict, program: ir.ProgramIR,
                   env: ir.EnvironmentIR) -> dict:
    """Ingress on the gateway's port only (clients and Prometheus); egress to DNS, to the
    ports of the models' servers (443 for hosted APIs) and to Vault when secrets come
    from it."""
    k8s = env.settings.get("kubernetes") or {}
    ports = model_ports(program)
    if any(ref.source == "vault" for ref in env.secrets.values()):
        ports.add(VAULT_PORT)
    egress = [{"ports": DNS}, {"ports": [{"port": p, "protocol": "TCP"} for p in sorted(ports)]}]
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": meta,
            "spec": {"podSelector": {"matchLabels": selector},
                     "policyTypes": ["Ingress", "Egress"],
                     "ingress": [{"ports": [{"port": port(k8s), "protocol": "TCP"}]}],
                     "egress": egress}}


def model_ports(program: ir.ProgramIR) -> set[int]:
    """The TCP ports the program's models are reached on: their `base_url`'s, and 443
    for providers called at their hosted API."""
    ports = set()
    for model in program.models:
        url = model.settings.get("base_url") or model.settings.get("endpoint")
        ports.add(_url_port(url) if isinstance(url, str) else 443)
    return ports or {443}


def _url_port(url: str) -> int:
    try:
        parts = urlsplit(url)
        return parts.port or (80 if parts.scheme == "http" else 443)
    except ValueError:
        return 443


def service_monitor(meta: dict, selector: dict) -> dict:
    """Prometheus scrapes `/metrics` on the Service's port every 30 s."""
    return {"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor", "metadata": meta,
            "spec": {"selector": {"matchLabels": selector},
                     "endpoints": [{"port": "http", "path": "/metrics", "interval": "30s",
                                    "scheme": "http"}]}}


def prometheus_rule(meta: dict, program: ir.ProgramIR, env: ir.EnvironmentIR) -> dict | None:
    """The environment's `monitor` rules (the monitoring target's groups, so there is one
    source of rules); None when it has none."""
    from promptlang.emit.monitoring import rule_groups

    groups = rule_groups(program, env)
    if not groups:
        return None
    return {"apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule", "metadata": meta,
            "spec": {"groups": groups}}
