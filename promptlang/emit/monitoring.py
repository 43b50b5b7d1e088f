"""The `monitoring` target: per environment, Prometheus recording and alerting rules from
its `monitor` block (`monitoring/<env>/rules.yaml`, for `promtool check rules` and
Prometheus' `rule_files`) and a Grafana dashboard (`monitoring/<env>/dashboard.json`).

The rules are built as data (`rule_groups`, which the kubernetes target also puts in its
PrometheusRule) over the metrics the gateway exports (`promptlang.runtime.metrics`):
- `slo` on a rate (`error_rate`, `latency_pNN`, `intent_match_rate`, `intent_miss_rate`)
  becomes its error ratio recorded over the windows of the SRE workbook's multi-window,
  multi-burn-rate alerts, and two alerts: a page (`critical`: 14.4x the budget over 1h
  and 5m, or 6x over 6h and 30m) and a ticket (`warning`: 3x over 1d and 2h, or 1x over
  3d and 6h). A tier that cannot fire (its burn rate times the budget is 100% or more,
  as for a p50 objective) is left out.
- `slo` on a total (`policy_violations`, `tokens`, `cost`) holds per day: the total over
  1d is recorded and a `warning` alert fires when it breaks the objective.
- `alert` on a rate compares the rate over 5m and fires when that holds for its `for`;
  `alert` on a total compares the total over its `for` (5m when left out), so
  `alert cost > 40 for 1h` fires as soon as an hour's spend passes $40.
Per-call rates are per prompt and version; intent rates and totals environment-wide.
An environment with a `kubernetes` namespace only counts the series of that namespace
(the label a ServiceMonitor scrape adds), so two environments can share a Prometheus."""

from __future__ import annotations

import json

import yaml
from prometheus_client.utils import floatToGoString

from promptlang import __version__
from promptlang import ir
from promptlang.emit.cache import EmitCache
from promptlang.emit.files import HEADER
from promptlang.emit.files import FileSet
from promptlang.runtime.metrics import LATENCY_BUCKETS

CALLS = "popsc_prompt_latency_seconds_count"
BUCKETS = "popsc_prompt_latency_seconds_bucket"
ERRORS = "popsc_prompt_errors_total"
MATCHES = "popsc_intent_matches_total"
MISSES = "popsc_intent_misses_total"
TOTALS = {"policy_violations": "popsc_policy_violations_total",
          "tokens": "popsc_prompt_tokens_total", "cost": "popsc_prompt_cost_usd_total"}
BY_CALL = "prompt, version"
RATE_WINDOW = "5m"
TOTAL_WINDOW = 300.0  # an `alert` on a total without `for`: the total over 5m
# (severity, burn rate, long window, short window): the SRE workbook, chapter 5, table 5-8
BURN_TIERS = (("critical", 14.4, "1h", "5m"), ("critical", 6, "6h", "30m"),
              ("warning", 3, "1d", "2h"), ("warning", 1, "3d", "6h"))
WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
SLI = "popsc:slo_errors:ratio_rate{window}"
SLO_TOTAL = "popsc:slo_total:increase1d"
UNITS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))


def emit(program: ir.ProgramIR, files: FileSet, cache: EmitCache | None = None) -> None:
    from promptlang.emit import grafana

    for env in program.environments:
        base = f"monitoring/{env.name}"
        files.add(f"{base}/rules.yaml", rules_yaml(program, env))
        files.add_json(f"{base}/dashboard.json", grafana.dashboard(program, env))


