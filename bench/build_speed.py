"""Time whole-process `popsc build --target python` against `popsc check`, rebuilds, and
importing the generated SDK, on synthetic projects of N prompts.

For each size, every repetition runs these slots round-robin (order rotated), each task a
separate process timed like bench/check_speed.py (CPU = getrusage(RUSAGE_CHILDREN) delta):

- check: a cold `popsc check DIR` (no .popsc-cache);
- build: a cold `popsc build DIR --out OUT --target python` (no cache, no OUT), the same
  build again with nothing changed, then again after one prompt's template text in
  gen/part_000.pops changed; which files changed is read from manifest.json before and
  after. The file is then restored and rebuilt (untimed);
- imports: fresh `python -c ...` processes with OUT/python on PYTHONPATH: `pass`,
  `import promptlang.runtime.api`, `import synthetic`, `import synthetic.gen.part_000`,
  `from synthetic import p_0`, every generated module, and every generated module with
  no bytecode cache (first import after a build compiles the .py files). Two variants
  of importing every module show where its time goes: ending in `os._exit(0)` (no
  interpreter teardown), and that with the cyclic GC off.

Also once per repetition, untimed: in one process, how much of importing every module is
attrs building the record classes.

Every child reads and writes bytecode under a folder of the run (PYTHONPYCACHEPREFIX, also
when PYTHONDONTWRITEBYTECODE is set), filled by an untimed warm-up, so all figures but the
"no .pyc" one are with bytecode cached, as for an installed package.

Figures are medians; ratios are medians of per-repetition ratios. Goals missed are
reported, not fatal. `--profile` adds, in one process, a cold build, a no-change rebuild
and a cold check split into phases (CPU seconds, unprofiled), and a cProfile listing of
another cold build.

Usage: python bench/build_speed.py [--sizes 1000] [--repeat 3] [--json FILE] [--popsc CMD]
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from check_speed import CACHE_DIR  # noqa: E402
from check_speed import CHANGED_FILE  # noqa: E402
from check_speed import Sample  # noqa: E402
from check_speed import check_command  # noqa: E402
from check_speed import child_cpu  # noqa: E402
from check_speed import child_env  # noqa: E402
from check_speed import fmt  # noqa: E402
from check_speed import machine  # noqa: E402
from check_speed import run_timed  # noqa: E402
from gen_project import generate  # noqa: E402

PACKAGE = "synthetic"  # the generated SDK's package: the name in gen_project's pops.toml
TARGET = "python"
GOAL_N = 1000
GOAL_BUILD_OVER_CHECK = 1.5
GOAL_IMPORT = 0.5
# A real change of p_0's user template (the first prompt of gen/part_000.pops).
CHANGE_FROM, CHANGE_TO = "    Consider:\n", "    Consider these, in order:\n"
EXPECTED_CHANGED = {"bundle.json", f"{TARGET}/{PACKAGE}/gen/part_000.py"}  # + manifest.json
IMPORT_TASKS = {  # name -> python -c code ("ALL" is replaced by every generated module)
    "pass": "pass",
    "runtime": "import promptlang.runtime.api",
    "package": f"import {PACKAGE}",
    "module": f"import {PACKAGE}.gen.part_000",
    "from_p0": f"from {PACKAGE} import p_0",
    "all": "import ALL",
    "all_exit": "import ALL; import os; os._exit(0)",
    "all_nogc": "import gc; gc.disable(); import ALL; import os; os._exit(0)",
    "all_nopyc": "import ALL",
}
IMPORT_LABELS = {
    "pass": "python -c pass", "runtime": "import promptlang.runtime.api",
    "package": f"import {PACKAGE}", "module": f"import {PACKAGE}.gen.part_000",
    "from_p0": f"from {PACKAGE} import p_0", "all": "import every generated module",
    "all_exit": "  same, ending in os._exit(0) (no interpreter teardown)",
    "all_nogc": "  same, and gc.disable() first (no cyclic GC passes)",
    "all_nopyc": "  same, no .pyc yet (first import after a build)",
}


# In a fresh process: import the runtime, then time importing every generated module and,
# within it, the time attrs spends building the record classes (`@attrs.frozen`).
ATTRS_CODE = r"""
import json, time
import attrs
import promptlang.runtime.api
real, spent = attrs.frozen, [0.0, 0]
def timed(decorate, cls):
    t = time.process_time()
    try:
        return decorate(cls)
    finally:
        spent[0] += time.process_time() - t
        spent[1] += 1
