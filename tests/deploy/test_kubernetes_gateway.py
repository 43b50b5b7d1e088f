"""The Deployment's container starts the real gateway: its arguments, given to `popsc`
(the image's entrypoint) with the ConfigMap's `bundle.json` as the mounted folder, its
Secret variables and the files the Vault agent would write, serve the probes' and the
ServiceMonitor's paths on loopback, and the gateway reports itself ready (every secret
found)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from promptlang import driver
from promptlang.emit import kubernetes
from promptlang.emit.k8s_pod import BUNDLE_DIR
from promptlang.emit.k8s_pod import STABLE_DIR
from promptlang.emit.k8s_pod import VAULT
from promptlang.lower import lower

ROOT = Path(__file__).resolve().parents[2]
STARTUP_LIMIT = 90  # seconds to wait for readiness before giving up (not a measurement)


def _program(path: Path = ROOT / "examples" / "support"):
    result = driver.check(str(path), need_program=True, use_cache=False)
    assert not result.has_errors
    return lower(result.program, driver._project_info(result.project))


def _older_build(tmp_path: Path) -> str:
    """The support example's bundle with `answer_ticket` (in production's canary) at an
    earlier version and text, as `<app>-bundle-stable` would hold the build deployed before."""
    project = tmp_path / "older"
    shutil.copytree(ROOT / "examples" / "support", project,
                    ignore=shutil.ignore_patterns("build", ".popsc-cache"))
    prompts = project / "support" / "prompts.pops"
    text = prompts.read_text(encoding="utf-8")
    earlier = {'version = "2.1.0"': 'version = "2.0.0"',
               "Use at most 200 words.": "Use at most 150 words."}
    for now, then in earlier.items():
        assert text.count(now) == 1
        text = text.replace(now, then)
    prompts.write_text(text, encoding="utf-8")
    return kubernetes.bundle_text(_program(project))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _of(objects: list[dict], kind: str) -> dict:
    (found,) = [o for o in objects if o["kind"] == kind]
    return found


def _command(container: dict, bundle_dir: Path, port: int, stable_dir: Path) -> list[str]:
    """The container's arguments, run here: the mount folders and address rewritten."""
    args = list(container["args"])
    args[args.index(BUNDLE_DIR)] = str(bundle_dir)
    if "--stable" in args:
        stable = args.index("--stable") + 1
        args[stable] = str(stable_dir) + args[stable].removeprefix(STABLE_DIR)
    args[args.index("--host") + 1] = "127.0.0.1"
    args[args.index("--port") + 1] = str(port)
    return [sys.executable, "-m", "promptlang", *args]


@pytest.mark.parametrize("env_name,provided,stable", [
    ("production", True, None), ("staging", True, None), ("production", False, None),
    ("production", True, "older")])
def test_the_deployments_container_serves_its_probes_and_metrics(env_name, provided, stable,
                                                                 tmp_path):
    """Without the secrets the manifest wires in, the gateway lives but is not ready;
    without the stable ConfigMap it serves this build alone."""
    program = _program()
    env = next(e for e in program.environments if e.name == env_name)
    objects = kubernetes.objects(program, env)
    deployment = _of(objects, "Deployment")
    template = deployment["spec"]["template"]
    (container,) = template["spec"]["containers"]
    # the ConfigMap mounted where the container reads it
    bundle_dir = tmp_path / "bundle"
    bundle_dir.mkdir()
    for key, text in _of(objects, "ConfigMap")["data"].items():
        (bundle_dir / key).write_text(text, encoding="utf-8")
    # the Secret's keys as variables, the Vault agent's files in the secrets folder
    environ = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    if provided:
        environ.update({e["name"]: "test-value" for e in container.get("env", ())})
    secrets = tmp_path / "vault-secrets"
    secrets.mkdir()
    prefix = f"{VAULT}/agent-inject-secret-"
    for note in template["metadata"]["annotations"]:
        if provided and note.startswith(prefix):
            (secrets / note[len(prefix):]).write_text("test-value\n", encoding="utf-8")
    # the optional stable ConfigMap's volume: the kubelet's hidden entries, and the
    # older build's bundle.json once the operator has created the ConfigMap
    stable_dir = tmp_path / "stable"
    (stable_dir / "..2026_01_01").mkdir(parents=True)
    (stable_dir / "..data").symlink_to("..2026_01_01")
    if stable is not None:
        (stable_dir / "bundle.json").write_text(_older_build(tmp_path), encoding="utf-8")
    port = _free_port()
    command = [*_command(container, bundle_dir, port, stable_dir), "--secrets-dir", str(secrets)]
    process = subprocess.Popen(command, env=environ, cwd=tmp_path, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    output = ""
    try:
        base = f"http://127.0.0.1:{port}"
        live = _wait_up(base + container["livenessProbe"]["httpGet"]["path"], process)
        assert live.status_code == 200
        ready = httpx.get(base + container["readinessProbe"]["httpGet"]["path"])
        assert ready.status_code == (200 if provided else 503), ready.text
        if not provided:
            assert "ANTHROPIC_API_KEY" in ready.text
        endpoint = _of(objects, "ServiceMonitor")["spec"]["endpoints"][0]
        assert endpoint["port"] == container["ports"][0]["name"]
        metrics = httpx.get(base + endpoint["path"])
        names = {f.name for f in text_string_to_metric_families(metrics.text)}
        assert "popsc_prompt_latency_seconds" in names
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)
    assert "--stable" in container["args"]  # both environments have a canary
    (started,) = [line["popsc"] for line in map(json.loads, output.splitlines())
                  if line.get("popsc", {}).get("event") == "start"]
    if stable is None:
        assert started["canary"] == {}
        assert "absent or empty" in output
    else:
        assert started["canary"] == {"support.prompts.answer_ticket": 0.1}


def _wait_up(url: str, process: subprocess.Popen) -> httpx.Response:
    deadline = time.monotonic() + STARTUP_LIMIT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the gateway exited {process.returncode}:\n{process.stdout.read()}")
        try:
            response = httpx.get(url, timeout=2)
            if response.status_code == 200:
                return response
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    return httpx.get(url, timeout=2)
