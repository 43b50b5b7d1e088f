"""What `--env NAME` selects from an `environment` block: the secrets the gateway's
models read, and the `rollout` block.

Secrets stay references in the program; the gateway resolves them at start into the
process environment, under the name the block gives them (which is the variable a
model's `api_key = env("...")` names):
- `env("VAR")`: the value of `VAR` in the gateway's environment (a Kubernetes Secret
  mounted as variables);
- `vault(path, key)`: the file `<secrets dir>/<NAME>` (default `/vault/secrets/<NAME>`),
  which the Vault agent injector renders from `path`/`key` before the gateway starts.
  The file holds the bare value; surrounding whitespace is dropped."""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from pathlib import Path

import attrs

from promptlang import ir
from promptlang.diagnostics.suggest import did_you_mean
from promptlang.project import UsageError

VAULT_SECRETS = Path("/vault/secrets")


@attrs.frozen
class Rollout:
    """A canary: `weight` (0 to 1) of the calls of `prompts` go to the newer version."""

    weight: float
    prompts: frozenset[str]


def environment(program: ir.ProgramIR, name: str | None) -> ir.EnvironmentIR | None:
    """The environment `--env` names (by name or qualified name); None without `--env`."""
    if name is None:
        return None
    for env in program.environments:
        if name in (env.name, env.qname):
            return env
    names = [e.name for e in program.environments]
    hint = did_you_mean(name, names) or (
        "the program's environments are " + ", ".join(names) if names
        else "the program declares no environment")
    raise UsageError(f"--env {name}: no such environment; {hint}")


def rollout(env: ir.EnvironmentIR | None) -> Rollout | None:
    """The environment's canary, if it has one with a weight over zero."""
    block = env.settings.get("rollout") if env is not None else None
    if not isinstance(block, dict) or block.get("strategy", "canary") != "canary":
        return None
    weight = float(block.get("weight") or 0) / 100
    if weight <= 0:
        return None
    return Rollout(min(weight, 1.0), frozenset(block.get("prompts") or ()))


def resolve_secrets(env: ir.EnvironmentIR | None, *, secrets_dir: Path = VAULT_SECRETS,
                    environ: MutableMapping[str, str] | None = None) -> list[str]:
    """Put each secret of `env` into the process environment under its name; returns
    the names that could not be found (the gateway reports itself not ready)."""
    target = os.environ if environ is None else environ
    missing = []
    for name, ref in sorted((env.secrets if env is not None else {}).items()):
        value = _value(name, ref, secrets_dir, target)
        if value:
            target[name] = value
        else:
            missing.append(name)
    return missing


def _value(name: str, ref: ir.SecretRef, secrets_dir: Path,
           environ: MutableMapping[str, str]) -> str | None:
    if ref.source == "env":
        return environ.get(ref.name or name)
    try:
        return (secrets_dir / name).read_text(encoding="utf-8").strip()
    except OSError:
        return None
