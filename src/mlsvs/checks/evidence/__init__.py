"""Other tools' results (SARIF and native JSON reports) as evidence for requirements."""
