"""CLI command groups; each module is owned by its domain."""
