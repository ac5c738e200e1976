"""The Kubernetes API emulator for tests (see :mod:`sealer_controller.devcluster` for what it emulates).

It lives in the controller package because ``sealer-controller demo`` runs on it too; tests import it here.
"""

from sealer_controller.devcluster import (
    EVENTS,
    NAMESPACES,
    SEALED_SECRETS,
    SECRETS,
    Emulator,
    KubeEmulator,
    Write,
)

__all__ = ["EVENTS", "NAMESPACES", "SEALED_SECRETS", "SECRETS", "Emulator", "KubeEmulator", "Write"]
