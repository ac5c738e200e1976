"""Document formats (SealedSecret, SOPS) built on :mod:`sealer.crypto` and :mod:`sealer.keys`."""
