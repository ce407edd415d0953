"""Improvement suggestions (issue 6): rule-based advice always, verified AI rewrites on request."""
from __future__ import annotations

# One line per rule on what the advisor says; SARIF adds it to the rule's help when advice is given.
RULE_ADVICE: dict[str, str] = {
    "QG001": "qualitygate names the block to extract (or the if/elif chain to replace with a "
    "lookup), and counts the decision points that are boolean operators.",
    "QG002": "qualitygate names the block to extract, what it costs where it sits, how much of "
    "that is owed to nesting alone, and what both functions would score afterwards.",
    "QG003": "qualitygate lists the module's size and its most complex functions, the first "
    "candidates to simplify or move out.",
    "QG004": "qualitygate lists the function's length, complexity and volume, and its longest "
    "block to extract.",
    "QG005": "qualitygate gives the function's line coverage and complexity: cover its untested "
    "lines with tests, or split it.",
}
