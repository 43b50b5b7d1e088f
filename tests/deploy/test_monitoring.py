"""The `monitoring` target: Prometheus rules and a Grafana dashboard per environment.

The rule files are checked by the real Prometheus tooling: `promtool check rules` on every
rule file the examples build, and `promtool test rules` with the unit tests under
`tests/golden/monitoring/promtool/` (synthetic series; which alerts fire, when, with what
labels and text). promtool comes from Debian's `prometheus` package, which `.ci/run`
installs; without it those tests skip saying so. The emitted files are kept as goldens
under `tests/golden/monitoring/<example>/` (`--update-golden` rewrites them for review).
"""

from __future__ import annotations

import difflib
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from promptlang import driver
from promptlang.driver import _project_info
from promptlang.emit import monitoring
from promptlang.lower import lower

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden" / "monitoring"
UNIT_TESTS = sorted((GOLDEN / "promtool").glob("*.test.yaml"))
EXAMPLES = sorted(p.parent for p in (ROOT / "examples").glob("*/pops.toml"))
PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(
    PROMTOOL is None, reason="promtool is not installed (Debian: `apt-get install prometheus`; "
                             ".ci/run installs it)")


def build_monitoring(example: Path, tmp_path: Path) -> Path:
    """`popsc build --target monitoring` of a copy of `example`; the monitoring folder."""
    copy = tmp_path / example.name
    shutil.copytree(example, copy, ignore=shutil.ignore_patterns("build", ".popsc-cache"))
    result = driver.build(str(copy), out=str(tmp_path / "out"), use_cache=False,
                          targets=["monitoring"])
    assert not result.check.has_errors
    return tmp_path / "out" / "monitoring"


def program_of(source: str):
    """The lowered program of one in-memory module (which must check cleanly)."""
    result = driver.check_texts({"main.pops": source})
    assert not [d for d in result.diagnostics if d.is_error], result.diagnostics
    return lower(result.program, _project_info(result.project))


