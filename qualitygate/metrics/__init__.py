"""Per-file measurement: parse once, then every metric reads the same tree."""