def frozen(maybe_cls=None, **options):
    if maybe_cls is None:
        return lambda cls: timed(lambda c: real(c, **options), cls)
    return timed(lambda c: real(c, **options), maybe_cls)
attrs.frozen = frozen
t = time.process_time()
import ALL
print(json.dumps({"import_s": time.process_time() - t, "attrs_s": spent[0], "classes": spent[1]}))
"""


@dataclass
class SizeResult:
    """Every sample for one N, what the generator wrote and what the change rebuilds did."""

    n: int
    lines: int
    files: int
    sdk_files: int = 0
    sdk_modules: int = 0
    records: int = 0
    samples: dict[str, list[Sample]] = field(default_factory=dict)
    changed: list[list[str]] = field(default_factory=list)  # per repetition, from manifests
    attrs_split: list[dict] = field(default_factory=list)  # per repetition, from ATTRS_CODE
    reported: list[str] = field(default_factory=list)  # popsc's "wrote N files" line


def manifest_hashes(out: Path) -> dict[str, str]:
    """Path -> sha256 of the build in `out` (empty when there is none)."""
    try:
        return json.loads((out / "manifest.json").read_text("utf-8"))["files"]
    except (OSError, ValueError, KeyError):
        return {}


def differing(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """Files added, removed or with other bytes between two manifests."""
    return sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))


def sdk_modules(out: Path) -> list[str]:
    """Every module of the generated package, dotted, packages included."""
    root = out / TARGET
    names = []
    for path in sorted((root / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names.append(".".join(parts))
    return names


def run_timed_stderr(cmd: list[str], env: dict) -> tuple[Sample, str]:
    """check_speed.run_timed, keeping what the process printed on stderr."""
    cpu0, wall0 = child_cpu(), time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall, cpu = time.perf_counter() - wall0, child_cpu() - cpu0
    err = (done.stderr or done.stdout).strip()[-2000:] if done.returncode else ""
    return Sample(wall, cpu, done.returncode, err), done.stderr


def bytecode_env(env: dict, pycache: Path) -> dict:
    """Every child reads and writes bytecode under `pycache` (PYTHONPYCACHEPREFIX), also
    when the caller's environment says PYTHONDONTWRITEBYTECODE: an installed SDK and
    promptlang run from cached bytecode, and the warm-up fills this folder without
    touching the checkout's or site-packages' __pycache__ folders."""
    env = dict(env)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(pycache)
    return env


class Runner:
    """One size's project, its out folder, and how to run each slot on them."""

    def __init__(self, project: Path, out: Path, popsc: list[str], pycache: Path) -> None:
        self.project, self.out = project, out
        self.check = popsc + ["check", str(project)]
        self.build = popsc + ["build", str(project), "--out", str(out), "--target", TARGET]
        self.env = bytecode_env(child_env(), pycache)
        self.sdk_pycache = Path(f"{pycache}{(out / TARGET).resolve()}")  # prefix + path
        self.sdk_env = dict(self.env)
        self.sdk_env["PYTHONPATH"] = os.pathsep.join([str(out / TARGET), self.env["PYTHONPATH"]])
        self.changed = project / CHANGED_FILE
        self.original = self.changed.read_text(encoding="utf-8")
        if CHANGE_FROM not in self.original:
            raise SystemExit(f"{self.changed} has no {CHANGE_FROM!r} to change")
        self.imports: dict[str, list[str]] = {}

    def cold(self) -> None:
        shutil.rmtree(self.project / CACHE_DIR, ignore_errors=True)

    def must(self, cmd: list[str], env: dict) -> Sample:
        sample = run_timed(cmd, env)
        if sample.rc != 0:
            raise SystemExit(f"{shlex.join(cmd)} failed (exit {sample.rc}):\n{sample.err}")
        return sample

    def prepare(self) -> None:
        """Untimed warm-up: a check and a build (OS file cache, the SDK to import), then
        the import commands and their bytecode."""
        self.cold()
        self.must(self.check, self.env)
        shutil.rmtree(self.out, ignore_errors=True)
        self.must(self.build, self.env)
        every = ", ".join(sdk_modules(self.out))
        self.imports = {name: [sys.executable, "-c", code.replace("ALL", every)]
                        for name, code in IMPORT_TASKS.items()}
        self.imports["all_nopyc"].insert(1, "-B")  # compile, and write no .pyc
        self.attrs_split = [sys.executable, "-c", ATTRS_CODE.replace("ALL", every)]
        self.refresh_pyc()

    def refresh_pyc(self) -> None:
        self.must(self.imports["all"], self.sdk_env)

    def check_slot(self, rep: int) -> dict[str, Sample]:
        self.cold()
        return {"check_cold": run_timed(self.check, self.env)}

    def build_slot(self, rep: int, result: SizeResult) -> dict[str, Sample]:
        """Cold build, unchanged rebuild, one-template rebuild; restored afterwards."""
        self.cold()
        shutil.rmtree(self.out, ignore_errors=True)
        out = {"build_cold": self.must(self.build, self.env),
               "build_warm": self.must(self.build, self.env)}
        before = manifest_hashes(self.out)
        self.changed.write_text(self.original.replace(CHANGE_FROM, CHANGE_TO, 1), encoding="utf-8")
        try:
            sample, stderr = run_timed_stderr(self.build, self.env)
            out["build_change"] = sample
            result.changed.append(differing(before, manifest_hashes(self.out)))
            line = [ln for ln in stderr.splitlines() if ln.startswith("wrote ")]
            result.reported.append(line[-1] if line else "")
        finally:
            self.changed.write_text(self.original, encoding="utf-8")
        if sample.rc != 0:
            raise SystemExit(f"the rebuild after the change failed:\n{sample.err}")
        self.must(self.build, self.env)  # back to the generated text, untimed
        self.refresh_pyc()
        return out

    def imports_slot(self, rep: int, result: SizeResult, runs: int) -> dict[str, list[Sample]]:
        """Each import command `runs` times, round-robin in an order rotated per
        repetition (short processes are noisy); then, untimed, the attrs share of
        importing every module."""
        names = list(self.imports)
        names = names[rep % len(names):] + names[: rep % len(names)]
        out: dict[str, list[Sample]] = {}
        for _ in range(runs):
            for name in names:
                if name == "all_nopyc":
                    shutil.rmtree(self.sdk_pycache, ignore_errors=True)
                sample = self.must(self.imports[name], self.sdk_env)
                out.setdefault(f"import_{name}", []).append(sample)
                if name == "all_nopyc":
                    self.refresh_pyc()
        done = subprocess.run(self.attrs_split, env=self.sdk_env, capture_output=True,
                              text=True, check=True)
        result.attrs_split.append(json.loads(done.stdout.strip().splitlines()[-1]))
        return out


