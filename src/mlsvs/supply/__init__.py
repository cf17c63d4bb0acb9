"""mlsvs.supply."""
