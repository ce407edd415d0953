"""qualitygate tests."""
