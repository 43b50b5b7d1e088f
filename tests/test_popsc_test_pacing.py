"""`popsc test`'s rate limit (`--rate-limit`, a token bucket shared by the workers, counted
with a fake clock: no timing is asserted) and its progress line on a terminal."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from promptlang.cli import cli
from promptlang.runtime.config import ModelConfig
from promptlang.testing import pacing
from promptlang.testing import recordings
from promptlang.testing import runner
from promptlang.testing import session

ROOT = Path(__file__).resolve().parent.parent
SUPPORT = ROOT / "examples" / "support"


def test_limiter_spaces_calls_by_the_rate():
    sleeps: list[float] = []
    limiter = pacing.Limiter(4, clock=lambda: 10.0, sleep=sleeps.append)
    waits = [limiter.acquire() for _ in range(4)]
    assert waits == [0.0, 0.25, 0.5, 0.75]
    assert sleeps == [0.25, 0.5, 0.75]  # the first call does not wait


def test_limiter_does_not_wait_when_calls_are_slower_than_the_rate():
    now = [0.0]
    sleeps: list[float] = []
    limiter = pacing.Limiter(2, clock=lambda: now[0], sleep=sleeps.append)
    for _ in range(3):
        limiter.acquire()
        now[0] += 1.0
    assert sleeps == []
    assert limiter.acquire() == 0.0 and limiter.acquire() == 0.5


def test_limiter_rejects_a_rate_that_is_not_positive():
    with pytest.raises(ValueError):
        pacing.Limiter(0)


@pytest.fixture
def counted(monkeypatch):
    """The session's limiter with a frozen clock: its sleeps are recorded, not slept."""
    sleeps: list[float] = []
    monkeypatch.setattr(pacing, "Limiter", lambda rate: _Fake(rate, sleeps))
    return sleeps


class _Fake(pacing.Limiter):
    def __init__(self, rate, sleeps):
        super().__init__(rate, clock=lambda: 0.0, sleep=sleeps.append)


def test_rate_limit_paces_live_calls_across_workers(counted):
    # A "live" model that answers from the recordings: no network, but not replay mode.
    folder = recordings.folder(SUPPORT, "support.prompts.detect_language")
    model = ModelConfig(provider="replay", name="stand-in", recordings=str(folder))
    ran = session.run(str(SUPPORT), mode=runner.Mode.LIVE, only="detect_language",
                      live_model=model, rate_limit=2, concurrency=4)
    calls = len(ran.results)
    assert calls >= 2 and all(r.status == "passed" for r in ran.results)
    assert sorted(counted) == [0.5 * i for i in range(1, calls)]


def test_replay_is_not_rate_limited(counted):
    ran = session.run(str(SUPPORT), only="detect_language", rate_limit=1)
    assert ran.results and counted == []


def test_rate_limit_option_is_checked():
    result = CliRunner().invoke(cli, ["test", str(SUPPORT), "--rate-limit", "0"])
    assert result.exit_code == 2 and "--rate-limit" in result.output


# ---- progress --------------------------------------------------------------------------


class _Done:
    def __init__(self, status):
        self.status = status


def test_progress_rewrites_one_line_and_clears_it():
    out = io.StringIO()
    progress = pacing.Progress(out, every=0.0)
    progress.start(3)
    for status in ("passed", "failed", "passed"):
        progress.result(_Done(status))
    assert progress.line() == "[3/3] 2 passed, 1 failed"
    progress.finish()
    text = out.getvalue()
    assert "\n" not in text
    assert text.startswith("\r[0/3] 0 passed, 0 failed")
    assert "\r[3/3] 2 passed, 1 failed" in text
    assert text.endswith("\r" + " " * len("[3/3] 2 passed, 1 failed") + "\r")


def test_progress_redraws_at_most_every_interval_but_always_the_last():
    out = io.StringIO()
    progress = pacing.Progress(out, every=1.0, clock=lambda: 5.0)
    progress.start(3)
    for _ in range(3):
        progress.result(_Done("skipped"))
    assert out.getvalue().count("\r[") == 2  # the start and the last result
    assert out.getvalue().endswith("[3/3] 0 passed, 0 failed, 3 skipped")


@pytest.fixture
def support(tmp_path) -> Path:
    target = tmp_path / "support"
    shutil.copytree(SUPPORT, target, ignore=shutil.ignore_patterns("build", ".popsc-cache"))
    return target


def _run(args, env):
    return CliRunner().invoke(cli, ["test", *args], env=env)


def test_cli_shows_progress_on_stderr_when_forced(support):
    result = _run([str(support)], {"POPSC_PROGRESS": "1"})
    assert result.exit_code == 0, result.output
    assert "\r[0/" in result.stderr and "\r[" not in result.stdout
    total = result.stdout.strip().splitlines()[-1]
    assert "passed" in total
    assert result.stderr.endswith("\r")  # cleared at the end


def test_cli_shows_no_progress_off_a_terminal_or_when_turned_off(support):
    for env in ({"POPSC_PROGRESS": None}, {"POPSC_PROGRESS": "0"}):
        result = _run([str(support)], env)
        assert result.exit_code == 0 and "\r" not in result.output
    github = _run([str(support), "--format", "github"], {"POPSC_PROGRESS": None})
    assert "\r" not in github.output
