"""The gate: metrics -> violations (rules, thresholds, suppressions, baseline, --diff) -> a verdict."""
