"""The small public Python API: metrics of a source string, and a gate over it."""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from qualitygate.config import Settings, validate_table
from qualitygate.gate.rules import evaluate
from qualitygate.metrics.analyze import MetricOptions
from qualitygate.metrics.analyze import measure_source as _measure_source
from qualitygate.models import AnalysisError, FileMetrics, Violation

__all__ = ["QualityGate", "measure_source"]


def measure_source(
    source: str, path: str = "<string>", *, dependencies: bool = True, count_asserts: bool = True
) -> FileMetrics:
    """Every metric of ``source``; raises SyntaxError when it does not parse. ``count_asserts``
    as the config key: False leaves asserts out of cyclomatic complexity."""
    options = MetricOptions(enable_dependency_analysis=dependencies, count_asserts=count_asserts)
    return _measure_source(source, path, options)


class QualityGate:
    """``QualityGate(config).check_quality(source) -> (passed, issues)``.

    ``config`` is a ``Settings`` or a mapping with the keys of ``[tool.qualitygate]``.
    """

    def __init__(self, config: Settings | Mapping[str, Any] | None = None) -> None:
        if config is None:
            self.settings = Settings()
        elif isinstance(config, Settings):
            self.settings = config
        else:
            self.settings = Settings(**validate_table(config, Path("<config>")))

    def check_quality(
        self, source: str, path: str = "<string>"
    ) -> tuple[bool, list[Violation | AnalysisError]]:
        """Gate one source text; a syntax error is an issue that fails, never an exception."""
        try:
            metrics = measure_source(source, path, dependencies=self.settings.enable_dependency_analysis,
                                     count_asserts=self.settings.count_asserts)  # fmt: skip
        except SyntaxError as exc:
            return False, [AnalysisError(path, exc.lineno, f"syntax error: {exc.msg}")]
        found = evaluate(metrics, self.settings.thresholds, self.settings.warning_rules)
        issues: list[Violation | AnalysisError] = list(found)
        passed = not any(v.severity.value == "error" for v in found)
        return passed, issues
