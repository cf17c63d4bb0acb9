"""Pure domain types of mlsvs: stdlib only, frozen, fully typed.

Submodules: ``catalog`` (the standard), ``result`` (outcomes and findings), ``artifact``
(what discovery finds), ``check`` (check declaration), ``attestation``, ``verdict`` and
``assessment`` (the complete result of a run).
"""
