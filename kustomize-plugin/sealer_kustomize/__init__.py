"""KSOPS-compatible Kustomize generator: decrypts SOPS files during kustomize build."""
