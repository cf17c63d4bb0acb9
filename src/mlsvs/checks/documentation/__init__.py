"""Built-in checks on documentation and governance evidence (MLC7xx)."""
