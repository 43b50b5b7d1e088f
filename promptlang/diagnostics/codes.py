"""The one catalog of diagnostic codes: band by stage, slug, default severity, summary.

E01xx syntax · E02xx names and imports · E03xx types, settings and templates ·
E04xx intents and tests · E05xx policies · E06xx project and deploy settings ·
E07xx versions and `pops.lock`.
W-codes are warnings in the same bands. Long explanations live beside this file in
`explain/<CODE>.md` and are printed by `popsc explain`.
"""

from __future__ import annotations

import attrs

from promptlang.diagnostics.model import Severity

E = Severity.ERROR
W = Severity.WARNING


@attrs.frozen
class Code:
    """A catalog entry."""

    code: str
    slug: str
    severity: Severity
    summary: str


_TABLE = [
    # ---- E01xx syntax -------------------------------------------------------
    ("E0101", "unexpected-token", E, "the parser found a token it did not expect here"),
    ("E0102", "unexpected-character", E, "a character that cannot start any token"),
    ("E0103", "unterminated-string", E, "a string literal is not closed"),
    ("E0104", "unclosed-bracket", E, "a `{`, `(` or `[` is never closed"),
    ("E0105", "mismatched-bracket", E, "a closing bracket does not match the open one"),
    ("E0106", "invalid-encoding", E, "a source file is not valid UTF-8"),
    ("E0107", "template-syntax", E, "a template body is not valid template syntax"),
    ("E0108", "template-unsupported", E, "a template uses Jinja outside the checked subset"),
    # ---- E02xx names and imports ------------------------------------------------
    ("E0201", "unknown-module", E, "an import names a module that does not exist"),
    ("E0202", "import-cycle", E, "modules import each other in a cycle"),
    ("E0203", "unknown-name", E, "a name that is not declared or imported"),
    ("E0204", "unknown-field", E, "a record, object or value has no such field"),
    ("E0205", "duplicate-declaration", E, "a name is declared twice in one module"),
    ("E0206", "unknown-import-name", E, "`from m import X` where `m` has no `X`"),
    ("E0207", "import-outside-root", E, "an import resolves outside the project root"),
    ("E0208", "wrong-kind", E, "a name refers to the wrong kind of declaration"),
    ("E0209", "unknown-enum-member", E, "an enum has no such member"),
    ("E0210", "duplicate-entry", E, "a field, member, parameter or setting is given twice"),
    ("W0211", "unused-import", W, "an imported module or name is never used"),
    # ---- E03xx types, settings, templates --------------------------------------------
    ("E0301", "type-mismatch", E, "a value does not have the type expected here"),
    ("E0302", "bad-type-arguments", E, "a type takes a different number or kind of arguments"),
    ("E0303", "bad-annotation", E, "an annotation is unknown, misapplied or has bad arguments"),
    ("E0304", "recursive-record", E, "a record contains itself other than through list, map or ?"),
    ("E0305", "unknown-setting", E, "a block has no setting or entry of this name"),
    ("E0306", "missing-setting", E, "a required setting is missing"),
    ("E0307", "out-of-range", E, "a number is outside the range allowed here"),
    ("E0308", "constraint-violation", E, "a literal breaks the constraints of its type"),
    ("E0309", "invalid-regex", E, "a regular expression does not compile"),
    ("E0310", "secret-literal", E, "a secret is written as a value instead of a reference"),
    ("E0311", "bad-message", E, "a prompt's message blocks are missing or out of order"),
    ("E0312", "invalid-version", E, "a version is not semantic (MAJOR.MINOR.PATCH)"),
    ("E0313", "not-iterable", E, "a `for` loop over a value that is not a list"),
    ("E0314", "unknown-filter", E, "a template uses a filter that does not exist"),
    ("E0315", "bad-arguments", E, "a call or filter gets the wrong arguments"),
    ("E0316", "optional-access", E, "a field of a value that may be null, read without a guard"),
    ("E0317", "bad-comparison", E, "two values that cannot be compared"),
    ("E0318", "unexpected-entry", E, "an entry of a kind this block does not take"),
    ("E0319", "fallback-cycle", E, "models fall back to each other in a cycle"),
    ("W0320", "output-not-structured", W, "a test compares a free-text output with `==`"),
    # ---- E04xx intents and tests ----------------------------------------------------
    ("E0401", "undeclared-slot", E, "an example uses a `{slot}` that is not declared"),
    ("W0402", "unused-slot", W, "a declared slot appears in no example"),
    ("E0403", "bad-route", E, "an intent's route does not fit the prompt it calls"),
    ("E0404", "intent-collision", E, "two intents have the same example"),
    ("W0405", "few-examples", W, "an intent has too few examples to match reliably"),
    ("E0406", "missing-given", E, "a test does not give a required parameter"),
    ("E0407", "bad-expectation", E, "an `expect` line that is not an assertion popsc knows"),
    ("E0408", "bad-intent-test", E, "a `test intents` line that is not `\"text\" -> intent`"),
    ("W0409", "test-without-expect", W, "a prompt test asserts nothing"),
    # ---- E05xx policies ----------------------------------------------------------------
    ("E0501", "pii-in-prompt", E, "a `@pii` value reaches a prompt without `| redact`"),
    ("E0502", "secret-in-prompt", E, "a `@secret` value reaches a prompt"),
    ("E0503", "requirement-failed", E, "a prompt breaks a policy's `require` rule"),
    ("E0504", "missing-owner", E, "a policy requires an owner and the prompt has none"),
    ("E0505", "too-few-tests", E, "a policy requires more tests than the prompt has"),
    ("E0506", "bad-policy-rule", E, "a policy rule popsc does not understand"),
    # ---- E06xx project and deploy settings ------------------------------------------
    ("E0601", "bad-project-file", E, "`pops.toml` is invalid"),
    ("E0602", "unknown-metric", E, "a `monitor` rule names a metric popsc does not export"),
    ("W0603", "image-by-tag", W, "a container image is given by tag instead of digest"),
    ("E0604", "duplicate-environment", E, "two modules declare an environment of the same name"),
    ("E0605", "shared-namespace", E, "two environments deploy to the same Kubernetes namespace"),
    ("E0606", "request-above-limit", E, "a Kubernetes resource request is above its limit"),
    ("E0620", "slo-wrong-side", E, "an `slo` bounds its metric from the side that is worse"),
    ("W0621", "latency-between-buckets", W, "a latency objective's bound is not a bucket of the gateway's histogram"),
    # ---- E07xx versions and pops.lock ------------------------------------------------
    ("E0701", "unversioned-change", E, "a prompt's content changed but its version did not"),
    ("E0702", "version-went-backwards", E, "a prompt's version is lower than the locked one"),
    ("E0703", "bad-lock-file", E, "`pops.lock` is invalid"),
]

CODES: dict[str, Code] = {row[0]: Code(*row) for row in _TABLE}