def measure_size(n: int, repeat: int, seed: int, popsc: list[str], keep: Path | None,
                 quiet: bool = False, import_runs: int = 5) -> SizeResult:
    """Generate the project of n prompts, then time every slot `repeat` times."""
    with tempfile.TemporaryDirectory(prefix=f"pops-build-{n}-") as tmp:
        base = (keep / f"n{n}") if keep else Path(tmp)
        stats = generate(base / "project", n, seed)
        runner = Runner(base / "project", base / "out", popsc, base / "pycache")
        runner.prepare()
        result = SizeResult(n, stats.lines, stats.files)
        result.sdk_files = len(manifest_hashes(runner.out)) + 1  # and manifest.json
        result.sdk_modules = len(sdk_modules(runner.out))
        bundle = json.loads((runner.out / "bundle.json").read_text("utf-8"))["program"]
        result.records = sum(1 for r in bundle["records"]
                             if r.get("module", "").startswith("gen."))
        slots = ["check", "build", "imports"]
        for rep in range(repeat):
            for name in slots[rep % 3:] + slots[: rep % 3]:
                if name == "check":
                    got = runner.check_slot(rep)
                elif name == "build":
                    got = runner.build_slot(rep, result)
                else:
                    got = runner.imports_slot(rep, result, import_runs)
                for key, samples in got.items():
                    if isinstance(samples, Sample):
                        samples = [samples]
                    result.samples.setdefault(key, []).extend(samples)
            if not quiet:
                print(f"  N={n}: repetition {rep + 1}/{repeat} done", file=sys.stderr)
        return result


