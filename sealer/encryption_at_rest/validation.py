"""The API server's rules for an EncryptionConfiguration, and the advice its documentation gives.

:func:`validate` mirrors ``ValidateEncryptionConfiguration``
(k8s.io/apiserver/pkg/apis/apiserver/validation/validation_encryption.go) plus
the checks ``encryptionconfig.LoadEncryptionConfig`` makes while building
transformers (a resource masked by an earlier wildcard rule; KMS v1 needs a
feature gate since 1.29). A configuration that fails here would stop
kube-apiserver from starting, so we refuse to write one.

:func:`advise` returns warnings, not errors: providers the Kubernetes
documentation discourages, and configurations that encrypt nothing.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass

from sealer.encryption_at_rest.config import EncryptionConfiguration, Key, KMSConfiguration, parse_duration
from sealer.errors import InputError

AES_KEY_SIZES = (16, 24, 32)
SECRETBOX_KEY_SIZES = (32,)
_NON_REST = ("apiserveripinfo", "serviceipallocations", "servicenodeportallocations")


@dataclass(frozen=True)
class FieldError:
    """One violation, with the field path and wording the API server uses."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def parse_group_resource(text: str) -> tuple[str, str]:
    """``schema.ParseGroupResource``: ``resource.group`` → ``(group, resource)``; split at the first dot."""
    resource, _, group = text.partition(".")
    return group, resource


def _gr_text(group: str, resource: str) -> str:
    if group == "" and resource == "*":
        return "*."
    return f"{resource}.{group}" if group else resource


def validate(
    config: EncryptionConfiguration, *, reload: bool = False, kms_v1_enabled: bool = False
) -> list[FieldError]:
    """Every reason the API server would reject ``config``; empty when it would load.

    ``reload`` is ``--encryption-provider-config-automatic-reload`` (it makes
    KMS v1 names unique too); ``kms_v1_enabled`` is ``--feature-gates=KMSv1=true``.
    """
    errors: list[FieldError] = []
    if not config.resources:
        return [FieldError("resources", "Required value: at least one resources is required")]
    kms_names: set[str] = set()
    for i, entry in enumerate(config.resources):
        r_path, p_path = f"resources[{i}].resources", f"resources[{i}].providers"
        if not entry.resources:
            errors.append(FieldError(r_path, f"Required value: at least one {r_path} is required"))
        errors += _overlap(entry.resources, r_path)
        errors += _names(entry.resources, r_path)
        if not entry.providers:
            errors.append(FieldError(p_path, f"Required value: at least one {p_path} is required"))
        for j, provider in enumerate(entry.providers):
            path = f"{p_path}[{j}]"
            if not provider.present:
                errors.append(FieldError(path, "Invalid value: provider does not contain any of the expected "
                                               "providers: KMS, AESGCM, AESCBC, Secretbox, Identity"))
                continue
            if len(provider.present) > 1:
                errors.append(FieldError(path, "Invalid value: more than one provider specified in a single "
                                               "element, should split into different list elements"))
                continue
            if provider.kind == "kms" and provider.kms is not None:
                errors += _kms(provider.kms, f"{path}.kms", kms_names, reload, kms_v1_enabled)
                kms_names.add(provider.kms.name)
            elif provider.kind in ("aesgcm", "aescbc"):
                errors += _keys(provider.keys, f"{path}.{provider.kind}.keys", AES_KEY_SIZES)
            elif provider.kind == "secretbox":
                errors += _keys(provider.keys, f"{path}.secretbox.keys", SECRETBOX_KEY_SIZES)
    errors += _masked(config)
    return errors


def _overlap(resources: list[str], path: str) -> list[FieldError]:
    if len(resources) < 2:
        return []
    parsed = [parse_group_resource(r) for r in resources]
    duplicate = overlap = False
    for i, (g1, r1) in enumerate(parsed):
        for j, (g2, r2) in enumerate(parsed):
            if i == j:
                continue
            if (g1, r1) == (g2, r2) and not duplicate:
                duplicate = True
                continue
            if overlap:
                continue
            if (g1, r1) == ("*", "*"):
                overlap = True
                continue
            if g1 != g2:
                continue
            if r1 == "*" or r2 == "*":
                overlap = True
    errors = []
    if duplicate:
        errors.append(FieldError(path, "Invalid value: the same resource cannot be specified multiple times"))
    if overlap:
        errors.append(FieldError(path, "Invalid value: using overlapping resources such as 'secrets' and '*.' in "
                                       "the same resource list is not allowed as they will be masked"))
    return errors


def _names(resources: list[str], path: str) -> list[FieldError]:
    errors = []
    for j, res in enumerate(resources):
        item = f"{path}[{j}]"
        group, resource = parse_group_resource(res)
        if res.lower() != res:
            errors.append(FieldError(item, "Invalid value: resource name should not contain capital letters"))
        elif res == "*":
            errors.append(FieldError(item, "Invalid value: use '*.' to encrypt all the resources from core API "
                                           "group or *.* to encrypt all resources"))
        elif res in _NON_REST:
            errors.append(FieldError(item, "Invalid value: resources which do not have REST API/s cannot be encrypted"))
        elif group == "events.k8s.io":
            errors.append(FieldError(item, "Invalid value: '*.events.k8s.io' objects are stored using the 'events' "
                                           "API group in etcd. Use 'events' instead in the config file"))
        elif group == "extensions":
            errors.append(FieldError(item, "Invalid value: 'extensions' group has been removed and cannot be used "
                                           "for encryption"))
        elif group == "*" and resource != "*":
            errors.append(FieldError(item, "Invalid value: encrypting the same resource across groups is not "
                                           "supported"))
    return errors


