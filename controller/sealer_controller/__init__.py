"""Kopf operator that unseals SealedSecrets into Secrets (Sealed Secrets controller compatible)."""
