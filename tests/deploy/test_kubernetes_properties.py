"""Any `kubernetes` block the checker accepts gives manifests the cluster accepts:
hypothesis draws namespaces, replica counts and ranges, ports, autoscale targets,
resources (flat or as requests/limits) and secrets of both kinds, and every core
object must pass kubernetes-validate in strict mode."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from promptlang import driver
from promptlang.emit import kubernetes
from promptlang.lower import lower

kubernetes_validate = pytest.importorskip("kubernetes_validate")

CLUSTER = "1.33.0"
QUALIFIED_NAME = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?")
LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")
DIGEST = "ghcr.io/acme/gateway@sha256:" + "ab" * 32
names = st.from_regex(r"[a-z][a-z0-9]{0,20}", fullmatch=True)
env_names = st.from_regex(r"_?[a-z][a-z0-9_]{0,70}_?", fullmatch=True)
cpu = st.one_of(st.integers(1, 4000).map(lambda m: f'"{m}m"'), st.sampled_from(['"1"', '"0.5"', "2"]))
memory = st.one_of(st.integers(1, 4096).map(lambda m: f'"{m}Mi"'), st.sampled_from(['"1Gi"', '"512M"']))


@st.composite
def replicas_and_autoscale(draw) -> list[str]:
    if draw(st.booleans()):
        return [f"replicas = {draw(st.integers(1, 20))}"]
    lo = draw(st.integers(1, 10))
    lines = [f"replicas = {lo}..{draw(st.integers(lo, 30))}"]
    targets = draw(st.dictionaries(st.sampled_from(["cpu", "memory"]), st.integers(1, 100), min_size=1))
    if draw(st.booleans()):
        lines.append("autoscale { " + ", ".join(f"{k} = {v}%" for k, v in sorted(targets.items())) + " }")
    return lines


@st.composite
def resources(draw) -> list[str]:
    kind = draw(st.sampled_from(["none", "flat", "split"]))
    if kind == "flat":
        return [f"resources {{ cpu = {draw(cpu)}, memory = {draw(memory)} }}"]
    if kind == "split":  # a limit at or above its request (else E0606)
        asked = draw(st.integers(1, 4096))
        capped = asked + draw(st.integers(0, 4096))
        return [f"resources {{ requests {{ cpu = {draw(cpu)}, memory = \"{asked}Mi\" }}, "
                f"limits {{ memory = \"{capped}Mi\" }} }}"]
    return []


@st.composite
def environments(draw) -> str:
    k8s = [f'namespace = "{draw(names)}"', f'image = "{DIGEST}"',
           *draw(replicas_and_autoscale()), *draw(resources())]
    if draw(st.booleans()):
        k8s.append(f"port = {draw(st.integers(1, 65535))}")
    secrets = draw(st.dictionaries(st.from_regex(r"_?[A-Z][A-Z0-9_]{0,60}", fullmatch=True),
                                   st.sampled_from(['env("VAR_A")', 'env("B")',
                                                    'vault("secret/data/x", "k")',
                                                    'vault("kv/y", "some-key")']), max_size=3))
    block = "\n".join(f"    {line}" for line in k8s)
    text = f"environment {draw(env_names)} {{\n  kubernetes {{\n{block}\n  }}\n"
    if secrets:
        text += "  secrets {\n" + "".join(f"    {k} = {v}\n" for k, v in sorted(secrets.items())) + "  }\n"
    return text + "}\n"


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(source=environments(), project=st.text(min_size=0, max_size=30))
def test_accepted_kubernetes_blocks_give_valid_manifests(source, project):
    result = driver.check_texts({"deploy.pops": source})
    assert not [d for d in result.diagnostics if d.is_error], (source, result.diagnostics)
    program = lower(result.program, {"name": project})
    (env,) = program.environments
    objects = kubernetes.objects(program, env)
    assert objects
    for data in objects:
        if data["apiVersion"] != "monitoring.coreos.com/v1":
            kubernetes_validate.validate(data, CLUSTER, strict=True)
        assert len(data["metadata"]["name"]) <= 63
        for key in data["metadata"].get("annotations", {}):
            assert QUALIFIED_NAME.fullmatch(key.rpartition("/")[2]), key
        for key in data.get("spec", {}).get("template", {}).get("metadata", {}).get("annotations", {}):
            assert QUALIFIED_NAME.fullmatch(key.rpartition("/")[2]), key
        # label values are plain strings to the schema: their syntax is checked here
        assert all(len(v) <= 63 and LABEL_VALUE.fullmatch(v)
                   for v in data["metadata"]["labels"].values()), data["metadata"]["labels"]
