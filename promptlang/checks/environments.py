"""Environments: the deploy (`kubernetes`, `secrets`, `rollout`) and monitoring
(`monitor`) settings the Kubernetes, Terraform and monitoring targets are emitted from.
Checked here, against what those targets accept, so an emitter never writes a manifest
that a cluster or Prometheus would reject."""

from __future__ import annotations

import re
import typing as t

from promptlang.checks.context import Ctx
from promptlang.checks.intents import blocks_by_kind
from promptlang.checks.settings import expect_list
from promptlang.checks.settings import expect_number
from promptlang.checks.settings import expect_percent
from promptlang.checks.settings import expect_string
from promptlang.checks.settings import require
from promptlang.checks.settings import sort_entries
from promptlang.checks.values import describe
from promptlang.checks.values import dotted_parts
from promptlang.diagnostics.model import Label
from promptlang.diagnostics.suggest import did_you_mean
from promptlang.diagnostics.suggest import all_of
from promptlang.syntax import nodes as n

DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]*")
# the Kubernetes quantity forms popsc accepts: millicores or cores; bytes with a suffix
QUANTITIES = {
    "cpu": (re.compile(r"[0-9]+m|[0-9]+(\.[0-9]+)?"), '`"500m"` (millicores) or `"1"` (cores)'),
    "memory": (re.compile(r"[0-9]+(Ki|Mi|Gi|Ti|K|M|G|T)?"), '`"512Mi"` or `"2Gi"`'),
}
# metric -> how its values are written (the metrics the gateway exports)
METRICS = {
    "latency_p50": "duration", "latency_p90": "duration", "latency_p95": "duration",
    "latency_p99": "duration", "error_rate": "percent", "policy_violations": "count",
    "tokens": "count", "cost": "number", "intent_match_rate": "percent",
    "intent_miss_rate": "percent",
}
# value kind -> (literal kinds, what they are, an example)
VALUE_KINDS = {
    "duration": ((n.Duration,), "a duration", "1500ms"),
    "percent": ((n.Percent,), "a percentage", "1%"),
    "count": ((n.Int,), "a whole number", "0"),
    "number": ((n.Int, n.Float), "a number", "0.05"),
}
BOUNDS = ("<", "<=", ">", ">=")
HIGHER_IS_BETTER = ("intent_match_rate",)  # every other metric is better lower
ROLLOUTS = ("canary",)


def check_environment(ctx: Ctx, decl: n.Environment) -> None:
    """Check one environment: every block becomes manifests, rules or dashboards."""
    where = f"environment `{decl.name.value}`"
    body = sort_entries(ctx, decl.entries, where, keys=("region", "description"), blocks=_BLOCKS)
    for key, setting in body.settings.items():
        expect_string(ctx, setting.value, key)
    for kind, block in blocks_by_kind(ctx, body.blocks, labelled={"rollout"}).items():
        _BLOCKS[kind](ctx, block)


# ---- kubernetes ------------------------------------------------------------------------------


def _kubernetes(ctx: Ctx, block: n.Block) -> None:
    body = sort_entries(ctx, block.entries, "`kubernetes`", keys=_K8S_SETTINGS,
                        blocks=("autoscale", "resources"))
    for key, setting in body.settings.items():
        _K8S_SETTINGS[key](ctx, setting.value)
    blocks = blocks_by_kind(ctx, body.blocks)
    if "autoscale" in blocks:
        _autoscale(ctx, blocks["autoscale"], body.settings.get("replicas"))
    if "resources" in blocks:
        _resources(ctx, blocks["resources"], nested=False)


def _namespace(ctx: Ctx, value) -> None:
    """A namespace is a DNS-1123 label, or the cluster refuses every manifest in it."""
    text = expect_string(ctx, value, "namespace")
    if text is None or (len(text) <= 63 and DNS_LABEL.fullmatch(text)):
        return
    fixed = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")[:63].strip("-") or "prompts"
    ctx.sink.report("E0308", value.span, f"namespace `{text}` is not a valid Kubernetes name",
                    label="not a DNS-1123 label",
                    help="use at most 63 lowercase letters, digits and `-`, starting and ending "
                         f"with a letter or digit, such as `\"{fixed}\"`")


