"""SARIF 2.1.0 for GitHub code scanning and other SARIF viewers."""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote

from qualitygate.gate.rules import RULES, Rule
from qualitygate.metrics.notebook import Cells, file_lines, notebook_cells
from qualitygate.models import (
    AnalysisError,
    GateResult,
    Severity,
    Suggestion,
    SuggestionKind,
    Violation,
    qualname_of,
)
from qualitygate.outputs import ReportContext
from qualitygate.outputs.common import FINGERPRINT_KEY, fingerprints, project_url, repo_path
from qualitygate.serialize import suggestion_to_dict

SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)


# The escapes of ``paths.printable``: a doubled backslash, ``\xNN`` (a byte: one not UTF-8, a
# control character, or a ``:`` or ``[`` a CI log would misread) and ``\uNNNN`` (a character).
_SPELLED = re.compile(r"\\(\\|x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4})")


def _escape_bytes(escape: str) -> bytes:
    """The bytes one escape stands for: ``\\`` one backslash, ``xNN`` the byte, ``uNNNN`` UTF-8."""
    if escape == "\\":
        return b"\\"
    code = int(escape[1:], 16)
    return bytes([code]) if escape[0] == "x" else chr(code).encode("utf-8", "surrogatepass")


def name_bytes(path: str) -> bytes:
    """The bytes of the file a report path names: the inverse of ``paths.printable`` (issue 12)."""
    out, start = bytearray(), 0
    for match in _SPELLED.finditer(path):
        out += path[start : match.start()].encode("utf-8", "surrogatepass")
        out += _escape_bytes(match.group(1))
        start = match.end()
    return bytes(out + path[start:].encode("utf-8", "surrogatepass"))


def artifact_uri(path: str) -> str:
    """A URI reference for a report path: relative stays relative. Every byte of the real name
    but letters, digits, ``-._~`` and ``/`` is percent-encoded (``%FF`` for a byte that is not
    UTF-8; ``%25``, ``%20``, ``%23``, ``%3F``, ``%3A`` and control characters too)."""
    encoded = quote(name_bytes(path), safe="/")
    return "file://" + encoded if path.startswith("/") else encoded


def _artifact(path: str, context: ReportContext) -> dict[str, str]:
    # %SRCROOT% is the checkout root; GitHub resolves relative URIs against it, so the path is
    # made relative to the repository root, not the working directory (issue 16).
    return {"uri": artifact_uri(repo_path(path, context)), "uriBaseId": "%SRCROOT%"}


def _base_ids(context: ReportContext) -> dict[str, Any]:
    """``run.originalUriBaseIds`` (SARIF 2.1.0 §3.14.14): where %SRCROOT% is, as an absolute
    ``file`` URI that ends with "/" (§3.4.4: a base URI must end with a slash)."""
    if not context.repo_root:
        return {}
    uri = Path(context.repo_root).as_uri().rstrip("/") + "/"
    return {"originalUriBaseIds": {"%SRCROOT%": {"uri": uri}}}


def _rule_descriptor(rule: Rule, context: ReportContext) -> dict[str, Any]:
    # GitHub code scanning shows shortDescription in lists and help on the alert page, so help is
    # always there; helpUri only when the run knows where the docs are (issue 16: no URL the
    # project does not own), and then it must be absolute, as SARIF's format "uri" says.
    url = context.docs_url if context.docs_url.startswith("https://") else ""
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.short},
        "fullDescription": {"text": rule.help},
        "help": {
            "text": f"{rule.help}\n\nDocumentation: {url}" if url else rule.help,
            "markdown": f"{rule.help}\n\n[Documentation]({url})" if url else rule.help,
        },
        **({"helpUri": url} if url else {}),
        "defaultConfiguration": {"level": "error"},
        "properties": {
            "tags": ["maintainability", rule.metric.value],
            "precision": "very-high",
        },
    }


def _unknown_rule(code: str) -> dict[str, Any]:
    text = f"qualitygate rule {code}"
    return {"id": code, "shortDescription": {"text": text}, "fullDescription": {"text": text},
            "help": {"text": text}}  # fmt: skip


def _listed(rule: Rule, result: GateResult, context: ReportContext, used: set[str]) -> bool:
    if rule.code in used:
        return True
    if rule.needs_coverage:
        return bool(result.coverage)
    return not rule.needs_graph or rule.code in (context.rules or ())


