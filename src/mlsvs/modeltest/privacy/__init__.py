"""Privacy attacks: membership inference (threshold, LiRA) and attribute inference."""
