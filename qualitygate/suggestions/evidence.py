"""What was checked about a rewrite, and the honest words for it (issue 13, item 2)."""
from __future__ import annotations

from dataclasses import dataclass

# JSON-able (key, value) pairs, in a fixed order; values are strings or integers only.
EvidencePairs = tuple[tuple[str, "str | int"], ...]


class Rejected(Exception):
    """The rewrite fails verification; the message is the reason, in plain words, for the log."""


@dataclass(frozen=True)
class Evidence:
    """The checks a rewrite went through and what they found.

    ``verified`` needs behaviour evidence: passing static checks alone only re-measures and
    reads the code, it never runs it.
    """

    static: str = "ok"  # every static check passed (a failing one rejects the rewrite)
    tests: str = "not run"  # or "passed", "failed", "timed out" (suggestions/tests_run.py)
    tests_ran: int = 0
    tests_selected: str = ""  # "2 modules that import it", "all (none imports it)", "all (verify_command)"
    replayed_calls: int = 0  # recorded calls made on the old and new code and compared
    differences: int = 0  # of those, the ones whose outcome differs (a difference rejects)
    warnings: tuple[str, ...] = ()  # what the static checks noticed without rejecting
    not_checked: tuple[str, ...] = ()  # what they could not look at (bases defined elsewhere)

    @property
    def verified(self) -> bool:
        """Static checks passed and the project's tests ran on the patched code and passed."""
        return self.static == "ok" and self.tests == "passed"

    def pairs(self) -> EvidencePairs:
        """The evidence as the JSON report's ``evidence`` object, in this order."""
        pairs: list[tuple[str, str | int]] = [
            ("static", self.static), ("tests", self.tests), ("replayed_calls", self.replayed_calls),
        ]  # fmt: skip
        if self.tests_selected:
            pairs.insert(2, ("tests_selected", self.tests_selected))
        if self.tests_ran:
            pairs.insert(2, ("tests_ran", self.tests_ran))
        if self.replayed_calls:
            pairs.append(("differences", self.differences))
        if self.warnings:
            pairs.append(("warnings", "; ".join(self.warnings)))
        if self.not_checked:
            pairs.append(("not_checked", "; ".join(self.not_checked)))
        return tuple(pairs)


def describe(pairs: EvidencePairs) -> str:
    """In words, what was and was not checked: the label text, Markdown and the log use."""
    found = dict(pairs)
    tests = found.get("tests", "not run")
    if found.get("static") == "ok" and tests == "passed":
        words = f"verified: metrics re-measured, static checks passed, {_tests_words(found)}"
    elif tests == "not run":
        words = ("unverified: metrics re-measured, static checks passed; behaviour unchecked "
                 "(no tests were run)")  # fmt: skip
    else:
        words = f"unverified: metrics re-measured, static checks passed; tests {tests}"
    if found.get("warnings"):
        words += f"; look closely: {found['warnings']}"
    if found.get("not_checked"):
        words += f"; not checked: {found['not_checked']}"
    return words


def _tests_words(found: dict[str, str | int]) -> str:
    """``14 tests from 2 modules that import it passed on a patched copy; 230 recorded calls
    equal``. Which tests ran is said as it was chosen (by imports): "covering" would claim a
    coverage measurement that was never made."""
    ran, selected = int(found.get("tests_ran", 0)), str(found.get("tests_selected", ""))
    tests = f"{ran} of the project's tests"
    if " that import" in selected:
        tests = f"{ran} test{'s' * (ran != 1)} from {selected}"
    elif selected == "all (verify_command)" and not ran:  # its output gave no count
        tests = "the verify_command"
    calls = int(found.get("replayed_calls", 0))
    replayed = f"{calls} recorded call{'s' * (calls != 1)} equal" if calls else "calls not replayed"
    return f"{tests} passed on a patched copy; {replayed}"
