"""The gateway's Dockerfile fits the manifests that run it (no Docker engine runs here,
so the image is not built in tests): its user is the UID the pod asks for, its
entrypoint is `popsc` so that the Deployment's arguments start `popsc serve`, and every
file it copies from the build context exists and is not left out by `.dockerignore`.
checkov's dockerfile checks run in `test_kubernetes_checkov.py`."""

from __future__ import annotations

import json
import re
from pathlib import Path

from promptlang.emit import k8s_pod

ROOT = Path(__file__).resolve().parents[2]


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text(encoding="utf-8"))
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def _last(name: str) -> str:
    return [rest for word, rest in instructions() if word == name][-1]


def test_the_image_runs_as_the_uid_the_pod_asks_for():
    assert _last("USER") == f"{k8s_pod.UID}:{k8s_pod.UID}"


def test_the_entrypoint_is_popsc_so_the_deployments_arguments_run_popsc_serve():
    assert json.loads(_last("ENTRYPOINT")) == ["popsc"]
    cmd = json.loads(_last("CMD"))
    assert cmd[:2] == ["serve", k8s_pod.BUNDLE_DIR]


def test_every_file_copied_from_the_context_exists_and_is_not_ignored():
    ignore = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
              if line.strip() and not line.startswith("#")]
    kept = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    assert ignore[0] == "*"  # everything is left out but what is named
    sources = []
    for word, rest in instructions():
        if word == "COPY" and not rest.startswith("--from"):
            sources += rest.split()[:-1]
    assert sources
    for source in sources:
        assert (ROOT / source).exists(), source
        assert source.rstrip("/") in kept, f"{source} is left out by .dockerignore"