def _rules(result: GateResult, context: ReportContext) -> list[dict[str, Any]]:
    """Every registered rule, then any code a violation uses that the registry lacks. A rule on
    the coverage file (QG005) is listed only when the run read one (issue 14), the import-cycle
    rule (QG008) only when it was in force (issue 15)."""
    known = {r.code for r in RULES}
    used = {v.rule for v in result.violations}
    listed = [r for r in RULES if _listed(r, result, context, used)]
    return [_rule_descriptor(r, context) for r in listed] + [_unknown_rule(c) for c in sorted(used - known)]


def _region(v: Violation, cells: Cells) -> dict[str, int]:
    """The lines of the file; in a notebook, of its JSON text, with no column (issue 15)."""
    if v.path not in cells:
        return {"startLine": v.line, "startColumn": v.column, "endLine": max(v.end_line, v.line)}
    start, end = file_lines(cells, v.path, v.line, v.end_line)
    return {"startLine": start, "endLine": end}


def _location(v: Violation, context: ReportContext, cells: Cells) -> dict[str, Any]:
    function = v.symbol != v.path
    return {
        "physicalLocation": {
            "artifactLocation": _artifact(v.path, context),
            "region": _region(v, cells),
        },
        "logicalLocations": [
            # A class violation (QG006, QG007: issue 15) names a class: SARIF's kind "type".
            {"fullyQualifiedName": qualname_of(v.symbol), "kind": ("type" if v.metric.value in ("wmc", "lcom4") else "function") if function else "module"}
        ],
    }


def _result(v: Violation, rule_index: int, fingerprint: str, context: ReportContext, cells: Cells) -> dict[str, Any]:
    message = v.message if v.symbol == v.path else f"{v.symbol}: {v.message}"
    return {
        "ruleId": v.rule,
        "ruleIndex": rule_index,
        "level": "warning" if v.severity is Severity.WARNING else "error",
        "message": {"text": message},
        "locations": [_location(v, context, cells)],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint},
        "properties": {"metric": v.metric.value, "value": v.value, "threshold": v.threshold},
    }


def _notification(e: AnalysisError, context: ReportContext) -> dict[str, Any]:
    location: dict[str, Any] = {"artifactLocation": _artifact(e.path, context)}
    if e.line:
        location["region"] = {"startLine": e.line}
    return {
        "level": "error",
        "message": {"text": f"{e.path}: file not analysed: {e.message}"},
        "locations": [{"physicalLocation": location}],
    }


def _add_suggestions(
    result: GateResult, rules: list[dict[str, Any]], results: list[dict[str, Any]]
) -> None:
    """Issue 6: advice in each result's message and properties, and what it covers in rule help.

    Added only when the run has suggestions, so logs without them stay as they were.
    """
    from qualitygate.suggestions import RULE_ADVICE

    advice: dict[tuple[str, str, int, str], list[Suggestion]] = {}
    for s in result.suggestions:
        advice.setdefault((s.path, s.rule, s.line, s.qualname or s.path), []).append(s)
    for v, entry in zip(result.violations, results, strict=True):
        found = advice.get((v.path, v.rule, v.line, v.symbol), [])
        for s in found:
            if s.kind is SuggestionKind.RULE:
                entry["message"]["text"] += f"\nSuggestion: {s.text}"
        if found:
            entry["properties"]["suggestions"] = [suggestion_to_dict(s) for s in found]
    for rule in rules:
        extra = RULE_ADVICE.get(rule["id"])
        if extra:
            rule["help"]["text"] += f"\n\nSuggestions: {extra}"
            rule["help"]["markdown"] += f"\n\n**Suggestions:** {extra}"


def to_sarif(result: GateResult, context: ReportContext) -> dict[str, Any]:
    """The SARIF log: one run, rules in registry order, results in report order."""
    rules = _rules(result, context)
    index = {r["id"]: i for i, r in enumerate(rules)}
    driver: dict[str, Any] = {"name": "qualitygate"}
    information = project_url(context.docs_url)
    if information:
        driver["informationUri"] = information
    driver["rules"] = rules
    if context.version:
        driver["version"] = context.version
    cells = notebook_cells(result.files)
    results = [
        _result(v, index[v.rule], fp, context, cells)
        for v, fp in zip(result.violations, fingerprints(result.violations), strict=True)
    ]
    if result.suggestions:
        _add_suggestions(result, rules, results)
    # Files that could not be analysed are tool notifications, not findings.
    invocation = {
        "executionSuccessful": True,
        "toolExecutionNotifications": [_notification(e, context) for e in result.errors],
    }
    run = {"tool": {"driver": driver}, **_base_ids(context), "invocations": [invocation], "results": results}
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render(result: GateResult, stream: TextIO, context: ReportContext) -> None:
    """Write the SARIF log as indented JSON."""
    json.dump(to_sarif(result, context), stream, indent=2, ensure_ascii=False)
    stream.write("\n")

