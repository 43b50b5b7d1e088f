"""Time whole-process `popsc check` on synthetic projects of N prompts, against baselines.

For each size: a cold check (cache folder deleted), a warm check (nothing changed), a
check after one module gained a comment line, a process that only parses the files
(bench/parse_only.py) and `python -c pass`. Each run records wall seconds and CPU
seconds (getrusage(RUSAGE_CHILDREN) deltas: single-threaded work on a shared machine is
best judged by CPU). Repetitions run the tasks round-robin with the order rotated;
figures are medians, ratios are medians of per-repetition ratios from the same run.
Goals missed are reported, not fatal: the exit status is 0 unless the script itself fails.

Usage: python bench/check_speed.py [--sizes 100 1000 3000] [--repeat 3] [--json FILE]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))

from gen_project import generate  # noqa: E402

CACHE_DIR = ".popsc-cache"
CHANGED_FILE = "gen/part_000.pops"
CHECK_TASKS = ("cold", "warm", "change")
GOAL_N = 1000
GOAL_COLD_CPU = 4.0
GOAL_WARM = 0.5
GOAL_LINEAR = 1.5


@dataclass
class Sample:
    """One whole-process run: what it cost and how it ended."""

    wall: float
    cpu: float
    rc: int
    err: str = ""


@dataclass
class SizeResult:
    """Every sample for one N, plus what the generator wrote."""

    n: int
    lines: int
    files: int
    bytes: int
    samples: dict[str, list[Sample]] = field(default_factory=dict)
    check_status: str = ""
    check_note: str = ""


def child_cpu() -> float:
    """CPU seconds (user + system) of every child reaped so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_timed(cmd: list[str], env: dict) -> Sample:
    """Run one process to the end; its CPU is the growth of the children's total."""
    cpu0, wall0 = child_cpu(), time.perf_counter()
    try:
        done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    except OSError as error:  # the command does not exist: report it, do not crash
        return Sample(time.perf_counter() - wall0, child_cpu() - cpu0, 127, str(error))
    wall, cpu = time.perf_counter() - wall0, child_cpu() - cpu0
    err = (done.stderr or done.stdout).strip()[-2000:] if done.returncode else ""
    return Sample(wall, cpu, done.returncode, err)


def check_command(override: str | None) -> list[str]:
    """`popsc` from this interpreter's scripts folder (not a pyenv shim, whose own start-up
    would be timed), else `python -m promptlang` when it exists, else `popsc` on PATH."""
    if override:
        return shlex.split(override)
    script = Path(sysconfig.get_path("scripts")) / "popsc"
    if script.exists():
        return [str(script)]
    if importlib.util.find_spec("promptlang.__main__") or not shutil.which("popsc"):
        return [sys.executable, "-m", "promptlang"]
    return [shutil.which("popsc")]


def child_env() -> dict:
    """The environment for every child: this checkout first on the import path."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


class Runner:
    """The commands of one size's project and how to run each task on it."""

    def __init__(self, project: Path, check: list[str]) -> None:
        self.project = project
        self.check = check + ["check", str(project)]
        self.parse = [sys.executable, str(BENCH / "parse_only.py"), str(project)]
        self.noop = [sys.executable, "-c", "pass"]
        self.env = child_env()
        self.changed = project / CHANGED_FILE
        self.original = self.changed.read_text(encoding="utf-8")

    def check_sequence(self, rep: int) -> dict[str, Sample]:
        """Cold, warm, then one-file change; the changed file is restored afterwards so
        every repetition starts from the generated text."""
        shutil.rmtree(self.project / CACHE_DIR, ignore_errors=True)
        out = {"cold": run_timed(self.check, self.env), "warm": run_timed(self.check, self.env)}
        note = f"// bench: touched in repetition {rep}\n"
        self.changed.write_text(self.original + note, encoding="utf-8")
        try:
            out["change"] = run_timed(self.check, self.env)
        finally:
            self.changed.write_text(self.original, encoding="utf-8")
        return out

    def task(self, name: str, rep: int) -> dict[str, Sample]:
        """Run one round-robin slot: the check sequence or a single baseline."""
        if name == "check":
            return self.check_sequence(rep)
        return {name: run_timed(self.parse if name == "parse" else self.noop, self.env)}


