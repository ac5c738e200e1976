"""Re-encrypt a SealedSecret with the newest key, changing nothing else.

This is what the controller's ``/v1/rotate`` and ``sealer seal --re-encrypt``
do. Unlike the Bitnami controller (which unseals to a Secret and seals that
anew, so ``template.data`` templates come back as rendered, encrypted items),
only the ``encryptedData`` values are replaced: templates, metadata, unknown
fields and the scope stay as they were. A legacy ``spec.data`` blob is
converted to per-item ``encryptedData``, since it cannot be re-sealed in place.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sealer.formats.sealedsecret.model import SealedSecret
from sealer.formats.sealedsecret.seal import seal_values
from sealer.formats.sealedsecret.unseal import build_secret, decrypt_values
from sealer.keys.keyring import KeyRing

if TYPE_CHECKING:
    from sealer.formats.sealedsecret.seal import PublicKeyLike

__all__ = ["reencrypt"]


def reencrypt(
    ss_doc: Mapping[str, Any] | SealedSecret, ring: KeyRing, newest_public_key: PublicKeyLike
) -> dict[str, Any]:
    """Return a copy of ``ss_doc`` whose items are sealed anew for ``newest_public_key``.

    Decryption failures raise as :func:`~sealer.formats.sealedsecret.unseal.decrypt_values` does;
    the input is never modified.
    """
    ss = ss_doc if isinstance(ss_doc, SealedSecret) else SealedSecret.from_dict(ss_doc)
    decrypted = decrypt_values(ss, ring)
    out = copy.deepcopy(ss.raw)
    spec = out.setdefault("spec", {})
    sealed = seal_values(decrypted.values, newest_public_key, ss.label())
    existing = spec.get("encryptedData")
    if isinstance(existing, dict) and existing:
        # Keep the document's own key order (a round-trip YAML map stays a round-trip map).
        for key in list(existing):
            existing[key] = sealed[key]
    else:
        spec["encryptedData"] = sealed
    if decrypted.legacy_secret is not None and "template" not in spec:
        # The legacy blob carried the Secret's metadata and type; keep them in the template.
        secret = build_secret(ss, {}, legacy_secret=decrypted.legacy_secret)
        template: dict[str, Any] = {"metadata": secret["metadata"]}
        for field in ("type", "immutable"):
            if field in secret:
                template[field] = secret[field]
        spec["template"] = template
    spec.pop("data", None)
    return out
