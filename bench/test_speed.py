"""Time whole-process `popsc test DIR` (replaying recordings) on a synthetic project of
N prompts, one test each, against `popsc check DIR` (warm) and `python -c pass`.

The project is bench/gen_project.py's. Its tests expect `output.done == true`,
`output.done == false` or `output.score == 0.5`; this script writes, for every test, a
recording that satisfies it, under the project's `tests/recordings/`, with the key the
runner computes (`promptlang.testing.recordings.key` of the prompt's content hash and
its plain inputs, read through the generated SDK's `arguments` as the runner does).

Every repetition runs the three slots round-robin (order rotated), each a separate
process timed like bench/check_speed.py: wall seconds and CPU seconds
(getrusage(RUSAGE_CHILDREN) delta). One untimed warm-up of each fills the check cache.
Figures are medians. The goal (issue 4): 1,000 replayed tests in under 5 s (wall).
`--profile` adds a cProfile listing of one in-process run of the tests.

Usage: python bench/test_speed.py [--n 1000] [--repeat 3] [--json FILE] [--popsc CMD]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from check_speed import Sample  # noqa: E402
from check_speed import check_command  # noqa: E402
from check_speed import child_env  # noqa: E402
from check_speed import fmt  # noqa: E402
from check_speed import machine  # noqa: E402
from check_speed import run_timed  # noqa: E402
from gen_project import generate  # noqa: E402

GOAL_N = 1000
GOAL_SECONDS = 5.0
TASKS = ("test", "check", "pass")


def answer_for(test) -> str:
    """A JSON answer of `Output_i` that satisfies the test's one `expect` line."""
    data = {"summary": "ok", "score": 0.25, "done": False}
    for expect in test.expects:
        field = expect.subject.rpartition(".")[2]
        if expect.op != "==" or field not in data:
            raise ValueError(f"unexpected expectation in {test.title!r}: "
                             f"{expect.subject} {expect.op} {expect.value!r}")
        data[field] = expect.value
    return json.dumps(data)


def write_recordings(project: Path) -> int:
    """Check and load the project in this process; write one recording per prompt test.
    Returns how many were written."""
    from promptlang import driver
    from promptlang.lower import lower
    from promptlang.runtime.api import plain_inputs
    from promptlang.runtime.api import write_recording
    from promptlang.testing import recordings
    from promptlang.testing import runner
    from promptlang import sdk_import as sdk

    checked = driver.check(str(project), need_program=True)
    if checked.has_errors or checked.program is None:
        raise SystemExit(f"the synthetic project at {project} has errors")
    program = lower(checked.program, driver._project_info(checked.project))
    written = 0
    with sdk.loaded(program) as loaded:
        for case in runner.cases(program):
            if case.test is None:
                continue
            prompt = loaded.obj(case.prompt)
            inputs = plain_inputs(prompt.arguments(case.test.given, "given"))
            key = recordings.key(prompt.info.content_hash, inputs)
            write_recording(recordings.folder(project, case.prompt), key,
                            answer_for(case.test), input_tokens=40, output_tokens=12)
            written += 1
    return written


def profile(project: Path, top: int = 25) -> str:
    """cProfile of one in-process `session.run` of the project's tests (cumulative)."""
    import cProfile
    import io
    import pstats

    from promptlang.testing import session

    prof = cProfile.Profile()
    prof.enable()
    ran = session.run(str(project))
    prof.disable()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(top)
    failed = sum(r.status == "failed" for r in ran.results or [])
    return f"{len(ran.results or [])} tests, {failed} failed\n" + out.getvalue()


