"""The ``sealer`` command line: thin click verbs over :mod:`sealer.api`."""