def rules_yaml(program: ir.ProgramIR, env: ir.EnvironmentIR) -> str:
    """The rule file of `env`, as `promtool check rules` and Prometheus read it."""
    header = (f"# {HEADER.format(version=__version__)}\n"
              f"# Prometheus rules of environment `{env.name}`: `promtool check rules {env.name}/rules.yaml`\n")
    body = yaml.dump({"groups": rule_groups(program, env)}, Dumper=_Dumper, sort_keys=False,
                     allow_unicode=True, width=4096)
    return header + body


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (PromQL) as literal blocks, the way people write rule files."""


def _str(dumper: yaml.SafeDumper, text: str):
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _str)


def rule_groups(program: ir.ProgramIR, env: ir.EnvironmentIR) -> list[dict]:
    """The Prometheus rule groups of `env` (recording, then alerting) as plain data,
    `[{"name": ..., "rules": [...]}]`; empty without a `monitor` block."""
    rules = unique_rules(env.settings.get("monitor") or [])
    ctx = Scope(env)
    slos = [r for r in rules if r["kind"] == "slo"]
    groups = {
        f"popsc-{env.name}-slo-records": [rec for r in slos for rec in _records(ctx, r)],
        f"popsc-{env.name}-slo-alerts": [a for r in slos for a in _slo_alerts(ctx, r)],
        f"popsc-{env.name}-alerts": [_alert(ctx, r) for r in rules if r["kind"] == "alert"],
    }
    return [{"name": name, "rules": items} for name, items in groups.items() if items]


def unique_rules(rules: list[dict]) -> list[dict]:
    """The rules, each once (a repeated line would record the same series twice)."""
    seen, out = set(), []
    for rule in rules:
        key = json.dumps(rule, sort_keys=True)
        if key not in seen and "metric" in rule:
            seen.add(key)
            out.append(rule)
    return out


class Scope:
    """What every rule of one environment shares: its labels and series selector."""

    def __init__(self, env: ir.EnvironmentIR) -> None:
        self.name = env.name
        namespace = (env.settings.get("kubernetes") or {}).get("namespace")
        self.matchers = {"namespace": namespace} if isinstance(namespace, str) else {}

    def series(self, metric: str, **extra: str) -> str:
        """`metric{...}` restricted to this environment's series."""
        return metric + selector({**self.matchers, **extra})

    def labels(self, **extra: str) -> dict[str, str]:
        return {"environment": self.name, **extra}


def selector(labels: dict[str, str]) -> str:
    if not labels:
        return ""
    return "{" + ", ".join(f"{k}={quote(v)}" for k, v in labels.items()) + "}"


def quote(text: str) -> str:
    """A PromQL string literal (Go's escapes, which JSON's are a subset of)."""
    return json.dumps(text, ensure_ascii=False)


# ---- the objective's words ------------------------------------------------------------


def duration(seconds: float) -> str:
    """A Prometheus duration: `300.0` -> `5m`, `1.5` -> `1500ms`."""
    if seconds >= 1 and float(seconds).is_integer():
        for unit, size in UNITS:
            if seconds % size == 0:
                return f"{int(seconds // size)}{unit}"
    return f"{round(seconds * 1000)}ms"


def number(value: float) -> str:
    """A number as PromQL and people read it: `40`, `0.05`, `2000000`."""
    if float(value).is_integer():
        return str(int(value))
    return repr(round(float(value), 10))


def rule_text(rule: dict) -> str:
    """The rule as written in `.pops`: `latency_p95 < 1500ms`, `error_rate > 5% for 10m`."""
    metric, value = rule["metric"], rule["value"]
    if metric.startswith("latency_"):
        shown = duration(value)
    elif _is_percent(metric):
        shown = f"{number(value)}%"
    else:
        shown = number(value)
    text = f"{metric} {rule['op']} {shown}"
    return text + (f" for {duration(rule['for'])}" if rule.get("for") else "")


def _is_percent(metric: str) -> bool:
    return metric.endswith("_rate")


def _quantile(metric: str) -> float:
    return int(metric.rsplit("_p", 1)[1]) / 100


def _camel(metric: str) -> str:
    return "".join(part.capitalize() for part in metric.split("_"))