def warm_up(runner: Runner) -> tuple[str, str]:
    """One untimed parse and check (grammar cache, file cache). Returns the check's status,
    'ok', 'errors' (exit 1 with diagnostics: still timed, but maybe a partial check) or
    'unavailable' (crash, missing command, usage error: not timed), and a note why."""
    parse = run_timed(runner.parse, runner.env)
    if parse.rc != 0:
        raise SystemExit(f"parse-only failed on the generated project:\n{parse.err}")
    check = run_timed(runner.check, runner.env)
    last = check.err.splitlines()[-1] if check.err else ""
    if check.rc not in (0, 1) or "Traceback (most recent call last)" in check.err:
        return "unavailable", f"exit {check.rc}: {last}"
    if check.rc == 1:
        return "errors", f"exit 1, the checker reported errors: {check.err[:500]}"
    return "ok", ""


def measure_size(n: int, repeat: int, seed: int, check: list[str], keep: Path | None):
    """Generate the project of n prompts, then time every task `repeat` times."""
    with tempfile.TemporaryDirectory(prefix=f"pops-bench-{n}-") as tmp:
        root = (keep / f"n{n}") if keep else Path(tmp)
        stats = generate(root, n, seed)
        result = SizeResult(n, stats.lines, stats.files, stats.bytes)
        runner = Runner(root, check)
        result.check_status, result.check_note = warm_up(runner)
        can_check = result.check_status != "unavailable"
        tasks = ["check", "parse", "pass"] if can_check else ["parse", "pass"]
        for rep in range(repeat):
            order = tasks[rep % len(tasks):] + tasks[: rep % len(tasks)]
            for name in order:
                for key, sample in runner.task(name, rep).items():
                    result.samples.setdefault(key, []).append(sample)
            print(f"  N={n}: repetition {rep + 1}/{repeat} done", file=sys.stderr)
        return result


def median(result: SizeResult, task: str, what: str = "cpu") -> float | None:
    """Median wall or CPU seconds of one task, None when it was not run."""
    samples = result.samples.get(task)
    return statistics.median(getattr(s, what) for s in samples) if samples else None


def ratio(result: SizeResult, top: str, bottom: str) -> float | None:
    """Median of per-repetition CPU ratios (the same repetition's runs saw the same load)."""
    a, b = result.samples.get(top), result.samples.get(bottom)
    if not a or not b:
        return None
    return statistics.median(x.cpu / y.cpu for x, y in zip(a, b))


def summary(result: SizeResult) -> dict:
    """The figures the table and the JSON show for one size."""
    out = {"n": result.n, "lines": result.lines, "files": result.files, "bytes": result.bytes}
    for task in ("cold", "warm", "change", "parse", "pass"):
        out[f"{task}_cpu"] = median(result, task, "cpu")
        out[f"{task}_wall"] = median(result, task, "wall")
        samples = result.samples.get(task)
        out[f"{task}_wall_min"] = min(s.wall for s in samples) if samples else None
    cold = out["cold_cpu"]
    out["lines_per_cpu_s"] = result.lines / cold if cold else None
    out["parse_lines_per_cpu_s"] = result.lines / out["parse_cpu"]
    out["cold_over_parse"] = ratio(result, "cold", "parse")
    out["check_status"], out["check_note"] = result.check_status, result.check_note
    return out


def linearity(rows: list[dict], key: str) -> list[float | None]:
    """CPU per 1k lines at each size, relative to the smallest size (1.0 = linear;
    start-up makes small sizes dearer per line, so values below 1 are expected)."""
    per_k = [r[key] / (r["lines"] / 1000) if r[key] else None for r in rows]
    base = per_k[0]
    return [p / base if p and base else None for p in per_k]


def marginal(rows: list[dict], key: str) -> list[float | None]:
    """CPU per 1k extra lines between consecutive sizes: start-up cancels out, so this
    shows growth that the per-line figure above hides behind a fixed cost."""
    out = []
    for a, b in zip(rows, rows[1:]):
        ok = a[key] is not None and b[key] is not None and b["lines"] > a["lines"]
        out.append((b[key] - a[key]) / ((b["lines"] - a["lines"]) / 1000) if ok else None)
    return out


def fmt(value, spec: str = ".3f") -> str:
    """A table cell: '-' for what was not measured."""
    return "-" if value is None else format(value, spec)