def _keys(keys: list[Key], path: str, sizes: tuple[int, ...]) -> list[FieldError]:
    if not keys:
        return [FieldError(path, "Required value: at least one keys is required")]
    errors = []
    for k, key in enumerate(keys):
        item = f"{path}[{k}]"
        if not key.name:
            errors.append(FieldError(f"{item}.name", "Required value: name is a mandatory field for a key"))
        if not key.secret:
            errors.append(FieldError(f"{item}.secret", "Required value: secret is a mandatory field for a key"))
            continue
        try:
            material = key.material()
        except InputError:
            errors.append(FieldError(f"{item}.secret", 'Invalid value: "REDACTED": secrets must be base64 encoded'))
            continue
        if len(material) not in sizes:
            errors.append(FieldError(f"{item}.secret", f'Invalid value: "REDACTED": secret is not of the expected '
                                                       f"length, got {len(material)}, expected one of {list(sizes)}"))
    names = [k.name for k in keys if k.name]
    if len(names) != len(set(names)):
        # Not an API server rule (it would silently use the first), but a key name is the only thing
        # that tells a stored value which key made it: a duplicate makes the second key unreachable.
        errors.append(FieldError(path, "Invalid value: key names must be unique within a provider"))
    return errors


def _kms(kms: KMSConfiguration, path: str, names: set[str], reload: bool, v1_enabled: bool) -> list[FieldError]:
    errors = []
    version = kms.effective_api_version
    if not kms.name:
        errors.append(FieldError(f"{path}.name", "Required value: name is a mandatory field for a provider"))
    if version != "v1" and ":" in kms.name:
        errors.append(FieldError(f"{path}.name", f"Invalid value: invalid KMS provider name {kms.name}, must not "
                                                 "contain ':'"))
    if (reload or version != "v1") and kms.name in names:
        errors.append(FieldError(f"{path}.name", f"Invalid value: duplicate KMS provider name {kms.name}, names "
                                                 "must be unique"))
    timeout = parse_duration(kms.timeout) if kms.timeout is not None else 3.0
    if timeout <= 0:
        errors.append(FieldError(f"{path}.timeout", "Invalid value: timeout should be a positive value"))
    if not kms.endpoint:
        errors.append(FieldError(f"{path}.endpoint", "Invalid value: endpoint is a mandatory field for a kms"))
    else:
        scheme = urllib.parse.urlsplit(kms.endpoint).scheme
        if scheme != "unix":
            errors.append(FieldError(f"{path}.endpoint", f'Invalid value: unsupported scheme "{scheme}" for KMS '
                                                         "provider, only unix is supported"))
    if version != "v1" and kms.cachesize is not None:
        errors.append(FieldError(f"{path}.cachesize", "Invalid value: cachesize is not supported in v2"))
    if version == "v1" and kms.cachesize == 0:
        errors.append(FieldError(f"{path}.cachesize", "Invalid value: cachesize should be a positive value, or "
                                                      "negative to disable"))
    if version not in ("v1", "v2"):
        errors.append(FieldError(f"{path}.apiVersion", "Invalid value: unsupported apiVersion apiVersion for KMS "
                                                       "provider, only v1 and v2 are supported"))
    elif version == "v1" and not v1_enabled:
        errors.append(FieldError(path, "KMSv1 is deprecated and will only receive security updates going forward. "
                                       "Use KMSv2 instead.  Set --feature-gates=KMSv1=true to use the deprecated "
                                       "KMSv1 feature."))
    return errors


def _masked(config: EncryptionConfiguration) -> list[FieldError]:
    seen: set[tuple[str, str]] = set()
    errors = []
    for i, entry in enumerate(config.resources):
        for res in entry.resources:
            group, resource = parse_group_resource(res)
            for rule in ((group, "*"), ("*", "*")):
                if rule in seen:
                    errors.append(FieldError(f"resources[{i}].resources", f'resource "{_gr_text(group, resource)}" '
                                             f'is masked by earlier rule "{_gr_text(*rule)}"'))
                    break
        for res in entry.resources:
            seen.add(parse_group_resource(res))
    return errors


# -- advice ------------------------------------------------------------------------------

DISCOURAGED = {
    "aescbc": "aescbc is not recommended by the Kubernetes documentation: AES-CBC has no MAC and is vulnerable to "
              "padding oracle attacks; prefer secretbox or kms v2",
    "aesgcm": "aesgcm uses random 96-bit nonces and must be rotated every 200,000 writes (Kubernetes docs); use it "
              "only with automated key rotation, or prefer secretbox or kms v2",
    "kms-v1": "kms v1 is deprecated since Kubernetes 1.28 and disabled by default since 1.29; use kms apiVersion v2",
}


def advise(config: EncryptionConfiguration) -> list[str]:
    """Warnings a careful operator wants to see; never fatal."""
    warnings: list[str] = []
    for i, entry in enumerate(config.resources):
        if not entry.providers:
            continue
        first = entry.providers[0]
        names = ", ".join(entry.resources)
        if first.kind == "identity":
            warnings.append(f"resources[{i}] ({names}): identity is the first provider, so new writes are NOT "
                            "encrypted")
        for provider in entry.providers:
            if provider.kind in ("aescbc", "aesgcm") and provider is first:
                warnings.append(f"resources[{i}] ({names}): {DISCOURAGED[provider.kind]}")
            if provider.kind == "kms" and provider.kms is not None and provider.kms.effective_api_version == "v1":
                warnings.append(f"resources[{i}] ({names}): {DISCOURAGED['kms-v1']}")
    if config.entry_for("secrets") is None:
        warnings.append("no entry covers secrets: Secrets will be stored unencrypted")
    return warnings
