"""The `popsc serve` command: the prompt gateway (see promptlang/serve/). Registered by
`cli.py`.

Exit codes: 1 the project has errors, 2 the command was used wrongly (no such path or
environment, a file that is no bundle). On SIGTERM or SIGINT the server drains the calls
in flight, then ends by that signal (uvicorn raises it again, so that a supervisor sees
why the process stopped)."""

from __future__ import annotations

import sys
from contextlib import ExitStack
from pathlib import Path

import click

from promptlang.cli import EXIT_ERRORS
from promptlang.cli import _guard
from promptlang.cli import cli

DEFAULT_PORT = 8080


@cli.command("serve")
@click.argument("path", required=False)
@click.option("--env", "env", metavar="NAME",
              help="The environment block whose secrets, port and rollout to use.")
@click.option("--port", type=click.IntRange(0, 65535), default=None,
              help=f"Port to listen on [default: the environment's kubernetes port, else {DEFAULT_PORT}].")
@click.option("--host", default="127.0.0.1", show_default=True, envvar="POPSC_SERVE_HOST",
              help="Address to listen on (0.0.0.0 in a container; env POPSC_SERVE_HOST).")
@click.option("--stable", metavar="PATH",
              help="The previous build whose prompt versions take the share of traffic the "
                   "rollout does not give the canary: bundle.json, its out folder, a project, "
                   "or git:REV (this project at a git revision).")
@click.option("--stable-optional", is_flag=True,
              help="A --stable path that is absent or empty is no error: this build serves "
                   "every call, with a warning (the Kubernetes manifests mount the stable "
                   "bundle from an optional ConfigMap, absent on a first deploy).")
@click.option("--recordings", type=click.Path(exists=True, file_okay=False, path_type=Path),
              metavar="DIR",
              help="Answer from recorded responses (DIR/<prompt>/<key>.json, as tests/recordings "
                   "holds them) instead of calling the models.")
@click.option("--secrets-dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("/vault/secrets"), show_default=True,
              help="Where the Vault agent writes vault(...) secrets, one file per secret name.")
@click.option("--grace", type=click.IntRange(min=0), default=20, show_default=True,
              help="Seconds to let calls in flight finish after SIGTERM.")
@click.option("--log-level", type=click.Choice(["debug", "info", "warning", "error"]),
              default="info", show_default=True)
@_guard
def serve_command(path: str | None, env: str | None, port: int | None, host: str,
                  stable: str | None, stable_optional: bool, recordings: Path | None, secrets_dir: Path, grace: int,
                  log_level: str) -> None:
    """Serve the prompts of PATH over HTTP: a project folder, or a build's bundle.json.

    POST /prompts/<prompt> takes the prompt's inputs as JSON and answers its typed
    output; POST /route routes free text through the intents; POST /feedback rates an
    answer; GET /metrics, /healthz, /readyz and /openapi.json. Logs are ECS JSON lines."""
    from promptlang.cli import _print_diagnostics
    from promptlang.project import UsageError
    from promptlang.serve import logs
    from promptlang.serve import server
    from promptlang.serve.source import ProgramErrors

    options = server.Options(path=path, env=env, stable=stable,
                             stable_optional=stable_optional, recordings=recordings,
                             secrets_dir=secrets_dir)
    with ExitStack() as stack:
        stack.enter_context(logs.configured(log_level))
        try:
            prepared = server.prepare(options, stack)
        except UsageError as error:
            raise click.UsageError(str(error))
        except ProgramErrors as errors:
            _print_diagnostics(errors.result.diagnostics, errors.result.sources, "text")
            sys.exit(EXIT_ERRORS)
        port = port if port is not None else _env_port(prepared.environment)
        unusable = server.check_address(host, port)
        if unusable is not None:
            raise click.UsageError(unusable)
        server.log.info("serving %d prompts on http://%s:%d", len(prepared.gateway.endpoints),
                        host, port, extra={"popsc": {"event": "start", "env": env,
                                                     "canary": prepared.canary,
                                                     "missing_secrets": prepared.state.missing_secrets}})
        server.run(prepared.app, host=host, port=port, grace=grace)


def _env_port(env) -> int:
    """The environment's `kubernetes { port }`, else the default."""
    kubernetes = env.settings.get("kubernetes") if env is not None else None
    port = kubernetes.get("port") if isinstance(kubernetes, dict) else None
    return port if isinstance(port, int) else DEFAULT_PORT
