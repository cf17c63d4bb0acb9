"""Built-in checks: operations evidence read from the project's own records and configuration
(MLC1060-MLC1099).

* Human oversight: an override and a stop by a named overseer in the oversight drill's log
  (MLC1060, M1.5.1); every intervention logged with actor, output and reason and covered by a
  periodic review (MLC1061, M1.5.3).
* Erasure: every closed erasure request followed by a retraining or unlearning run of each
  affected model within ``max_erasure_days`` (MLC1065, M7.3.5).
* Abuse monitoring from Prometheus rules: per-principal extraction/probing alerts carrying
  principal, volume and input statistics (MLC1070, M10.2.4); feedback volume and label
  distribution alerts (MLC1071, M10.2.5); both need a promtool replay test run in CI.
* Agents and tool servers: HTTP MCP servers refuse unauthenticated and badly authenticated
  calls (MLC1080, M11.4.3, ``--allow network``); tool definitions pinned by hash and live
  definitions unchanged (MLC1081, M11.4.7); no over-broad agent tools (MLC1082, M11.4.2);
  high-impact tools gated by human approval (MLC1085, M11.4.5); RAG documents indexed only from
  approved sources with source and writer (MLC1086, M11.4.4).
"""
