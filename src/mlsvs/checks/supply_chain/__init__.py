"""Built-in checks: supply_chain."""
