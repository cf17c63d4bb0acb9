"""Reports: pure functions of an ``Assessment``.

``base`` (renderer protocol, registry, ``-f FMT[:PATH]`` outputs), ``json`` (results.json, its
schema, reading it back), ``terminal``, ``markdown``, ``html`` (+ ``svg`` geometry and
``templates/``), ``sarif``, ``junit``, ``cyclonedx`` (+ ``cdx_evidence``), ``diff`` (comparing
two runs) and ``text`` (safe text and shared summaries). Nothing is imported here, so importing
one renderer costs only that renderer.
"""
