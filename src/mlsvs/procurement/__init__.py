"""Procurement end to end: the contract annex, supplier evidence packages and their acceptance.

``questionnaire`` turns a buyer's answers into a scope; ``annex`` decides the contract annex
(scope, parameter schedule, acceptable evidence per requirement, contract terms) as a pure
function of the standard, the answers and the check registry's mapping; ``package`` writes a
signed evidence package; ``acceptance`` decides, per requirement, whether a package meets an
annex for the files that were delivered.
"""
