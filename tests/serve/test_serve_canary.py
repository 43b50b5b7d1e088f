"""The canary of the `rollout` block: `greet` is in production's 25% canary, so about a
quarter of its calls get this build's version (2.0.0) and the rest the `--stable`
build's (1.4.0); a rollout key keeps a caller on one side; metrics count each version."""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter

import pytest
from click.testing import CliRunner

from shop import ADA
from shop import GREET
from test_serve_calls import metric

from promptlang.cli import cli

CALLS = 400
# Three and a half standard deviations of the binomial count (400 draws at 25%: 8.7
# calls): a correct split fails this about once in four thousand runs.
TOLERANCE = 30


def test_the_canary_gets_its_share_of_calls_within_tolerance(gateway):
    before = {v: metric(gateway, "popsc_prompt_latency_seconds_count", prompt=GREET, version=v)
              for v in ("2.0.0", "1.4.0")}
    versions = Counter()
    for _ in range(CALLS):
        response = gateway.client.post(f"/prompts/{GREET}", json=ADA)
        assert response.status_code == 200
        versions[(response.headers["x-prompt-version"], response.json()["track"])] += 1
    assert set(versions) == {("2.0.0", "canary"), ("1.4.0", "stable")}
    assert abs(versions[("2.0.0", "canary")] - CALLS * 0.25) <= TOLERANCE, versions
    for (version, _), count in versions.items():  # metrics per version agree with the headers
        after = metric(gateway, "popsc_prompt_latency_seconds_count", prompt=GREET, version=version)
        assert after - before[version] == count


def test_a_rollout_key_keeps_a_caller_on_one_version(gateway):
    for key in ("shopper-1", "shopper-2", "shopper-3", "shopper-4"):
        seen = {gateway.client.post(f"/prompts/{GREET}", json=ADA, headers={"X-Rollout-Key": key})
                .headers["x-prompt-version"] for _ in range(10)}
        assert len(seen) == 1, (key, seen)


def test_answers_differ_by_version(gateway):
    answers = {}
    for key in (f"k{i}" for i in range(40)):
        body = gateway.client.post(f"/prompts/{GREET}", json=ADA,
                                   headers={"X-Rollout-Key": key}).json()
        answers[body["version"]] = body["output"]["text"]
    assert answers == {"2.0.0": "Welcome back, Ada!", "1.4.0": "Hello Ada."}


def test_a_rollout_without_a_stable_build_serves_this_build_and_says_why(shop, start):
    served = start([".", "--env", "production"], shop, TEST_SHOP_KEY="unused")
    tracks = {served.client.post(f"/prompts/{GREET}", json=ADA).json()["track"] for _ in range(20)}
    assert tracks == {"current"}
    warnings = [line["message"] for line in served.lines() if line["log.level"] == "warning"]
    assert any("shop.prompts.greet serves this build's version" in w and "--stable" in w
               for w in warnings), warnings


def test_the_stable_version_can_come_from_a_git_revision(shop, start, tmp_path):
    """`--stable git:REV`: the project's prompts at REV, read from git without a checkout."""
    project = tmp_path / "shop"
    shutil.copytree(shop.parent / "shop_stable", project)
    shutil.copytree(shop / "recordings", project / "recordings")
    git = ["git", "-C", str(project), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "greet 1.4.0"], check=True)
    shutil.copy(shop / "shop" / "prompts.pops", project / "shop" / "prompts.pops")  # greet 2.0.0
    served = start([".", "--env", "production", "--stable", "git:HEAD"], project,
                   TEST_SHOP_KEY="unused")
    versions = {served.client.post(f"/prompts/{GREET}", json=ADA,
                                   headers={"X-Rollout-Key": f"k{i}"}).json()["version"]
                for i in range(40)}
    assert versions == {"2.0.0", "1.4.0"}


def test_an_unknown_git_revision_is_a_usage_error(shop):
    result = CliRunner().invoke(cli, ["serve", str(shop), "--stable", "git:no-such-rev"])
    assert result.exit_code == 2
    assert "--stable git:no-such-rev" in result.output


def test_an_absent_optional_stable_build_serves_this_build_and_warns(shop, start, tmp_path):
    """`--stable-optional`: what a Kubernetes ConfigMap volume marked optional mounts when
    the ConfigMap does not exist yet (an empty folder but for the kubelet's hidden
    `..data`) is a first deploy, not an error."""
    mount = tmp_path / "stable"
    (mount / "..2026_01_01_00_00_00.0").mkdir(parents=True)
    (mount / "..data").symlink_to("..2026_01_01_00_00_00.0")
    served = start([".", "--env", "production", "--stable", str(mount / "bundle.json"),
                    "--stable-optional"], shop, TEST_SHOP_KEY="unused")
    tracks = {served.client.post(f"/prompts/{GREET}", json=ADA).json()["track"] for _ in range(20)}
    assert tracks == {"current"}
    lines = served.lines()
    warnings = [line["message"] for line in lines if line["log.level"] == "warning"]
    assert any("absent or empty" in w for w in warnings), warnings
    assert any("is not there yet" in w for w in warnings), warnings
    (started,) = [line["popsc"] for line in lines if line.get("popsc", {}).get("event") == "start"]
    assert started["canary"] == {}


def test_an_optional_stable_build_that_is_there_takes_the_stable_share(shop, start):
    served = start([".", "--env", "production", "--stable", "../shop_stable",
                    "--stable-optional"], shop, TEST_SHOP_KEY="unused")
    versions = {served.client.post(f"/prompts/{GREET}", json=ADA,
                                   headers={"X-Rollout-Key": f"k{i}"}).json()["version"]
                for i in range(40)}
    assert versions == {"2.0.0", "1.4.0"}


@pytest.mark.parametrize("optional", [False, True])
def test_a_stable_path_that_is_no_build_stays_a_usage_error(shop, tmp_path, optional):
    """Only absence is tolerated, and only when asked: a missing path without
    `--stable-optional`, or a file that is there but no bundle, still stops the gateway."""
    broken = tmp_path / "bundle.json"
    broken.write_text('{"program": {"format": "nope"}}', encoding="utf-8")
    target = broken if optional else tmp_path / "missing" / "bundle.json"
    args = ["serve", str(shop), "--env", "production", "--stable", str(target)]
    result = CliRunner().invoke(cli, [*args, "--stable-optional"] if optional else args)
    assert result.exit_code == 2, result.output
    expected = "is not a popsc bundle" if optional else "no such file or folder"
    assert f"{target}" in result.output and expected in result.output, result.output


def test_absent_means_missing_empty_or_holding_nothing_visible(tmp_path):
    from promptlang.serve.source import absent

    (tmp_path / "empty").mkdir()
    (tmp_path / "hidden").mkdir()
    (tmp_path / "hidden" / "..data").mkdir()
    (tmp_path / "blank.json").write_text(" \n", encoding="utf-8")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "bundle.json").write_text("{}", encoding="utf-8")
    assert absent(str(tmp_path / "nothing" / "bundle.json"))
    assert absent(str(tmp_path / "empty")) and absent(str(tmp_path / "hidden"))
    assert absent(str(tmp_path / "blank.json"))
    assert not absent(str(tmp_path / "full")) and not absent(str(tmp_path / "full" / "bundle.json"))
    assert not absent("git:HEAD")
