"""Run the PyPI package aes-gcm-rsa-oaep (an independent kubeseal-format implementation) on JSON requests.

Runs in .venv-peers (the package pins an old cryptography), never in the project venv.
stdin: {"op": "encrypt"|"decrypt", "key_pem": str, "label": str|null, "items": {name: base64}}
stdout: {"items": {name: base64}} -- encrypt takes a public key or certificate PEM, decrypt a private key PEM.
"""

import base64
import json
import sys

import aes_gcm_rsa_oaep
from cryptography import x509
from cryptography.hazmat.primitives import serialization


def main() -> None:
    request = json.load(sys.stdin)
    pem = request["key_pem"].encode()
    label = request["label"].encode() if request["label"] is not None else None
    out = {}
    if request["op"] == "encrypt":
        if b"CERTIFICATE" in pem:
            key = x509.load_pem_x509_certificate(pem).public_key()
        else:
            key = serialization.load_pem_public_key(pem)
        for name, value in request["items"].items():
            out[name] = base64.b64encode(aes_gcm_rsa_oaep.encrypt(base64.b64decode(value), key, label)).decode()
    else:
        key = serialization.load_pem_private_key(pem, password=None)
        for name, value in request["items"].items():
            out[name] = base64.b64encode(aes_gcm_rsa_oaep.decrypt(base64.b64decode(value), key, label)).decode()
    json.dump({"items": out}, sys.stdout)


if __name__ == "__main__":
    main()