def _image(ctx: Ctx, value) -> None:
    """A tag can be moved to another build; only a digest names exactly one image."""
    text = expect_string(ctx, value, "image")
    if text is None:
        return
    if not text or any(c.isspace() for c in text):
        found = "an empty string" if not text else "spaces"
        ctx.sink.report("E0301", value.span, f"`image` must be a container image reference, found {found}",
                        label="not an image", help='for example `image = "ghcr.io/acme/gateway@sha256:..."`')
    elif "@" in text:
        if not DIGEST.fullmatch(text.rsplit("@", 1)[1]):
            ctx.sink.report("E0308", value.span, "image digest is not `sha256:` and 64 hex digits",
                            label="malformed digest", help="copy the digest your registry shows for the image")
    else:
        ctx.sink.report("W0603", value.span, f"image `{text}` is not pinned by digest",
                        label="a tag can later point to another build",
                        help=f"pin it: `\"{_repository(text)}@sha256:<digest>\"`",
                        notes=(f"`docker buildx imagetools inspect {text}` prints the digest",))


def _repository(image: str) -> str:
    """The image without its tag (`host:5000/app:1.0` -> `host:5000/app`)."""
    head, _, last = image.rpartition("/")
    name = last.split(":", 1)[0]
    return f"{head}/{name}" if head else name


def _replicas(ctx: Ctx, value) -> None:
    """A fixed count, or a range the autoscaler moves within."""
    if isinstance(value, n.Int):
        expect_number(ctx, value, "replicas", lo=1, integer=True)
    elif not isinstance(value, n.Range):
        ctx.sink.report("E0301", value.span, f"`replicas` must be a whole number or a range, found {describe(value)}",
                        label="expected a count or a range", help="for example `replicas = 2` or `replicas = 2..10`")
    elif value.lo < 1:
        ctx.sink.report("E0307", value.span, f"`replicas` must start at 1 or more, found {value.lo}",
                        label="out of range", help=f"write `replicas = 1..{max(value.hi, 1)}`")
    elif value.lo > value.hi:
        ctx.sink.report("E0307", value.span, f"empty range: {value.lo} is greater than {value.hi}",
                        label="lower bound first", help=f"write `replicas = {value.hi}..{value.lo}`")


def _port(ctx: Ctx, value) -> None:
    expect_number(ctx, value, "port", 1, 65535, integer=True)


def _autoscale(ctx: Ctx, block: n.Block, replicas: n.Setting | None) -> None:
    """Targets for the HorizontalPodAutoscaler, which needs a replica range to move in."""
    body = sort_entries(ctx, block.entries, "`autoscale`", keys=("cpu", "memory"))
    for key, setting in body.settings.items():
        expect_percent(ctx, setting.value, key)
    if not block.entries:
        ctx.sink.report("E0306", block.kind.span, "`autoscale` sets no target",
                        label="nothing to scale on", help="add `cpu = 70%`")
    if replicas is None or not isinstance(replicas.value, n.Range):
        secondary = (Label(replicas.value.span, "a fixed number here"),) if replicas else ()
        ctx.sink.report("E0306", block.kind.span, "`autoscale` needs a range of replicas",
                        label="nothing to scale between", secondary=secondary,
                        help="give `replicas` a range, such as `replicas = 2..10`")


def _resources(ctx: Ctx, block: n.Block, nested: bool) -> None:
    """`cpu`/`memory` for both requests and limits, or per `requests`/`limits` block."""
    sub = () if nested else ("requests", "limits")
    body = sort_entries(ctx, block.entries, f"`{block.kind.value}`", keys=QUANTITIES, blocks=sub)
    for key, setting in body.settings.items():
        _quantity(ctx, key, setting.value)
    for inner in blocks_by_kind(ctx, body.blocks).values():
        _resources(ctx, inner, nested=True)
    if not nested:
        _requests_within_limits(ctx, block)


