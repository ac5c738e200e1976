"""``sealer-controller``: the Bitnami controller's flags, our operator.

    sealer-controller [flags]        run the controller (in a pod, or with --kubeconfig/--server)
    sealer-controller demo           the whole loop on an in-process emulated cluster

Flags are spelled as the Bitnami controller spells them (pflag style:
``--flag=value``; booleans also bare, ``--update-status``, or
``--update-status=false``), and each can come from the environment as
``SEALED_SECRETS_<FLAG>`` (e.g. ``SEALED_SECRETS_KEY_PREFIX``), as Bitnami's
``pflagenv`` allows. The key namespace is ``$POD_NAMESPACE``, else the service
account's namespace, else ``kube-system``.

``main()`` → ``run_cli(argv)`` → exit status: the one place our errors become
messages and exit codes; bugs still surface as tracebacks.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import Sequence

from sealer.errors import ExitCode, InputError, SealerError
from sealer_controller import key_lifecycle
from sealer_controller.settings import ControllerSettings, own_namespace, usable_cpus

ENV_PREFIX = "SEALED_SECRETS_"
_TRUE = {"1", "t", "true", "y", "yes", "on"}
_FALSE = {"0", "f", "false", "n", "no", "off"}


def parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise argparse.ArgumentTypeError(f"{text!r} is not a boolean (use true or false)")


def _pairs(text: str, what: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in filter(None, (i.strip() for i in text.split(","))):
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise InputError(f"{what}: {item!r} is not key=value", hint="use k1=v1,k2=v2")
        out[key.strip()] = value.strip()
    return out


def _env_default(flag: str, default: str | None) -> str | None:
    return os.environ.get(ENV_PREFIX + flag.upper().replace("-", "_"), default)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sealer-controller",
        description="Unseal bitnami.com/v1alpha1 SealedSecrets into Secrets; a drop-in for the Bitnami controller.",
        epilog="Every flag can also be set as SEALED_SECRETS_<FLAG> in the environment. "
        "'sealer-controller demo' runs the whole loop on an emulated cluster.",
    )

    def opt(flag: str, default: str | None, help_: str, *, metavar: str = "string") -> None:
        parser.add_argument(f"--{flag}", default=_env_default(flag, default), help=help_, metavar=metavar)

    def boolean(flag: str, default: bool, help_: str) -> None:
        env = _env_default(flag, None)
        parser.add_argument(
            f"--{flag}", nargs="?", const=True, type=parse_bool, metavar="bool",
            default=parse_bool(env) if env is not None else default, help=f"{help_} (default {str(default).lower()})",
        )

    opt("key-prefix", "sealed-secrets-key", "Prefix used to name keys (default sealed-secrets-key).")
    opt("key-size", "4096", "Size of encryption key in bits (default 4096).", metavar="int")
    opt("key-ttl", "87600h", "Duration that certificate is valid for (Go duration, default 87600h).",
        metavar="duration")
    opt("my-cn", "", "Common name to be used as issuer/subject DN in generated certificate.")
    opt("key-renew-period", "720h", "New key generation period; 0 disables automatic renewal (default 720h).",
        metavar="duration")
    parser.add_argument("--rotate-period", default=None, help=argparse.SUPPRESS)  # deprecated Bitnami alias
    opt("key-cutoff-time", "", "Create a new key if latest one is older than this cutoff time "
        "(RFC1123 with numeric zone, e.g. 'Mon, 02 Jan 2006 15:04:05 -0700').")
    opt("key-order-priority", "CertNotBefore", "Ordering of keys: CertNotBefore (only value supported).")
    boolean("all-namespaces", True, "Scan all namespaces or only the current namespace")
    opt("additional-namespaces", "", "Comma-separated list of additional namespaces to be scanned.")
    opt("namespaces", "", "(sealer) Comma-separated list of the only namespaces to watch (overrides the two above).")
    opt("label-selector", "", "Label selector which can be used to filter sealed secrets.")
    opt("rate-limit", "2", "Number of allowed sustained request per second for verify endpoint (default 2).",
        metavar="int")
    opt("rate-limit-burst", "2", "Number of requests allowed to exceed the rate limit per second for verify "
        "endpoint (default 2).", metavar="int")
    opt("privatekey-annotations", "", "Comma-separated list of additional annotations to be put on renewed "
        "sealing keys.")
    opt("privatekey-labels", "", "Comma-separated list of additional labels to be put on renewed sealing keys.")
    boolean("update-status", True, "Update the status sub-resource whenever a sealed secret is processed")
    boolean("watch-for-secrets", True, "Watch for key Secrets and pick up new or imported ones live")
    boolean("skip-recreate", False, "Do not watch Secrets to recreate deleted ones")
    boolean("accept-deprecated-v1-data", True, "Accept deprecated V1 data field")
    opt("max-unseal-retries", "5", "Max unseal retries after transient failures (default 5).", metavar="int")
    opt("listen-addr", ":8080", "HTTP service bind address (default :8080).")
    opt("listen-metrics-addr", ":8081", "HTTP metrics service bind address (default :8081); empty disables.")
    opt("log-level", "INFO", "Log level (DEBUG|INFO|WARNING|ERROR, default INFO).")
    opt("log-format", "text", "Log format (text|json, default text).")
    boolean("log-info-stdout", True, "Log info to stdout and warnings/errors to stderr")
    opt("kubeconfig", None, "(sealer) Path to a kubeconfig; default: in-cluster service account, then "
        "$KUBECONFIG/~/.kube/config.")
    opt("server", None, "(sealer) Kubernetes API server URL without credentials (e.g. kubectl proxy).")
    opt("rsa-workers", None, "(sealer) Threads doing RSA work (default: the CPUs this process may use, after a "
        "cgroup CPU limit).", metavar="int")
    boolean("success-events", True, "(sealer) Post an Unsealed event when a Secret is written")
    parser.add_argument("--version", action="store_true", help="Print version information and exit")
    return parser


def settings_from_args(args: argparse.Namespace) -> ControllerSettings:
    """Validate the flags into :class:`ControllerSettings`; bad values raise :class:`InputError`."""

    def integer(flag: str, text: str, *, minimum: int = 0) -> int:
        try:
            value = int(text)
        except ValueError:
            raise InputError(f"--{flag}: {text!r} is not a whole number", hint=f"e.g. --{flag}=5") from None
        if value < minimum:
            raise InputError(f"--{flag}: must be at least {minimum}", hint=f"e.g. --{flag}=5")
        return value

    if args.key_order_priority != "CertNotBefore":
        raise InputError(f"--key-order-priority={args.key_order_priority} is not supported",
                         hint="keys are ordered by certificate NotBefore, as the Bitnami default")
    if args.log_format not in ("text", "json"):
        raise InputError(f"--log-format: {args.log_format!r}", hint="use text or json")
    if args.log_level.upper() not in ("DEBUG", "INFO", "WARNING", "WARN", "ERROR"):
        raise InputError(f"--log-level: {args.log_level!r}", hint="use DEBUG, INFO, WARNING or ERROR")
    renew = args.rotate_period or args.key_renew_period
    try:
        rate = float(args.rate_limit)
    except ValueError:
        raise InputError(f"--rate-limit: {args.rate_limit!r} is not a number", hint="e.g. --rate-limit=2") from None
    namespaces = tuple(n.strip() for n in args.namespaces.split(",") if n.strip())
    additional = tuple(n.strip() for n in args.additional_namespaces.split(",") if n.strip())
    key_namespace = own_namespace()
    if namespaces:
        all_namespaces, additional = False, tuple(n for n in namespaces if n != key_namespace)
    else:
        all_namespaces = args.all_namespaces
    return ControllerSettings(
        key_namespace=key_namespace,
        key_prefix=args.key_prefix,
        key_size=integer("key-size", args.key_size, minimum=2048),
        key_ttl=key_lifecycle.parse_go_duration(args.key_ttl, what="--key-ttl"),
        my_cn=args.my_cn,
        key_renew_period=key_lifecycle.parse_go_duration(renew, what="--key-renew-period"),
        key_cutoff_time=key_lifecycle.parse_cutoff_time(args.key_cutoff_time),
        private_key_labels=_pairs(args.privatekey_labels, "--privatekey-labels"),
        private_key_annotations=_pairs(args.privatekey_annotations, "--privatekey-annotations"),
        all_namespaces=all_namespaces,
        additional_namespaces=additional,
        label_selector=args.label_selector,
        update_status=args.update_status,
        skip_recreate=args.skip_recreate,
        watch_for_secrets=args.watch_for_secrets,
        accept_deprecated_v1_data=args.accept_deprecated_v1_data,
        max_unseal_retries=integer("max-unseal-retries", args.max_unseal_retries),
        listen_addr=args.listen_addr,
        listen_metrics_addr=args.listen_metrics_addr,
        rate_limit=rate,
        rate_limit_burst=integer("rate-limit-burst", args.rate_limit_burst, minimum=1),
        log_level="WARNING" if args.log_level.upper() == "WARN" else args.log_level.upper(),
        log_format=args.log_format,
        kubeconfig=args.kubeconfig,
        server=args.server,
        rsa_workers=integer("rsa-workers", args.rsa_workers, minimum=1) if args.rsa_workers else usable_cpus(),
        success_events=args.success_events,
    )


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return json.dumps({"time": self.formatTime(record), "level": record.levelname, "logger": record.name,
                           "msg": record.getMessage()})


class _MaxLevel(logging.Filter):
    def __init__(self, below: int) -> None:
        super().__init__()
        self.below = below

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno < self.below


def configure_logging(settings: ControllerSettings, *, info_to_stdout: bool = True) -> None:
    """Info to stdout and warnings up to stderr (Bitnami's --log-info-stdout); kopf's chatter kept at WARNING."""
    formatter: logging.Formatter = (
        _JsonFormatter() if settings.log_format == "json"
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    err = logging.StreamHandler(sys.stderr)
    err.setFormatter(formatter)
    if info_to_stdout:
        out = logging.StreamHandler(sys.stdout)
        out.setFormatter(formatter)
        out.addFilter(_MaxLevel(logging.WARNING))
        err.setLevel(logging.WARNING)
        root.addHandler(out)
    root.addHandler(err)
    level = getattr(logging, settings.log_level)
    root.setLevel(level)
    for noisy in ("kopf", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING) if level > logging.DEBUG else level)


def run_cli(argv: Sequence[str]) -> int:
    """Parse, run, and map our errors to exit statuses (what tests call)."""
    argv = list(argv)
    if argv[:1] == ["demo"]:
        from sealer_controller import demo

        try:
            return int(demo.main(argv[1:]))
        except SealerError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return int(exc.exit_code)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0) if exc.code in (0, None) else int(ExitCode.USAGE)
    if args.version:
        from importlib.metadata import version

        print(f"controller version: {version('sealer')}")
        return 0
    try:
        settings = settings_from_args(args)
        configure_logging(settings, info_to_stdout=args.log_info_stdout)
        # kopf imports the official kubernetes client (0.3 s, ~20 MB resident) only to recognise its model
        # objects in helpers we never call; this process talks to the API server itself, so keep it out.
        sys.modules.setdefault("kubernetes", None)  # type: ignore[arg-type]
        from sealer_controller import memory, operator  # kopf is imported only to run

        memory.limit_arenas()  # before the RSA and I/O threads exist
        asyncio.run(operator.run(settings))
    except SealerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        return 130
    return 0


def main() -> None:
    sys.exit(run_cli(sys.argv[1:]))


if __name__ == "__main__":
    main()
