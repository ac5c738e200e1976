from __future__ import annotations

import pytest

from sealer.errors import FormatError
from sealer.formats.sealedsecret.model import SealedSecret
from sealer.formats.sealedsecret.scope import Scope


def doc(**spec: object) -> dict[str, object]:
    return {
        "apiVersion": "bitnami.com/v1alpha1",
        "kind": "SealedSecret",
        "metadata": {
            "name": "db",
            "namespace": "prod",
            "annotations": {"sealedsecrets.bitnami.com/namespace-wide": "true"},
        },
        "spec": {"encryptedData": {"password": "QWc="}, **spec},
    }


def test_reads_fields_and_scope_from_own_annotations() -> None:
    ss = SealedSecret.from_dict(doc(template={"type": "Opaque", "immutable": True, "metadata": {"labels": {"a": "b"}}}))
    assert (ss.name, ss.namespace, ss.scope) == ("db", "prod", Scope.NAMESPACE_WIDE)
    assert ss.label() == b"prod"
    assert ss.template.type == "Opaque" and ss.template.immutable is True and ss.template.labels == {"a": "b"}
    assert ss.ciphertext("password") == b"Ag"


def test_keeps_unknown_fields_for_read_modify_write() -> None:
    original = doc(extra={"x": 1})
    ss = SealedSecret.from_dict(original)
    assert ss.raw["spec"]["extra"] == {"x": 1}
    ss.raw["spec"]["extra"]["x"] = 2
    assert original["spec"]["extra"] == {"x": 1}  # type: ignore[index]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(kind="Secret"), "not a SealedSecret"),
        (lambda d: d["spec"].update(encryptedData={"k": 1}), "encryptedData must be a map of strings"),
        (lambda d: d["spec"].update(template={"immutable": "yes"}), "immutable"),
        (lambda d: d["spec"].update(data=5), "spec.data"),
    ],
)
def test_rejects_malformed(mutate, message: str) -> None:  # type: ignore[no-untyped-def]
    d = doc()
    mutate(d)
    with pytest.raises(FormatError, match=message):
        SealedSecret.from_dict(d)


def test_bad_base64_names_the_key_not_the_value() -> None:
    ss = SealedSecret.from_dict(doc())
    ss.encrypted_data["token"] = "not base64!"
    with pytest.raises(FormatError, match=r"encryptedData\['token'\]") as exc:
        ss.ciphertext("token")
    assert "not base64!" not in str(exc.value)