def _requests_within_limits(ctx: Ctx, block: n.Block) -> None:
    """The API server refuses a pod whose request is above its limit: each side is its
    own block's value, else the value given for both."""
    flat = _settings_of(block)
    sides = {inner.kind.value: _settings_of(inner) for inner in block.entries
             if isinstance(inner, n.Block) and inner.kind.value in ("requests", "limits")}
    for key in QUANTITIES:
        request = sides.get("requests", {}).get(key) or flat.get(key)
        limit = sides.get("limits", {}).get(key) or flat.get(key)
        if request is None or limit is None or request is limit:
            continue
        asked, capped = _amount(key, request), _amount(key, limit)
        if asked is not None and capped is not None and asked > capped:
            ctx.sink.report("E0606", request.span,
                            f"{key} request {_shown(request)} is above its limit {_shown(limit)}",
                            label="more than the limit", secondary=(Label(limit.span, "the limit"),),
                            help=f"lower the request to at most {_shown(limit)}, or raise the limit")


def _settings_of(block: n.Block) -> dict:
    return {e.key.value: e.value for e in block.entries if isinstance(e, n.Setting)}


def _shown(value) -> str:
    return f"`{value.value}`"


_MEMORY = re.compile(r"([0-9]+)(Ki|Mi|Gi|Ti|K|M|G|T)?")
_MEMORY_UNITS = {None: 1, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12,
                 "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}


def _amount(key: str, value) -> float | None:
    """A quantity in cores or bytes; None for one the quantity checks report."""
    if key == "cpu" and isinstance(value, (n.Int, n.Float)):
        return float(value.value)
    if not isinstance(value, n.Str) or not QUANTITIES[key][0].fullmatch(value.value):
        return None
    text = value.value
    if key == "cpu":
        return int(text[:-1]) / 1000 if text.endswith("m") else float(text)
    match = _MEMORY.fullmatch(text)
    return int(match.group(1)) * _MEMORY_UNITS[match.group(2)] if match else None


def _quantity(ctx: Ctx, key: str, value) -> None:
    pattern, examples = QUANTITIES[key]
    if key == "cpu" and isinstance(value, (n.Int, n.Float)):
        expect_number(ctx, value, "cpu", lo=0.001)
    elif not isinstance(value, n.Str):
        ctx.sink.report("E0301", value.span, f"`{key}` must be a quantity string, found {describe(value)}",
                        label="expected a string", help=f"for example {examples}")
    elif not pattern.fullmatch(value.value):
        ctx.sink.report("E0308", value.span, f"`{value.value}` is not a Kubernetes {key} quantity",
                        label="not a quantity", help=f"write {examples}")


# ---- secrets -------------------------------------------------------------------------------


def _secrets(ctx: Ctx, block: n.Block) -> None:
    """Secrets are references resolved in the cluster; a value would land in every artifact."""
    keys = {e.key.value for e in block.entries if isinstance(e, n.Setting)}
    body = sort_entries(ctx, block.entries, "`secrets`", keys=keys)
    for name, setting in body.settings.items():
        if not ENV_NAME.fullmatch(name):
            ctx.sink.report("E0308", setting.key.span, f"secret name `{name}` is not in upper snake case",
                            label="pods read it as an environment variable",
                            help=f"write `{name.upper()}`")
        _secret_ref(ctx, name, setting.value)


def _secret_ref(ctx: Ctx, name: str, value) -> None:
    func = value.func.name if isinstance(value, n.Call) and isinstance(value.func, n.Ident) else None
    if isinstance(value, n.Str):
        ctx.sink.report("E0310", value.span, f"secret `{name}` is written as a value",
                        label="this would be copied into every artifact",
                        help=f'reference it instead: `{name} = env("{name.upper()}")` or '
                             '`vault("path", "key")`')
    elif func in _REFS:
        _REFS[func](ctx, value)
    else:
        ctx.sink.report("E0301", value.span,
                        f"secret `{name}` must be `env(...)` or `vault(...)`, found {describe(value)}",
                        label="not a secret reference",
                        help=did_you_mean(func, _REFS) if func else f'for example `{name} = env("{name}")`')


def _string_args(call: n.Call, count: int) -> list[str] | None:
    """The values of exactly `count` positional, non-empty string arguments, else None."""
    args = [a.value.value for a in call.args
            if a.name is None and isinstance(a.value, n.Str) and a.value.value]
    return args if len(args) == count == len(call.args) else None


def _env_ref(ctx: Ctx, call: n.Call) -> None:
    args = _string_args(call, 1)
    if args is None:
        ctx.sink.report("E0315", call.span, "`env` takes one string: the variable's name",
                        label="wrong arguments", help='for example `env("OPENAI_API_KEY")`')
    elif not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", args[0]):
        ctx.sink.report("E0308", call.args[0].span, f"`{args[0]}` is not an environment variable name",
                        label="not a variable name", help="use letters, digits and `_`")


def _vault_ref(ctx: Ctx, call: n.Call) -> None:
    if _string_args(call, 2) is None:
        ctx.sink.report("E0315", call.span, "`vault` takes two strings: the secret's path and key",
                        label="wrong arguments", help='for example `vault("secret/data/llm", "openai")`')


# ---- monitor -----------------------------------------------------------------------------------


def _monitor(ctx: Ctx, block: n.Block) -> None:
    """`slo` rules become recording rules and dashboard targets, `alert` rules alerts."""
    body = sort_entries(ctx, block.entries, "`monitor`", rules=("slo", "alert"))
    for rule in body.rules:
        _monitor_rule(ctx, rule)


def _monitor_rule(ctx: Ctx, rule: n.Rule) -> None:
    keyword, expr = rule.keyword.value, rule.expr
    example = "latency_p95 < 1500ms" if keyword == "slo" else "error_rate > 5% for 10m"
    if not isinstance(expr, n.Compare):
        ctx.sink.report("E0318", expr.span, f"`{keyword}` expects a metric compared with a bound",
                        label=f"found {describe(expr)}", help=f"for example `{keyword} {example}`")
        return
    if expr.op not in BOUNDS:
        ctx.sink.report("E0317", expr.op_span, f"`{keyword}` compares with `<`, `<=`, `>` or `>=`",
                        label="not a bound", help=f"for example `{keyword} {example}`")
    kind = _metric(ctx, expr.left)
    if kind is not None:
        _metric_value(ctx, expr.left.name, kind, expr.right)
        if keyword == "slo" and expr.op in BOUNDS:
            _slo_direction(ctx, expr)
        if keyword == "slo" and kind == "duration" and isinstance(expr.right, n.Duration):
            _latency_bucket(ctx, expr.left.name, expr.right)
    _for(ctx, rule)


def _latency_bucket(ctx: Ctx, metric: str, value: n.Duration) -> None:
    """A latency objective counts the calls over its bound with the gateway's histogram
    bucket at that bound; between two buckets the one below stands in, a stricter bound."""
    from promptlang.runtime.metrics import LATENCY_BUCKETS  # only when an slo needs it

    seconds = value.ms / 1000
    if value.ms < 0 or any(abs(b - seconds) < 1e-9 for b in LATENCY_BUCKETS):
        return
    below = [b for b in LATENCY_BUCKETS if b < seconds]
    above = [b for b in LATENCY_BUCKETS if b > seconds]
    near = [_seconds(b) for b in (below[-1:] + above[:1])]
    used = _seconds(below[-1] if below else LATENCY_BUCKETS[0])
    if below and above:
        where = f"between the gateway's latency buckets {near[0]} and {near[1]}"
    elif above:
        where = f"under the gateway's smallest latency bucket, {used}: a looser objective"
    else:
        where = f"over the gateway's largest latency bucket, {used}"
    ctx.sink.report("W0621", value.span, f"`{metric}` is measured at the histogram bucket of {used}",
                    label=where,
                    help=f"write a bound the histogram has, such as {' or '.join(f'`{b}`' for b in near)}")


def _seconds(bound: float) -> str:
    """A histogram bound as `.pops` writes durations: `1.5` -> `1500ms`, `4.0` -> `4s`."""
    return f"{int(bound)}s" if float(bound).is_integer() else f"{round(bound * 1000)}ms"


def _slo_direction(ctx: Ctx, expr: n.Compare) -> None:
    """An objective bounds what is good: latency, errors, misses and totals from above,
    the match rate from below. The other way round it would alert on a healthy service."""
    metric = expr.left.name
    low = metric in HIGHER_IS_BETTER
    if (expr.op in ("<", "<=")) != low:
        return
    want = ">" if low else "<"
    ctx.sink.report("E0620", expr.op_span, f"`slo` bounds `{metric}` from the wrong side",
                    label=f"`{metric}` is better when {'higher' if low else 'lower'}",
                    help=f"write `slo {metric} {want} ...`, or use `alert` to be told when it "
                         f"crosses the bound")


def _metric(ctx: Ctx, expr) -> str | None:
    """The value kind of a metric the gateway exports, or None after a diagnostic."""
    if isinstance(expr, n.Ident) and expr.name in METRICS:
        return METRICS[expr.name]
    parts = dotted_parts(expr)
    name = ".".join(p.value for p in parts) if parts else None
    ctx.sink.report("E0602", expr.span,
                    f"unknown metric `{name}`" if name else f"expected a metric, found {describe(expr)}",
                    label="not a metric popsc exports",
                    help=(did_you_mean(name, METRICS) if name else None)
                    or f"metrics are {all_of(METRICS, limit=len(METRICS))}")
    return None


def _metric_value(ctx: Ctx, metric: str, kind: str, value) -> None:
    kinds, wanted, example = VALUE_KINDS[kind]
    if not isinstance(value, kinds):
        ctx.sink.report("E0301", value.span, f"`{metric}` is measured as {wanted}, found {describe(value)}",
                        label=f"expected {wanted}", help=f"for example `{metric} < {example}`")
        return
    amount = value.ms if isinstance(value, n.Duration) else value.value
    if amount < 0 or (kind == "percent" and amount > 100):
        bounds = "from 0% to 100%" if kind == "percent" else "0 or more"
        ctx.sink.report("E0307", value.span, f"`{metric}` must be {bounds}", label="out of range")


def _for(ctx: Ctx, rule: n.Rule) -> None:
    """`for` is how long an alert condition must hold before it fires."""
    value = rule.for_
    if value is None:
        return
    if rule.keyword.value != "alert":
        ctx.sink.report("E0318", value.span, f"`for` applies only to `alert`, not `{rule.keyword.value}`",
                        label="not allowed here", help="remove `for ...`, or make the rule an `alert`")
    elif not isinstance(value, n.Duration) or value.ms <= 0:
        ctx.sink.report("E0301", value.span, f"`for` must be a positive duration, found {describe(value)}",
                        label="expected a duration", help="for example `for 5m`")


# ---- rollout -------------------------------------------------------------------------------------


def _rollout(ctx: Ctx, block: n.Block) -> None:
    """A canary sends `weight` of the traffic of the listed prompts to the new version."""
    if block.label is None or block.label.value not in ROLLOUTS:
        _rollout_strategy(ctx, block)
        return
    body = sort_entries(ctx, block.entries, "`rollout canary`", keys=("weight", "prompts"))
    weight = require(ctx, body, "weight", block.label, "`rollout canary`", "weight = 10%")
    if weight is not None:
        expect_percent(ctx, weight.value, "weight")
    if "prompts" in body.settings:
        _prompt_list(ctx, body.settings["prompts"].value)


def _rollout_strategy(ctx: Ctx, block: n.Block) -> None:
    if block.label is None:
        ctx.sink.report("E0318", block.kind.span, "`rollout` needs a strategy",
                        label="no strategy", help="write `rollout canary { weight = 10% }`")
        return
    label = block.label.value
    ctx.sink.report("E0318", block.label.span, f"unknown rollout strategy `{label}`",
                    label="not a strategy popsc deploys",
                    help=did_you_mean(label, ROLLOUTS) or f"strategies are {all_of(ROLLOUTS)}")


def _prompt_list(ctx: Ctx, value) -> None:
    items = expect_list(ctx, value, "prompts")
    seen: dict[str, object] = {}
    for item in items or ():
        parts = dotted_parts(item)
        if parts is None:
            help = f"write the prompt name bare: `{item.value}`" if isinstance(item, n.Str) else None
            ctx.sink.report("E0301", item.span, f"expected a prompt name, found {describe(item)}",
                            label="not a prompt", help=help)
            continue
        sym = ctx.program.lookup(ctx.scope, parts, {"prompt"}, "a prompt", ctx.sink)
        if sym is not None and sym.qname in seen:
            ctx.sink.report("E0210", item.span, f"`{sym.name}` is listed twice", label="listed again here",
                            secondary=(Label(seen[sym.qname].span, "first listed here"),),
                            help="remove one of them")
        elif sym is not None:
            seen[sym.qname] = item


_K8S_SETTINGS = {"namespace": _namespace, "image": _image, "replicas": _replicas, "port": _port}
_BLOCKS = {"kubernetes": _kubernetes, "secrets": _secrets, "monitor": _monitor, "rollout": _rollout}
_REFS = {"env": _env_ref, "vault": _vault_ref}


def check_environment_names(program, sink) -> None:
    """Deploy artifacts are written per environment name (`kubernetes/production/...`),
    so two modules declaring `environment production` would overwrite each other's
    files. The later one, by module name, is reported."""
    first: dict[str, object] = {}
    for sym in sorted((s for s in program.symbols.values() if s.kind == "environment"),
                      key=lambda s: s.module):
        earlier = first.setdefault(sym.name, sym)
        if earlier is sym:
            continue
        sink.report("E0604", sym.decl.name.span,
                    f"environment `{sym.name}` is also declared in module `{earlier.module}`",
                    label="a second environment of this name",
                    secondary=(Label(earlier.decl.name.span, "first declared here"),),
                    help="give each environment its own name: its deploy files are written "
                         f"under `{sym.name}/`")


def check_shared_namespaces(program, sink) -> None:
    """The kubernetes target names every object of an environment after the project, in
    the environment's namespace: two environments in one namespace would replace each
    other's Deployment on apply. The later one, by module and name, is reported."""
    first: dict[str, tuple[t.Any, n.Str]] = {}
    for sym in sorted((s for s in program.symbols.values() if s.kind == "environment"),
                      key=lambda s: (s.module, s.name)):
        value = _namespace_value(sym.decl)
        if value is None:
            continue
        earlier, earlier_value = first.setdefault(value.value, (sym, value))
        if earlier is sym:
            continue
        sink.report("E0605", value.span,
                    f"environments `{earlier.name}` and `{sym.name}` deploy to the same namespace "
                    f"`{value.value}`",
                    label="already the namespace of another environment",
                    secondary=(Label(earlier_value.span, f"`{earlier.name}` deploys here"),),
                    help=f"give `{sym.name}` a namespace of its own, such as "
                         f"`\"{value.value[:63 - len(sym.name) - 1]}-{sym.name}\"`")


def _namespace_value(decl: n.Environment) -> n.Str | None:
    """The `kubernetes { namespace = "..." }` string of an environment, if written."""
    for block in decl.entries:
        if isinstance(block, n.Block) and block.kind.value == "kubernetes":
            for entry in block.entries:
                if isinstance(entry, n.Setting) and entry.key.value == "namespace" \
                        and isinstance(entry.value, n.Str):
                    return entry.value
    return None
