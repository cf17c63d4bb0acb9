"""An example mlsvs plugin: one check, registered through the ``mlsvs.checks`` entry point."""
