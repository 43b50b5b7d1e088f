"""Running the gateway: secrets from `--env` (environment variables, Vault agent files),
readiness, graceful shutdown on SIGTERM, and the command's usage errors."""

from __future__ import annotations

import signal
import threading
import time

import httpx
from click.testing import CliRunner
from shop import ECHO
from shop import PROVIDER_KEY

from promptlang import ir
from promptlang.cli import cli
from promptlang.serve import settings


def test_vault_secrets_are_read_from_the_agents_files(shop, start, standin, tmp_path):
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "SHOP_PROVIDER_KEY").write_text("vault-value-42\n")
    served = start([".", "--env", "vaulted", "--secrets-dir", str(secrets)], shop)
    assert served.client.get("/readyz").json() == {"status": "ok"}
    assert served.client.post(f"/prompts/{ECHO}", json={"text": "hi"}).status_code == 200
    assert standin.seen[-1]["authorization"] == "Bearer vault-value-42"


def test_a_missing_secret_makes_the_gateway_not_ready(shop, start, tmp_path):
    served = start([".", "--env", "vaulted", "--secrets-dir", str(tmp_path)], shop)
    ready = served.client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json() == {"status": "not ready", "missing_secrets": ["SHOP_PROVIDER_KEY"]}
    assert served.client.get("/healthz").status_code == 200  # alive, so not restarted


def test_resolve_secrets_reads_env_refs_under_the_secret_name(tmp_path):
    env = ir.EnvironmentIR(qname="m.prod", name="prod", module="m", settings={}, secrets={
        "API_KEY": ir.SecretRef(source="env", name="PROD_API_KEY"),
        "OTHER": ir.SecretRef(source="vault", path="secret/data/x", key="k")})
    environ = {"PROD_API_KEY": "abc"}
    missing = settings.resolve_secrets(env, secrets_dir=tmp_path, environ=environ)
    assert (environ["API_KEY"], missing) == ("abc", ["OTHER"])


def test_sigterm_lets_the_call_in_flight_finish(shop, start, standin):
    served = start([".", "--env", "production", "--grace", "10"], shop, TEST_SHOP_KEY=PROVIDER_KEY)
    seen = len(standin.seen)
    answers: list[httpx.Response] = []
    standin.delay = 1.0
    try:
        call = threading.Thread(target=lambda: answers.append(
            httpx.post(f"{served.url}/prompts/{ECHO}", json={"text": "still here"}, timeout=30)))
        call.start()
        while len(standin.seen) == seen:  # the call has reached the model
            time.sleep(0.01)
        served.process.send_signal(signal.SIGTERM)
        call.join(30)
    finally:
        standin.delay = 0.0
    # drained, then ended by the signal it got (uvicorn raises it again, so that a
    # supervisor sees why the process stopped)
    assert served.process.wait(30) == -signal.SIGTERM
    assert answers and answers[0].status_code == 200
    assert answers[0].json()["output"] == "still here"


def test_an_unknown_environment_is_a_usage_error_with_a_suggestion(shop):
    result = CliRunner().invoke(cli, ["serve", str(shop), "--env", "prodution"])
    assert result.exit_code == 2
    assert "no such environment" in result.output and "production" in result.output


def test_a_json_file_that_is_no_bundle_is_a_usage_error(tmp_path):
    (tmp_path / "bundle.json").write_text('{"program": {"format": "something/9"}}')
    result = CliRunner().invoke(cli, ["serve", str(tmp_path / "bundle.json")])
    assert result.exit_code == 2
    assert "is not a popsc bundle" in result.output


def test_a_project_with_errors_prints_them_and_exits_1(tmp_path):
    (tmp_path / "pops.toml").write_text('[project]\nname = "broken"\n')
    (tmp_path / "main.pops").write_text('prompt p(x: strin) -> string {\n  user "{{ x }}"\n}\n')
    result = CliRunner().invoke(cli, ["serve", str(tmp_path)])
    assert result.exit_code == 1
    assert "error[" in result.output


def test_a_port_in_use_is_a_usage_error(shop, gateway):
    result = CliRunner().invoke(cli, ["serve", str(shop), "--port", str(gateway.port)])
    assert result.exit_code == 2
    assert f"cannot listen on 127.0.0.1:{gateway.port}" in result.output
