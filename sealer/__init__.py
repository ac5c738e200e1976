"""sealer: GitOps secret sealing for Kubernetes.

The public surface is :mod:`sealer.api` (the facade) and :mod:`sealer.errors`.
Everything else is an implementation detail that may change between releases.
"""

from sealer.errors import SealerError

__all__ = ["SealerError", "__version__"]
__version__ = "0.1.0"
