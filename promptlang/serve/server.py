"""Putting the gateway together and running it under uvicorn.

`prepare` loads the program (and the previous build for a canary), resolves the
environment's secrets, imports the SDKs and builds the application; it raises before
anything listens, so a broken program or a wrong `--env` never becomes a server that
fails every request. `run` serves until SIGTERM or SIGINT: uvicorn stops accepting
connections, waits up to `grace` seconds for the calls in flight, then the application's
shutdown closes the providers' connections."""

from __future__ import annotations

import gc
import logging
import socket
from contextlib import ExitStack
from pathlib import Path

import attrs
import uvicorn
from starlette.applications import Starlette

from promptlang.serve import app as http
from promptlang.serve import gateway as gw
from promptlang.serve import openapi
from promptlang.serve import settings
from promptlang.serve import source as src

log = logging.getLogger("promptlang.gateway")


@attrs.frozen(kw_only=True)
class Options:
    """What `popsc serve` was asked: see `cli_serve` for each option."""

    path: str | None = None
    env: str | None = None
    stable: str | None = None
    stable_optional: bool = False
    recordings: Path | None = None
    secrets_dir: Path = settings.VAULT_SECRETS


@attrs.frozen
class Prepared:
    """The application and what it serves, for the start-up line."""

    app: Starlette
    gateway: gw.Gateway
    state: http.State
    canary: dict[str, float]
    environment: object | None = None


def prepare(options: Options, stack: ExitStack) -> Prepared:
    """The application for `options`; the SDKs stay imported while `stack` is open.
    Raises `project.UsageError` or `source.ProgramErrors`."""
    current = src.load(options.path)
    env = settings.environment(current.program, options.env)
    rollout = settings.rollout(env)
    stable = _stable(options, current)
    missing = settings.resolve_secrets(env, secrets_dir=options.secrets_dir)
    sdk = src.enter_sdk(stack, current)
    stable_sdk = src.enter_sdk(stack, stable) if stable is not None else None
    endpoints = gw.endpoints(sdk, current.program, stable_sdk,
                             stable.program if stable else None, rollout)
    _warn_about_canary(rollout, stable, endpoints, options)
    gateway = gw.Gateway(endpoints, router=_router(sdk), recordings=options.recordings)
    served = [p for p in current.program.prompts if p.qname in endpoints]
    state = http.State(missing_secrets=missing)
    application = http.create(gateway, openapi.document(current.program, served), state)
    canary = {q: e.weight for q, e in endpoints.items() if e.stable is not None}
    return Prepared(application, gateway, state, canary, env)


def _stable(options: Options, current: src.Source) -> src.Source | None:
    """The `--stable` build, under another package name; None without one, and None with a
    warning when `--stable-optional` and nothing is there (a first deploy: the optional
    `<app>-bundle-stable` ConfigMap not created yet). Anything else wrong with the path
    stays a usage error."""
    if options.stable is None:
        return None
    if options.stable_optional and src.absent(options.stable):
        log.warning("--stable %s is absent or empty (--stable-optional): no stable build yet, "
                    "so this build serves every call", options.stable)
        return None
    loaded = src.load_stable(options.stable, current)
    return src.Source(src.renamed(loaded.program, "stable"))  # no cache: another package


def _router(sdk) -> object | None:
    """The SDK package's intent router."""
    return sdk.router()


def _warn_about_canary(rollout: settings.Rollout | None, stable: src.Source | None,
                       endpoints: dict[str, gw.Endpoint], options: Options) -> None:
    if rollout is None:
        if stable is not None:
            log.warning("--stable is not used: the environment (see --env) has no rollout, "
                        "so this build serves every call")
        return
    for qname in sorted(rollout.prompts):
        if qname in endpoints and endpoints[qname].stable is None:
            if stable is not None:
                why = "the --stable build has no other version of it"
            elif options.stable is not None:
                why = f"the --stable build {options.stable} is not there yet"
            else:
                why = "no --stable build was given"
            log.warning("rollout: %s serves this build's version to every call: %s", qname, why)


def check_address(host: str, port: int) -> str | None:
    """Why the gateway could not listen on `host:port` (in use, no such address), or
    None: asked before the server starts, so the mistake is a usage error, not a log."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, kind, proto, _, address = infos[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
            probe.bind(address)
    except OSError as error:
        return f"cannot listen on {host}:{port}: {error.strerror or error}"
    return None


def run(application: Starlette, *, host: str, port: int, grace: int) -> None:
    """Serve until a signal; uvicorn logs through the gateway's JSON logging. What was
    loaded so far (the SDK, the IR) stays for the process's life: frozen out of the
    cyclic garbage collector, whose full passes would otherwise walk it again and
    again, pausing calls."""
    gc.collect()
    gc.freeze()
    uvicorn.run(application, host=host, port=port, log_config=None, access_log=False,
                server_header=False, timeout_graceful_shutdown=grace, lifespan="on")
