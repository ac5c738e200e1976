"""Thin Kubernetes I/O shared by the CLI and the controller.

Only :mod:`sealer.kube.client` imports the ``kubernetes`` package, and only when
a function here is called: importing it costs ~0.5 s, which ``sealer seal``
with an offline certificate must not pay.
"""
