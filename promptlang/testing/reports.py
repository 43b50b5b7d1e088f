"""Results as people and CI systems read them: a text report with a summary line, a
versioned JSON document (schema: results.schema.json), JUnit XML and GitHub
workflow annotations."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Sequence

from promptlang.testing.assertions import FAILED
from promptlang.testing.assertions import PASSED
from promptlang.testing.assertions import SKIPPED
from promptlang.testing.runner import Result

FORMAT = "popsc-test-results/1"


def counts(results: Sequence[Result]) -> Counter:
    """How many cases passed, failed and were skipped."""
    return Counter(r.status for r in results)


def summary(results: Sequence[Result]) -> str:
    """`3 passed, 1 failed, 2 skipped` (skipped only when some were)."""
    n = counts(results)
    text = f"{n[PASSED]} passed, {n[FAILED]} failed"
    return text + (f", {n[SKIPPED]} skipped" if n[SKIPPED] else "")


def _where(result: Result, line: int) -> str:
    return f"{result.file}:{line}" if line else result.file


def text(results: Sequence[Result]) -> str:
    """One line per case, failed and skipped assertions under it, then the summary."""
    lines = []
    for r in results:
        lines.append(f"{r.status.upper():7} {r.case.module} :: {r.case.title}"
                     + (f"  ({r.duration:.2f}s)" if r.case.test is not None else ""))
        if r.message:
            lines.append(f"    {_where(r, r.line)}: {r.message}")
        for o in r.outcomes:
            if o.status != PASSED:
                lines.append(f"    {o.status}: {_where(r, o.line)}: {o.message}")
    lines.append(summary(results))
    return "\n".join(lines) + "\n"


def github(results: Sequence[Result]) -> str:
    """`::error file=...,line=...::message` for each failure (and `::notice` for what
    was skipped), then the summary line."""
    lines = []
    for r in results:
        title = f"{r.case.title}"
        if r.status == FAILED and r.message:
            lines.append(_annotation("error", r.file, r.line, f"{title}: {r.message}"))
        for o in r.outcomes:
            if o.status == FAILED:
                lines.append(_annotation("error", r.file, o.line, f"{title}: {o.message}"))
    lines.append(summary(results))
    return "\n".join(lines) + "\n"


def _annotation(kind: str, file: str, line: int, message: str) -> str:
    def escape(value: str) -> str:  # GitHub's workflow-command escaping
        return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")

    where = f"file={escape(file).replace(',', '%2C').replace(':', '%3A')}" + (f",line={line}" if line else "")
    return f"::{kind} {where}::{escape(message)}"


def as_json(results: Sequence[Result], mode: str) -> str:
    """The `popsc-test-results/1` document (see results.schema.json)."""
    n = counts(results)
    data = {
        "format": FORMAT,
        "mode": mode,
        "summary": {"passed": n[PASSED], "failed": n[FAILED], "skipped": n[SKIPPED],
                    "total": len(results)},
        "tests": [{
            "title": r.case.title,
            "module": r.case.module,
            "prompt": r.case.prompt,
            "status": r.status,
            "duration": round(r.duration, 6),
            "file": r.file,
            "message": r.message,
            "assertions": [{"subject": o.subject, "op": o.op, "line": o.line,
                            "status": o.status, "message": o.message} for o in r.outcomes],
        } for r in results],
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def junit(results: Sequence[Result]) -> str:
    """JUnit XML: one `testsuite` (popsc), a `testcase` per case, `failure` or
    `skipped` children as CI systems expect."""
    n = counts(results)
    suite = ET.Element("testsuite", name="popsc", tests=str(len(results)),
                       failures=str(n[FAILED]), errors="0", skipped=str(n[SKIPPED]),
                       time=f"{sum(r.duration for r in results):.3f}")
    for r in results:
        case = ET.SubElement(suite, "testcase", classname=r.case.module, name=r.case.title,
                             time=f"{r.duration:.3f}", file=r.file)
        if r.status == FAILED:
            messages = ([r.message] if r.message else []) + [
                f"{_where(r, o.line)}: {o.message}" for o in r.outcomes if o.status == FAILED]
            failure = ET.SubElement(case, "failure", message=messages[0] if messages else "failed")
            failure.text = "\n".join(messages)
        elif r.status == SKIPPED:
            reasons = [r.message] if r.message else sorted({o.message for o in r.outcomes})
            ET.SubElement(case, "skipped", message="; ".join(reasons))
    ET.indent(suite)
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"
