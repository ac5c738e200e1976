"""Kubernetes encryption at rest: what the API server writes to etcd, and tools around it.

The API server encrypts resources before they reach etcd according to an
``apiserver.config.k8s.io/v1`` EncryptionConfiguration. This package knows
those stored formats bit for bit (:mod:`.values`), the configuration file and
the API server's validation rules (:mod:`.config`, :mod:`.validation`), how
keys are generated, rotated and pruned (:mod:`.lifecycle`), how to read etcd
live or from a snapshot file (:mod:`.etcd_gateway`, :mod:`.snapshot`), how to
audit what is stored (:mod:`.audit`), and how to rewrite every Secret through
the API server so that it is stored under the newest key (:mod:`.rewrite`).

Nothing here talks to the Kubernetes API itself: :mod:`sealer.kube` does that
I/O and :mod:`sealer.api.at_rest` wires the two together.
"""
