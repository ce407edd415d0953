"""What persists between runs: the metrics cache and the metrics history."""
