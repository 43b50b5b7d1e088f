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
