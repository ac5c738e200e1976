"""The ``bitnami.com/v1alpha1`` SealedSecret format: scopes, sealing and unsealing."""
