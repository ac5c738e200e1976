"""SOPS files: an ordered tree, path-bound leaf encryption, the MAC, metadata, and one store per format.

Stores (YAML, JSON, dotenv, INI, binary) only convert bytes ⇄ tree
(``stores.store_for``); :mod:`.crypt` walks a tree to encrypt or decrypt it
without knowing the format; :mod:`.metadata` maps the ``sops:`` block to a
model; :mod:`.config` reads ``.sops.yaml``. :mod:`sealer.api.sops` puts them together.
"""