def median(result: SizeResult, task: str) -> float | None:
    samples = result.samples.get(task)
    return statistics.median(s.cpu for s in samples) if samples else None


def per_rep(result: SizeResult, top: str, bottom: str, how) -> float | None:
    """Median of how(top CPU, bottom CPU) over pairs run in the same repetition (for
    imports, the same round of it), so under the same load."""
    a, b = result.samples.get(top), result.samples.get(bottom)
    if not a or not b:
        return None
    return statistics.median(how(x.cpu, y.cpu) for x, y in zip(a, b))


def summary(result: SizeResult) -> dict:
    """The figures the table and the JSON show for one size."""
    out = {"n": result.n, "lines": result.lines, "files": result.files,
           "sdk_files": result.sdk_files, "sdk_modules": result.sdk_modules,
           "gen_records": result.records,
           "import_samples": len(result.samples.get("import_pass", []))}
    for task in result.samples:
        out[f"{task}_cpu"] = median(result, task)
        out[f"{task}_wall"] = statistics.median(s.wall for s in result.samples[task])
    out["build_over_check"] = per_rep(result, "build_cold", "check_cold", lambda a, b: a / b)
    out["change_over_build"] = per_rep(result, "build_change", "build_cold", lambda a, b: a / b)
    for name in IMPORT_TASKS:
        if name not in ("pass", "runtime"):
            out[f"import_{name}_over_pass"] = per_rep(
                result, f"import_{name}", "import_pass", lambda a, b: a - b)
            out[f"import_{name}_over_runtime"] = per_rep(
                result, f"import_{name}", "import_runtime", lambda a, b: a - b)
    out["import_runtime_over_pass"] = per_rep(result, "import_runtime", "import_pass",
                                              lambda a, b: a - b)
    extra = out.get("import_all_over_runtime")
    out["import_all_ms_per_record"] = (1000 * extra / result.records
                                       if extra is not None and result.records else None)
    if result.attrs_split:
        out["attrs_classes"] = result.attrs_split[0]["classes"]
        out["attrs_in_process_import_s"] = statistics.median(
            a["import_s"] for a in result.attrs_split)
        out["attrs_class_creation_s"] = statistics.median(a["attrs_s"] for a in result.attrs_split)
        out["attrs_ms_per_class"] = (1000 * out["attrs_class_creation_s"] / out["attrs_classes"]
                                     if out["attrs_classes"] else None)
    out["changed_files"] = sorted({p for rep in result.changed for p in rep})
    out["changed_per_rep"] = result.changed
    out["change_reported"] = result.reported
    return out