def latency_bucket(seconds: float) -> float:
    """The histogram bucket a latency objective is measured at: its own bound when the
    gateway's histogram has it, else the nearest one below (counting a few calls under
    the bound as slow, never the reverse), else the smallest."""
    below = [b for b in LATENCY_BUCKETS if b <= seconds + 1e-9]
    return below[-1] if below else LATENCY_BUCKETS[0]


# ---- slo ----------------------------------------------------------------------------------


def budget_of(rule: dict) -> float | None:
    """The error budget of a rate objective (the share of bad events it allows), None
    for an objective on a total."""
    metric, value = rule["metric"], float(rule["value"])
    if metric.startswith("latency_"):
        return round(1 - _quantile(metric), 10)
    if metric == "intent_match_rate":
        return round(1 - value / 100, 10)
    if _is_percent(metric):
        return round(value / 100, 10)
    return None


def bad_ratio(ctx: Scope, rule: dict, window: str) -> str:
    """PromQL for the share of bad events over `window`: failed calls, calls slower
    than the objective, or texts no intent matched."""
    metric = rule["metric"]
    calls = f"sum by ({BY_CALL}) (rate({ctx.series(CALLS)}[{window}]))"
    if metric == "error_rate":
        errors = f"sum by ({BY_CALL}) (rate({ctx.series(ERRORS)}[{window}]))"
        return f"({errors} or 0 * {calls})\n/\n{calls}"
    if metric.startswith("latency_"):
        le = floatToGoString(latency_bucket(float(rule["value"])))
        fast = f"sum by ({BY_CALL}) (rate({ctx.series(BUCKETS, le=le)}[{window}]))"
        return f"1 - (\n  {fast}\n/\n  {calls}\n)"
    misses = f"(sum(rate({ctx.series(MISSES)}[{window}])) or vector(0))"
    matches = f"(sum(rate({ctx.series(MATCHES)}[{window}])) or vector(0))"
    return f"{misses}\n/\n({matches} + {misses})"


def _records(ctx: Scope, rule: dict) -> list[dict]:
    slo = rule_text(rule)
    if budget_of(rule) is None:
        return [{"record": SLO_TOTAL, "expr": _total(ctx, rule["metric"], "1d"),
                 "labels": ctx.labels(slo=slo)}]
    return [{"record": SLI.format(window=w), "expr": bad_ratio(ctx, rule, w),
             "labels": ctx.labels(slo=slo)} for w in WINDOWS]


def _slo_alerts(ctx: Scope, rule: dict) -> list[dict]:
    budget, slo = budget_of(rule), rule_text(rule)
    if budget is None:
        return [_total_slo_alert(ctx, rule, slo)]
    alerts = []
    for severity in ("critical", "warning"):
        tiers = [t for t in BURN_TIERS if t[0] == severity and t[1] * budget < 1]
        if tiers:
            alerts.append(_burn_alert(ctx, rule, slo, budget, severity, tiers))
    return alerts


def _burn_alert(ctx: Scope, rule: dict, slo: str, budget: float, severity: str,
                tiers: list[tuple]) -> dict:
    select = selector(ctx.labels(slo=slo))
    parts = []
    for _, rate, long, short in tiers:
        bound = f"({number(rate)} * {number(budget)})"
        parts.append(f"(\n  {SLI.format(window=long)}{select} > {bound}\nand\n"
                     f"  {SLI.format(window=short)}{select} > {bound}\n)")
    windows = ", ".join(f"{rate}x over {long} and {short}" for _, rate, long, short in tiers)
    per_call = not rule["metric"].startswith("intent_")
    who = "{{ $labels.prompt }} {{ $labels.version }}" if per_call else "routing"
    return {
        "alert": f"Popsc{_camel(rule['metric'])}BudgetBurn",
        "expr": "\nor\n".join(parts),
        "labels": ctx.labels(severity=severity, slo=slo),
        "annotations": {
            "summary": f"`{slo}` burns its error budget too fast: {who} in {ctx.name}",
            "description": (f"The objective `{slo}` allows {number(budget * 100)}% {_bad_events(rule)}; "
                            f"{who} has {{{{ $value | humanizePercentage }}}} over the long window "
                            f"(burn-rate alert: {windows})."),
        },
    }