def promtool(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([PROMTOOL, *args], cwd=cwd, capture_output=True, text=True, timeout=120)


# ---- goldens and promtool -----------------------------------------------------------------------


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_monitoring_files_match_their_goldens(example, tmp_path, request):
    """Each environment gets `rules.yaml` and `dashboard.json`, byte for byte as reviewed."""
    built = build_monitoring(example, tmp_path)
    actual = {str(p.relative_to(built)): p.read_text() for p in sorted(built.rglob("*")) if p.is_file()}
    folder = GOLDEN / example.name
    if request.config.getoption("--update-golden"):
        shutil.rmtree(folder, ignore_errors=True)
        for rel, text in actual.items():
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            (folder / rel).write_text(text)
        return
    expected = {str(p.relative_to(folder)): p.read_text() for p in sorted(folder.rglob("*")) if p.is_file()}
    assert sorted(actual) == sorted(expected)
    for rel, text in actual.items():
        if text != expected[rel]:
            diff = difflib.unified_diff(expected[rel].splitlines(), text.splitlines(),
                                        f"golden/{rel}", f"built/{rel}", lineterm="", n=2)
            pytest.fail(f"{rel} differs (run with --update-golden and review):\n" + "\n".join(list(diff)[:80]))


@needs_promtool
@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_promtool_accepts_every_rule_file(example, tmp_path):
    """`promtool check rules` parses every expression, label and duration, and lints names."""
    built = build_monitoring(example, tmp_path)
    files = sorted(str(p.relative_to(built)) for p in built.glob("*/rules.yaml"))
    assert files
    done = promtool("check", "rules", *files, cwd=built)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("SUCCESS") == len(files)


@needs_promtool
@pytest.mark.parametrize("unit", UNIT_TESTS, ids=lambda p: p.name.removesuffix(".test.yaml"))
def test_alerts_fire_as_the_monitor_block_says(unit, tmp_path):
    """`promtool test rules`: synthetic series raise exactly the alerts expected, at the
    times expected (burn-rate tiers, `for`, totals over their window, namespaces apart)."""
    example = ROOT / "examples" / unit.name.removesuffix(".test.yaml").rsplit("-", 1)[0]
    built = build_monitoring(example, tmp_path)
    shutil.copy(unit, built / unit.name)
    done = promtool("test", "rules", unit.name, cwd=built)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


# ---- rule_groups --------------------------------------------------------------------------------

SUPPORT = """
environment production {
  kubernetes { namespace = "desk", image = "ghcr.io/acme/gw@sha256:%s" }
  monitor {
    slo latency_p95 < 1234ms
    slo latency_p50 < 800ms
    slo error_rate < 1%%
    slo error_rate < 1%%
    slo cost < 100
    alert tokens < 10 for 1h
  }
}

environment quiet {
  region = "eu-west-1"
}
""" % ("0" * 64)


def _env(program, name):
    return next(e for e in program.environments if e.name == name)


def test_rule_groups_are_the_data_of_the_rule_file():
    """The kubernetes target embeds `rule_groups` in its PrometheusRule: the same data as
    the rule file, plain lists and dicts, the same on every call."""
    program = program_of(SUPPORT)
    env = _env(program, "production")
    groups = monitoring.rule_groups(program, env)
    assert [g["name"] for g in groups] == [
        "popsc-production-slo-records", "popsc-production-slo-alerts", "popsc-production-alerts"]
    assert yaml.safe_load(monitoring.rules_yaml(program, env)) == {"groups": groups}
    assert monitoring.rule_groups(program, env) == groups
    assert all(r["labels"]["environment"] == "production" for g in groups for r in g["rules"])


def test_an_environment_without_monitor_has_no_rules():
    program = program_of(SUPPORT)
    assert monitoring.rule_groups(program, _env(program, "quiet")) == []


def test_a_repeated_objective_is_recorded_once():
    """Two equal lines would record the same series twice, which Prometheus rejects."""
    program = program_of(SUPPORT)
    records = monitoring.rule_groups(program, _env(program, "production"))[0]["rules"]
    keys = [(r["record"], r["labels"]["slo"]) for r in records]
    assert len(keys) == len(set(keys))
    assert sum(1 for r in records if r["labels"]["slo"] == "error_rate < 1%") == len(monitoring.WINDOWS)


def test_series_are_those_of_the_environment_namespace():
    program = program_of(SUPPORT)
    records = monitoring.rule_groups(program, _env(program, "production"))[0]["rules"]
    assert all('namespace="desk"' in r["expr"] for r in records)


def test_a_latency_bound_between_buckets_is_measured_at_the_bucket_below():
    """1234ms is not a bucket of the gateway's histogram: the 1s bucket counts as fast only
    calls under 1s, so the objective is never looser than written."""
    program = program_of(SUPPORT)
    records = monitoring.rule_groups(program, _env(program, "production"))[0]["rules"]
    p95 = [r["expr"] for r in records if r["labels"]["slo"] == "latency_p95 < 1234ms"]
    assert p95 and all('le="1.0"' in expr for expr in p95)
    assert monitoring.latency_bucket(1.5) == 1.5
    assert monitoring.latency_bucket(0.001) == min(monitoring.LATENCY_BUCKETS)


def test_burn_rate_tiers_that_cannot_fire_are_left_out():
    """A p50 objective allows 50% slow calls: a burn rate over 2x is impossible, so only the
    1x ticket remains; an error rate of 1% keeps all four tiers."""
    program = program_of(SUPPORT)
    alerts = monitoring.rule_groups(program, _env(program, "production"))[1]["rules"]
    p50 = [a for a in alerts if a["labels"]["slo"] == "latency_p50 < 800ms"]
    assert [a["labels"]["severity"] for a in p50] == ["warning"]
    assert "ratio_rate3d" in p50[0]["expr"] and "ratio_rate1d" not in p50[0]["expr"]
    errors = [a for a in alerts if a["labels"]["slo"] == "error_rate < 1%"]
    assert [a["labels"]["severity"] for a in errors] == ["critical", "warning"]
    assert errors[0]["expr"].count(" > (14.4 * 0.01)") == 2


def test_objectives_and_alerts_on_totals():
    """`slo cost < 100` holds per day; `alert tokens < 10 for 1h` counts no series as 0."""
    program = program_of(SUPPORT)
    groups = monitoring.rule_groups(program, _env(program, "production"))
    missed = next(a for a in groups[1]["rules"] if a["alert"] == "PopscCostObjectiveMissed")
    assert missed["expr"] == 'popsc:slo_total:increase1d{environment="production", slo="cost < 100"} >= 100'
    (low,) = groups[2]["rules"]
    assert low["alert"] == "PopscTokensLow" and "for" not in low
    assert low["expr"] == '(sum(increase(popsc_prompt_tokens_total{namespace="desk"}[1h])) or vector(0)) < 10'


@pytest.mark.parametrize(("seconds", "text"), [(300.0, "5m"), (3600.0, "1h"), (1.5, "1500ms"),
                                               (4.0, "4s"), (86400.0, "1d"), (90.0, "90s")])
def test_durations_are_written_as_prometheus_reads_them(seconds, text):
    assert monitoring.duration(seconds) == text


# ---- the Grafana dashboard ----------------------------------------------------------------------

PANEL_VARIABLES = {"$prompt": ".*", "$version": ".*", "$__rate_interval": "5m"}


def dashboards(tmp_path: Path) -> dict[str, dict]:
    import json

    built = build_monitoring(ROOT / "examples" / "support", tmp_path)
    return {p.parent.name: json.loads(p.read_text()) for p in sorted(built.glob("*/dashboard.json"))}


def panel_queries(dashboard: dict) -> dict[tuple[str, str], str]:
    """(panel title, refId) -> PromQL as Grafana sends it for "all prompts and versions"."""
    out = {}
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            expr = target["expr"]
            for name, value in PANEL_VARIABLES.items():
                expr = expr.replace(name, value)
            out[(panel["title"], target["refId"])] = expr
    return out


def test_dashboard_survives_grafanas_own_model(tmp_path):
    """Read into the Grafana Foundation SDK's typed dashboard model (Grafana 11.6, schema
    41) and written back, nothing is lost or changed: every key popsc writes is one
    Grafana knows, in the place it belongs (the model only adds its defaults)."""
    import json

    sdk = pytest.importorskip("grafana_foundation_sdk", reason="the dev extra installs it")
    from grafana_foundation_sdk.cog.encoder import JSONEncoder
    from grafana_foundation_sdk.cog.plugins import register_default_plugins
    from grafana_foundation_sdk.models.dashboard import Dashboard

    assert sdk
    register_default_plugins()
    for env, data in dashboards(tmp_path).items():
        back = json.loads(json.dumps(Dashboard.from_json(data), cls=JSONEncoder))
        assert _lost(data, back) == [], env
        assert back["schemaVersion"] == data["schemaVersion"] == 41


def _lost(ours, theirs, path="") -> list[str]:
    """Where `theirs` misses or changes what `ours` has (added keys are fine)."""
    if isinstance(ours, dict):
        if not isinstance(theirs, dict):
            return [path]
        return [p for k in ours for p in ([f"{path}/{k}"] if k not in theirs else _lost(ours[k], theirs[k], f"{path}/{k}"))]
    if isinstance(ours, list):
        if not isinstance(theirs, list) or len(ours) != len(theirs):
            return [path]
        return [p for i, (a, b) in enumerate(zip(ours, theirs)) for p in _lost(a, b, f"{path}[{i}]")]
    return [] if ours == theirs else [path]


def test_dashboard_shows_every_signal_per_prompt_and_version(tmp_path):
    """The panels the issue asks for, `prompt` and `version` variables from the metrics,
    and the objectives of the monitor block as threshold lines."""
    board = dashboards(tmp_path)["production"]
    titles = [p["title"] for p in board["panels"]]
    assert titles == ["Calls per second", "Latency p50 / p95 / p99", "Error rate", "Tokens per second",
                      "Cost (US dollars per hour)", "Policy violations", "Intent match rate",
                      "Error budget burn rate (1h)"]
    variables = {v["name"]: v for v in board["templating"]["list"]}
    assert variables["prompt"]["query"]["query"] == \
        'label_values(popsc_prompt_latency_seconds_count{namespace="support-prompts"}, prompt)'
    assert 'prompt=~"$prompt"' in variables["version"]["query"]["query"]
    lines = {p["title"]: [s["value"] for s in p["fieldConfig"]["defaults"]["thresholds"]["steps"][1:]]
             for p in board["panels"]}
    assert lines["Latency p50 / p95 / p99"] == [1.5, 4.0]
    assert lines["Error rate"] == [0.01]
    assert lines["Intent match rate"] == [0.85]
    for panel in board["panels"]:
        assert all('prompt=~"$prompt", version=~"$version"' in t["expr"] for t in panel["targets"]
                   if "intent" not in t["expr"])


@needs_promtool
def test_dashboard_queries_compute_what_their_panels_say(tmp_path):
    """Every panel query is valid PromQL (`promtool check rules`), and on synthetic series
    (`promtool test rules`) gives the numbers its title promises."""
    queries = panel_queries(dashboards(tmp_path)["production"])
    work = tmp_path / "queries"
    work.mkdir()
    rules = {"groups": [{"name": "panels", "rules": [
        {"record": f"panel:{i}", "expr": expr} for i, expr in enumerate(queries.values())]}]}
    (work / "panels.yaml").write_text(yaml.safe_dump(rules))
    done = promtool("check", "rules", "panels.yaml", cwd=work)
    assert done.returncode == 0, done.stdout + done.stderr
    (work / "panels.test.yaml").write_text(yaml.safe_dump(_panel_unit_test(queries)))
    done = promtool("test", "rules", "panels.test.yaml", cwd=work)
    assert done.returncode == 0, done.stdout + done.stderr


def _panel_unit_test(queries: dict) -> dict:
    """One prompt at 60 calls a minute, 12 failing, $1 and 120 input tokens a minute; half
    the routed texts matched."""
    at = 'namespace="support-prompts", prompt="support.prompts.answer_ticket", version="2.1.0"'
    labels = {"prompt": "support.prompts.answer_ticket", "version": "2.1.0"}
    series = {
        f"popsc_prompt_latency_seconds_count{{{at}}}": "0+60x30",
        f'popsc_prompt_errors_total{{{at}, kind="provider"}}': "0+12x30",
        f"popsc_prompt_cost_usd_total{{{at}}}": "0+1x30",
        f'popsc_prompt_tokens_total{{{at}, direction="input"}}': "0+120x30",
        'popsc_intent_matches_total{namespace="support-prompts", intent="refund"}': "0+50x30",
        'popsc_intent_misses_total{namespace="support-prompts"}': "0+50x30",
    }
    expected = {
        ("Calls per second", "A"): [(labels, 1)],
        ("Error rate", "A"): [(labels, 0.2)],
        ("Cost (US dollars per hour)", "A"): [(labels, 60)],
        ("Tokens per second", "A"): [({**labels, "direction": "input"}, 2)],
        ("Intent match rate", "A"): [({}, 0.5)],
    }
    tests = [{"expr": queries[key], "eval_time": "20m",
              "exp_samples": [{"labels": "{" + ", ".join(f'{k}="{v}"' for k, v in sample.items()) + "}",
                               "value": value} for sample, value in samples]}
             for key, samples in expected.items()]
    return {"rule_files": [], "evaluation_interval": "1m", "tests": [{
        "interval": "1m",
        "input_series": [{"series": name, "values": values} for name, values in series.items()],
        "promql_expr_test": tests}]}


# ---- every rule the language allows ---------------------------------------------------------------

VALUES = {"duration": "1500ms", "percent": "5%", "count": "3", "number": "2.5"}


def _every_rule() -> str:
    """One `monitor` block with every metric, every comparison, with and without `for`;
    `slo` only on the side that checks (E0620)."""
    from promptlang.checks.environments import HIGHER_IS_BETTER
    from promptlang.checks.environments import METRICS

    lines = []
    for metric, kind in METRICS.items():
        value = VALUES[kind]
        for op in ("<", "<=", ">", ">="):
            lines += [f"alert {metric} {op} {value}", f"alert {metric} {op} {value} for 90s"]
            if (op in (">", ">=")) == (metric in HIGHER_IS_BETTER):
                lines.append(f"slo {metric} {op} {value}")
    return "environment everything {\n  monitor {\n" + "".join(f"    {line}\n" for line in lines) + "  }\n}\n"


@needs_promtool
def test_every_rule_the_language_allows_gives_rules_promtool_accepts(tmp_path):
    program = program_of(_every_rule())
    env = _env(program, "everything")
    (tmp_path / "rules.yaml").write_text(monitoring.rules_yaml(program, env))
    done = promtool("check", "rules", "rules.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    alerts = [r for g in monitoring.rule_groups(program, env) for r in g["rules"] if "alert" in r]
    assert len(alerts) > 100 and all(r["labels"]["severity"] in ("critical", "warning") for r in alerts)