def print_table(rows: list[dict]) -> None:
    """Builds, then imports, one row per N; CPU seconds of whole processes (medians)."""
    head = ("N", "lines", "cold check s", "cold build s", "build/check", "no-change rebuild s",
            "one-template rebuild s", "files changed")
    print(" | ".join(head))
    for r in rows:
        changed = len(r["changed_files"]) + 1 if r["changed_per_rep"] else None
        print(" | ".join((str(r["n"]), f"{r['lines']:,}", fmt(r.get("check_cold_cpu")),
                          fmt(r.get("build_cold_cpu")), fmt(r["build_over_check"], ".2f"),
                          fmt(r.get("build_warm_cpu")), fmt(r.get("build_change_cpu")),
                          f"{fmt(changed, 'd')} of {r['sdk_files']}")))
    for r in rows:
        print(f"N={r['n']}: the one-template rebuild changed "
              f"{', '.join(r['changed_files']) or 'nothing'} (+ manifest.json, always rewritten); "
              f"popsc said: {r['change_reported'][-1] if r['change_reported'] else '-'}")
    for r in rows:
        print(f"N={r['n']} SDK import, fresh process ({r['sdk_modules']} modules, "
              f"{r['gen_records']} generated record classes), medians of "
              f"{r['import_samples']} runs each: CPU s, and extra over baselines")
        print("  what | CPU s | wall s | over `pass` | over runtime import")
        for name, label in IMPORT_LABELS.items():
            key = f"import_{name}"
            if f"{key}_cpu" not in r:
                continue
            over_pass = r.get(f"{key}_over_pass" if name != "runtime" else
                              "import_runtime_over_pass")
            print(f"  {label} | {fmt(r[f'{key}_cpu'])} | {fmt(r[f'{key}_wall'])} | "
                  f"{fmt(over_pass) if name != 'pass' else '-'} | "
                  f"{fmt(r.get(f'{key}_over_runtime'))}")
        if r.get("import_all_ms_per_record") is not None:
            print(f"  every module over the runtime import, divided by the {r['gen_records']} "
                  f"generated record classes: {r['import_all_ms_per_record']:.2f} ms each "
                  f"(enums, prompt objects and module code included)")
        if r.get("attrs_classes"):
            print(f"  of importing every module in process "
                  f"({r['attrs_in_process_import_s']:.3f} s), "
                  f"@attrs.frozen took {r['attrs_class_creation_s']:.3f} s for "
                  f"{r['attrs_classes']} classes: {r['attrs_ms_per_class']:.2f} ms per class")


def goals(rows: list[dict]) -> list[dict]:
    """The issue's build goals at N = GOAL_N (or the largest size measured)."""
    at = {r["n"]: r for r in rows}
    r = at.get(GOAL_N) or rows[-1]
    n = r["n"]
    changed = set(r["changed_files"])
    found = [
        {"goal": f"cold build N={n} at most {GOAL_BUILD_OVER_CHECK}x cold check (CPU)",
         "value": r["build_over_check"],
         "passed": None if r["build_over_check"] is None
         else r["build_over_check"] <= GOAL_BUILD_OVER_CHECK},
        {"goal": f"one-template rebuild N={n} changes only {', '.join(sorted(EXPECTED_CHANGED))} "
                 f"and manifest.json", "value": len(changed) + 1 if r["changed_per_rep"] else None,
         "passed": (all(set(c) == EXPECTED_CHANGED for c in r["changed_per_rep"])
                    if r["changed_per_rep"] else None)},
    ]
    for name in ("package", "module", "from_p0", "all"):
        value = r.get(f"import_{name}_cpu")
        found.append({"goal": f"N={n}: `{IMPORT_LABELS[name]}` (whole process) under "
                              f"{GOAL_IMPORT} s CPU", "value": value,
                      "passed": None if value is None else value < GOAL_IMPORT})
    return found


def print_goals(found: list[dict]) -> None:
    for g in found:
        word = {True: "PASS", False: "MISS", None: "n/a "}[g["passed"]]
        print(f"goal {word} {g['goal']} (measured: {fmt(g['value'], '.2f')})")


