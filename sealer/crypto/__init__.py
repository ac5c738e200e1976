"""The only package that touches ``cryptography.hazmat``.

Higher layers speak in bytes and key objects; they never choose paddings,
nonces or hash functions themselves.
"""
