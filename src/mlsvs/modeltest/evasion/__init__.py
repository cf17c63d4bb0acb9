"""Evasion attacks: white-box FGSM/PGD and black-box Square/HopSkipJump, tabular-aware."""
