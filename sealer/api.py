"""The library facade: what programs other than our CLI should call.

Functions take and return bytes/streams and keyword-only options, never paths
or click objects, so the controller, the Kustomize plugin and third parties can
use them. Each section below is owned by one feature area.
"""

from __future__ import annotations

# --- SealedSecrets (kubeseal-compatible) -------------------------------------

# --- SOPS --------------------------------------------------------------------