def run(n: int, repeat: int, popsc: str | None = None, keep: Path | None = None,
        quiet: bool = False) -> dict:
    """Generate, record, warm up, then time the three slots `repeat` times."""
    cmd = check_command(popsc)
    env = child_env()
    with tempfile.TemporaryDirectory(prefix="popsc-test-bench-") as tmp:
        project = keep or Path(tmp) / "synthetic"
        generate(project, n)
        recorded = write_recordings(project)
        commands = {"test": cmd + ["test", str(project)],
                    "check": cmd + ["check", str(project)],
                    "pass": [sys.executable, "-c", "pass"]}
        warm = {name: run_timed(c, env) for name, c in commands.items()}
        samples: dict[str, list[Sample]] = {name: [] for name in TASKS}
        for rep in range(repeat):
            order = TASKS[rep % len(TASKS):] + TASKS[:rep % len(TASKS)]
            for name in order:
                samples[name].append(run_timed(commands[name], env))
            if not quiet:
                print(f"  repetition {rep + 1}/{repeat}: " + ", ".join(
                    f"{t} {samples[t][-1].wall:.2f}s" for t in TASKS), file=sys.stderr)
        return summarize(n, recorded, cmd, warm, samples)


def summarize(n: int, recorded: int, cmd: list[str], warm: dict[str, Sample],
              samples: dict[str, list[Sample]]) -> dict:
    """Medians, tests/second and the goal."""
    med = {t: {"wall": statistics.median(s.wall for s in samples[t]),
               "cpu": statistics.median(s.cpu for s in samples[t])} for t in TASKS}
    test_wall, test_cpu = med["test"]["wall"], med["test"]["cpu"]
    over_check = statistics.median(
        (a.wall - b.wall) for a, b in zip(samples["test"], samples["check"]))
    rcs = {t: sorted({s.rc for s in samples[t]} | {warm[t].rc}) for t in TASKS}
    errors = {t: next((s.err for s in [warm[t], *samples[t]] if s.rc), "") for t in TASKS}
    goal = {"goal": f"{GOAL_N} replayed tests in under {GOAL_SECONDS:g} s (wall)",
            "value": test_wall, "passed": n >= GOAL_N and test_wall < GOAL_SECONDS
            and rcs["test"] == [0]}
    return {"n": n, "recordings": recorded, "command": cmd, "machine": machine(),
            "medians": med, "tests_per_s_wall": n / test_wall if test_wall else None,
            "tests_per_s_cpu": n / test_cpu if test_cpu else None,
            "test_minus_check_wall": over_check,
            "exit_codes": rcs, "errors": errors, "goal": goal,
            "samples": {t: [vars(s) for s in samples[t]] for t in TASKS}}


def print_report(data: dict) -> None:
    med = data["medians"]
    print(f"N = {data['n']} tests ({data['recordings']} recordings), "
          f"{data['machine']['cpus']} CPUs, load {data['machine']['loadavg']}")
    print(f"{'task':<26} {'wall s':>8} {'CPU s':>8}  exit")
    labels = {"test": "popsc test DIR (replay)", "check": "popsc check DIR (warm)",
              "pass": "python -c pass"}
    for t in TASKS:
        print(f"{labels[t]:<26} {fmt(med[t]['wall']):>8} {fmt(med[t]['cpu']):>8}  "
              f"{data['exit_codes'][t]}")
    print(f"tests/second: {fmt(data['tests_per_s_wall'], '.0f')} (wall), "
          f"{fmt(data['tests_per_s_cpu'], '.0f')} (CPU); test - check: "
          f"{fmt(data['test_minus_check_wall'])} s wall")
    for t, err in data["errors"].items():
        if err:
            print(f"{t} failed: {err[-500:]}")
    goal = data["goal"]
    print(f"goal {goal['goal']}: {fmt(goal['value'])} s -> "
          f"{'met' if goal['passed'] else 'MISSED'}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=GOAL_N, help="prompts (one test each)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", type=Path, help="write every sample and the medians here")
    ap.add_argument("--popsc", help="the popsc command (default: this interpreter's)")
    ap.add_argument("--keep", type=Path, help="generate the project here and keep it")
    ap.add_argument("--profile", action="store_true",
                    help="also print a cProfile of one in-process run")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    data = run(args.n, args.repeat, args.popsc, args.keep)
    print_report(data)
    if args.json:
        args.json.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    if args.profile:
        with tempfile.TemporaryDirectory(prefix="popsc-test-profile-") as tmp:
            project = Path(tmp) / "synthetic"
            generate(project, args.n)
            write_recordings(project)
            print(profile(project))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