def print_table(rows: list[dict]) -> None:
    """The report: one row per N (CPU seconds unless marked wall), then linearity."""
    head = ("N", "lines", "cold wall s", "cold CPU s", "lines/s (CPU)", "warm CPU s",
            "one-change CPU s", "parse-only CPU s", "parse lines/s (CPU)", "cold/parse")
    print(" | ".join(head))
    for r in rows:
        cells = (str(r["n"]), f"{r['lines']:,}", fmt(r["cold_wall"]), fmt(r["cold_cpu"]),
                 fmt(r["lines_per_cpu_s"], ",.0f"), fmt(r["warm_cpu"]), fmt(r["change_cpu"]),
                 fmt(r["parse_cpu"]), fmt(r["parse_lines_per_cpu_s"], ",.0f"),
                 fmt(r["cold_over_parse"], ".2f"))
        print(" | ".join(cells))
    print(f"python -c pass: CPU {fmt(rows[0]['pass_cpu'])} s, wall {fmt(rows[0]['pass_wall'])} s"
          f" (N={rows[0]['n']} run)")
    for key, label in (("cold_cpu", "cold check"), ("parse_cpu", "parse-only")):
        rel = linearity(rows, key)
        pairs = ", ".join(f"N={r['n']}: {fmt(x, '.2f')}" for r, x in zip(rows, rel))
        print(f"linearity, {label} CPU per 1k lines vs N={rows[0]['n']}: {pairs}")
        steps = marginal(rows, key)
        if steps:
            spans = ", ".join(f"N={a['n']}->{b['n']}: {fmt(x)} s" for a, b, x in
                              zip(rows, rows[1:], steps))
            print(f"  marginal {label} CPU per 1k extra lines: {spans}")


def goals(rows: list[dict]) -> list[dict]:
    """The issue's three goals, each passed, missed or not measurable in this run."""
    at = {r["n"]: r for r in rows}
    goal_row = at.get(GOAL_N, {})
    rel = [x for x in linearity(rows, "cold_cpu")[1:] if x is not None]
    steps = marginal(rows, "cold_cpu")
    if len(steps) > 1 and None not in steps and steps[0] > 0:
        rel += [x / steps[0] for x in steps[1:]]
    checks = [
        (f"cold check N={GOAL_N} < {GOAL_COLD_CPU} s CPU", goal_row.get("cold_cpu"),
         lambda v: v < GOAL_COLD_CPU),
        (f"warm check N={GOAL_N} < {GOAL_WARM} s CPU", goal_row.get("warm_cpu"),
         lambda v: v < GOAL_WARM),
        (f"linear: cold CPU per 1k lines (and per 1k extra lines) within {GOAL_LINEAR}x "
         f"of the first size",
         max(rel) if rel and len(rows) > 1 else None, lambda v: v <= GOAL_LINEAR),
    ]
    found = [{"goal": name, "value": v, "passed": None if v is None else bool(ok(v))}
             for name, v, ok in checks]
    if any(r["check_status"] == "errors" for r in rows):
        for g in found:
            g["note"] = "the checker reported errors: it may have stopped early"
    return found


def print_goals(found: list[dict]) -> None:
    """One line per goal: PASS, MISS or n/a (not measured)."""
    for g in found:
        word = {True: "PASS", False: "MISS", None: "n/a "}[g["passed"]]
        note = f"; {g['note']}" if g.get("note") else ""
        print(f"goal {word} {g['goal']} (measured: {fmt(g['value'])}{note})")


def machine() -> dict:
    """What the figures were measured on; the load average matters on a shared machine."""
    return {"python": sys.version.split()[0], "platform": platform.platform(),
            "cpus": os.cpu_count(), "loadavg": os.getloadavg()}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 3000])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", type=Path, help="write every sample and summary here")
    ap.add_argument("--popsc", help="the check command to time, e.g. 'python -m promptlang'")
    ap.add_argument("--keep", type=Path, help="generate under this folder and keep it")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Measure every size, print the table and goals, optionally write JSON."""
    args = parse_args(argv)
    check = check_command(args.popsc)
    print(f"check command: {shlex.join(check)} check DIR", file=sys.stderr)
    before = machine()
    results = [measure_size(n, args.repeat, args.seed, check, args.keep)
               for n in sorted(args.sizes)]
    rows = [summary(r) for r in results]
    for r in rows:
        if r["check_status"] != "ok":
            print(f"N={r['n']}: check {r['check_status']} ({r['check_note']})")
    print_table(rows)
    found = goals(rows)
    print_goals(found)
    if args.json:
        data = {"machine": before, "loadavg_after": os.getloadavg(), "check_command": check,
                "repeat": args.repeat, "seed": args.seed, "summary": rows, "goals": found,
                "samples": [asdict(r) for r in results]}
        args.json.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