def _bad_events(rule: dict) -> str:
    metric = rule["metric"]
    if metric.startswith("latency_"):
        return f"calls slower than {duration(float(rule['value']))}"
    return "failed calls" if metric == "error_rate" else "texts no intent matched"


def _total(ctx: Scope, metric: str, window: str) -> str:
    return f"sum(increase({ctx.series(TOTALS[metric])}[{window}]))"


def _total_slo_alert(ctx: Scope, rule: dict, slo: str) -> dict:
    broken = {"<": ">=", "<=": ">", ">": "<=", ">=": "<"}[rule["op"]]
    record = SLO_TOTAL + selector(ctx.labels(slo=slo))
    return {
        "alert": f"Popsc{_camel(rule['metric'])}ObjectiveMissed",
        "expr": f"{record} {broken} {number(rule['value'])}",
        "labels": ctx.labels(severity="warning", slo=slo),
        "annotations": {
            "summary": f"`{slo}` per day is missed in {ctx.name}",
            "description": f"The last day's {rule['metric']} total is {{{{ $value }}}}; the objective is `{slo}`.",
        },
    }


# ---- alert --------------------------------------------------------------------------------


def _alert(ctx: Scope, rule: dict) -> dict:
    metric, text = rule["metric"], rule_text(rule)
    rule_for = rule.get("for")
    if metric in TOTALS:
        window = duration(rule_for or TOTAL_WINDOW)
        expr = f"{_total(ctx, metric, window)} {rule['op']} {number(rule['value'])}"
        if rule["op"] in ("<", "<="):  # no series at all is a total of 0
            expr = f"({_total(ctx, metric, window)} or vector(0)) {rule['op']} {number(rule['value'])}"
        alert = {"expr": expr}
    else:
        alert = {"expr": f"{_rate(ctx, rule)} {rule['op']} {_bound(rule)}"}
        if rule_for:
            alert["for"] = duration(rule_for)
    high = rule["op"] in (">", ">=")
    who = "" if metric in TOTALS or metric.startswith("intent_") else \
        " for {{ $labels.prompt }} {{ $labels.version }}"
    over = f" over {duration(rule_for or TOTAL_WINDOW)}" if metric in TOTALS else ""
    return {
        "alert": f"Popsc{_camel(metric)}{'High' if high else 'Low'}",
        **alert,
        "labels": ctx.labels(severity="warning", rule=text),
        "annotations": {
            "summary": f"`{text}`{who} in {ctx.name}",
            "description": f"{metric}{who}{over} is {_shown_value(metric)} (alert `{text}`).",
        },
    }


def _rate(ctx: Scope, rule: dict) -> str:
    metric = rule["metric"]
    if metric.startswith("latency_"):
        buckets = f"sum by (le, {BY_CALL}) (rate({ctx.series(BUCKETS)}[{RATE_WINDOW}]))"
        return f"histogram_quantile({number(_quantile(metric))}, {buckets})"
    ratio = f"(\n{bad_ratio(ctx, rule, RATE_WINDOW)}\n)"
    return f"(1 - {ratio})" if metric == "intent_match_rate" else ratio


def _bound(rule: dict) -> str:
    return number(rule["value"] / 100) if _is_percent(rule["metric"]) else number(rule["value"])


def _shown_value(metric: str) -> str:
    if metric.startswith("latency_"):
        return "{{ $value | humanizeDuration }}"
    if _is_percent(metric):
        return "{{ $value | humanizePercentage }}"
    if metric == "cost":
        return "{{ $value | humanize }} US dollars"
    return "{{ $value | humanize }}"

