"""Small stdlib-only helpers shared across layers."""