PROFILE_CODE = r"""
import cProfile, json, pstats, shutil, sys, time
import promptlang.driver as driver, promptlang.lower as lower_mod
import promptlang.emit.targets as targets_mod, promptlang.emit.files as files_mod
from promptlang.emit.python import prompts as prompts_mod
project, out, cache = sys.argv[1], sys.argv[2], sys.argv[3]
phases = {}
def timed(module, name, label):
    real = getattr(module, name)
    def wrapper(*a, **k):
        t = time.process_time()
        try:
            return real(*a, **k)
        finally:
            phases[label] = phases.get(label, 0.0) + time.process_time() - t
    setattr(module, name, wrapper)
    return real
def cold():
    shutil.rmtree(cache, ignore_errors=True); shutil.rmtree(out, ignore_errors=True)
def build():
    phases.clear()
    t = time.process_time()
    driver.build(project, out=out, targets=["python"])
    phases["whole build"] = time.process_time() - t
    return dict(phases)
cold()
driver.build(project, out=out, targets=["python"])  # imports and OS caches, untimed
cold()
real_check = timed(driver, "check", "check (need_program)")
timed(lower_mod, "lower", "lower to IR")
timed(targets_mod, "emit_all", "emit (bundle + python)")
timed(files_mod, "write", "write files")
timed(prompts_mod, "compile_template", "  of emit: compile templates (jinja parse)")
result = {"cold build": build(), "no-change rebuild": build()}
cold()
t = time.process_time()
real_check(project)
t_cold = time.process_time() - t
t = time.process_time()
real_check(project)
result["check"] = {"cold check": t_cold, "warm check": time.process_time() - t}
print(json.dumps(result))
cold()
profile = cProfile.Profile()
profile.enable()
driver.build(project, out=out, targets=["python"])
profile.disable()
stats = pstats.Stats(profile, stream=sys.stderr)
stats.sort_stats("cumulative")
stats.print_stats(r"promptlang|jinja2/(parser|lexer|environment)|lark/lark", 30)
"""


def profile_build(n: int, seed: int, keep: Path | None) -> dict:
    """One cold build in a child process split into phases, then a cProfile of another."""
    with tempfile.TemporaryDirectory(prefix=f"pops-profile-{n}-") as tmp:
        base = (keep / f"profile-n{n}") if keep else Path(tmp)
        generate(base / "project", n, seed)
        done = subprocess.run(
            [sys.executable, "-c", PROFILE_CODE, str(base / "project"), str(base / "out"),
             str(base / "project" / CACHE_DIR)],
            env=bytecode_env(child_env(), base / "pycache"), capture_output=True, text=True,
            check=True)
    phases = json.loads(done.stdout.strip().splitlines()[-1])
    return {"n": n, "phases": phases, "cprofile": done.stderr}


def print_profile(data: dict) -> None:
    print(f"N={data['n']}: in one process after an untimed build (imports loaded), "
          f"CPU seconds by phase (unprofiled):")
    for scenario, phases in data["phases"].items():
        print(f"  {scenario}:")
        for label, seconds in phases.items():
            print(f"    {label:<42} {seconds:7.3f}")
    print("cProfile of a second cold build (profiling inflates every figure; "
          "compare shares):")
    print(data["cprofile"])


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[GOAL_N])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--import-runs", type=int, default=5,
                    help="runs of each import command per repetition")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", type=Path, help="write every sample and summary here")
    ap.add_argument("--popsc", help="the popsc command to time, e.g. 'python -m promptlang'")
    ap.add_argument("--keep", type=Path, help="generate under this folder and keep it")
    ap.add_argument("--profile", action="store_true",
                    help="also split builds of the largest size into phases, and cProfile one")
    return ap.parse_args(argv)


def run(sizes: list[int], repeat: int, seed: int = 0, popsc: str | None = None,
        keep: Path | None = None, profile: bool = False, quiet: bool = False,
        import_runs: int = 5) -> dict:
    """Everything this script measures, as one dict (the smoke test calls this)."""
    command = check_command(popsc)
    before = machine()
    results = [measure_size(n, repeat, seed, command, keep, quiet, import_runs)
               for n in sorted(sizes)]
    rows = [summary(r) for r in results]
    data = {"machine": before, "loadavg_after": os.getloadavg(), "popsc_command": command,
            "repeat": repeat, "import_runs": import_runs, "seed": seed, "summary": rows,
            "goals": goals(rows),
            "samples": [asdict(r) for r in results]}
    if profile:
        data["profile"] = profile_build(max(sizes), seed, keep)
    return data


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    print(f"popsc command: {shlex.join(check_command(args.popsc))}", file=sys.stderr)
    data = run(args.sizes, args.repeat, args.seed, args.popsc, args.keep, args.profile,
               import_runs=args.import_runs)
    print_table(data["summary"])
    print_goals(data["goals"])
    if "profile" in data:
        print_profile(data["profile"])
    if args.json:
        args.json.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
