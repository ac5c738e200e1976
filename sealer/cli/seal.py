"""``sealer seal``: kubeseal's command line, flag for flag.

The flags are kubeseal's (``cmd/kubeseal/main.go``), so muscle memory and
scripts carry over, including ``SEALED_SECRETS_<FLAG>`` environment variables
for any flag not given on the command line, ``-w FILE.yaml`` switching the
output to YAML, and ``--re-encrypt -f FILE`` rewriting FILE in place.

``sealer seal`` is the hot path (run once per Secret in CI and hooks), so it
is parsed here from one option table, without click: importing click costs
about as much as the sealing itself. :data:`OPTIONS` is the only definition of
the flags; the help text and the parser are both made from it. The click
command ``seal`` (for ``sealer --help`` listings) only forwards its arguments.

Every failure is a :class:`~sealer.errors.SealerError`, mapped to a message
and an exit status by :func:`sealer.cli.main.run`; output files are written
atomically, only once everything succeeded.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from typing import IO, TYPE_CHECKING, Any, NamedTuple

from sealer.errors import CertificateError, DecryptionError, InputError, UsageError

if TYPE_CHECKING:
    from sealer.kube.client import ConnectionOverrides
    from sealer.kube.controller_proxy import ControllerTarget

ENV_PREFIX = "SEALED_SECRETS"


class Option(NamedTuple):
    """One kubeseal flag (no dataclass: importing dataclasses costs ~6 ms on this hot path)."""

    long: str
    help: str
    short: str | None = None
    kind: str = "str"  # "str" | "bool" | "list" (pflag StringSlice: repeatable, comma-split) | "array" (StringArray)
    default: Any = None
    metavar: str = ""
    alias_of: str | None = None  # deprecated spelling of another option

    @property
    def dest(self) -> str:
        return (self.alias_of or self.long).replace("-", "_")

    @property
    def env(self) -> str:
        return f"{ENV_PREFIX}_{self.long.upper().replace('-', '_')}"


OPTIONS: tuple[Option, ...] = (
    Option("cert", "Certificate file or http(s) URL to seal with (a bare RSA public key PEM works too). "
           "Overrides --controller-*", metavar="FILE|URL"),
    Option("controller-namespace", "Namespace of the sealed-secrets controller", default="kube-system", metavar="NS"),
    Option("controller-name", "Name of the sealed-secrets controller service", default="sealed-secrets-controller",
           metavar="NAME"),
    Option("controller-url", "Reach the controller directly at this URL (e.g. a port-forward), not via the API server",
           metavar="URL"),
    Option("format", "Output format: json or yaml", short="o", default="json", metavar="json|yaml"),
    Option("sealed-secret-file", "Output file (written atomically; .yaml/.yml means -o yaml)", short="w",
           metavar="FILE"),
    Option("secret-file", "Input file (default: stdin)", short="f", metavar="FILE"),
    Option("fetch-cert", "Write the controller's certificate to stdout (for later --cert)", kind="bool"),
    Option("allow-empty-data", "Allow a Secret without data", kind="bool"),
    Option("validate", "Ask the controller whether it can decrypt the SealedSecret", kind="bool"),
    Option("merge-into", "Seal the Secret's items into this existing SealedSecret file, in place", metavar="FILE"),
    Option("raw", "Seal one raw value (from --from-file or stdin) instead of a Secret", kind="bool"),
    Option("name", "Name of the SealedSecret (needed with --raw and strict scope)", metavar="NAME"),
    Option("from-file", "(only with --raw) read the value from this file ([key=]path, as kubectl)", kind="list",
           metavar="[KEY=]PATH"),
    Option("scope", "strict, namespace-wide or cluster-wide (default: from the Secret's annotations, else strict)",
           metavar="SCOPE"),
    Option("re-encrypt", "Have the controller re-encrypt the SealedSecret with its newest key; with "
           "--recovery-private-key, offline: re-seal every value for --cert", kind="bool"),
    Option("rotate", "Deprecated: use --re-encrypt", kind="bool", alias_of="re-encrypt"),
    Option("recovery-unseal", "Decrypt SealedSecrets offline with --recovery-private-key (disaster recovery)",
           kind="bool"),
    Option("recovery-private-key", "Private key file for --recovery-unseal or offline --re-encrypt: PEM, or key "
           "Secrets as 'kubectl get secret -o yaml' gives them (repeatable, or comma-separated)", kind="list",
           metavar="FILE"),
    Option("kubeconfig", "Path to a kubeconfig (default: $KUBECONFIG, ~/.kube/config)", metavar="FILE"),
    Option("context", "kubeconfig context to use", metavar="NAME"),
    # kubectl's connection flags, as kubeseal takes them from client-go's clientcmd overrides.
    Option("cluster", "kubeconfig cluster to use", metavar="NAME"),
    Option("user", "kubeconfig user to use", metavar="NAME"),
    Option("server", "Address and port of the Kubernetes API server", metavar="URL"),
    Option("certificate-authority", "Path to a cert file for the certificate authority", metavar="FILE"),
    Option("insecure-skip-tls-verify", "Do not check the API server's certificate (insecure)", kind="bool"),
    Option("tls-server-name", "Server name to validate the API server's certificate against", metavar="NAME"),
    Option("proxy-url", "Reach the API server through this proxy", metavar="URL"),
    Option("token", "Bearer token for authentication to the API server", metavar="TOKEN"),
    Option("client-certificate", "Path to a client certificate file for TLS", metavar="FILE"),
    Option("client-key", "Path to a client key file for TLS", metavar="FILE"),
    Option("username", "Username for basic authentication to the API server", metavar="NAME"),
    Option("password", "Password for basic authentication to the API server", metavar="PASSWORD"),
    Option("as", "Username to impersonate for the operation", metavar="USER"),
    Option("as-group", "Group to impersonate for the operation", kind="array", metavar="GROUP"),
    Option("as-uid", "UID to impersonate for the operation", metavar="UID"),
    Option("namespace", "Namespace of the Secret (default: the kubeconfig context's)", short="n", metavar="NS"),
    Option("request-timeout", "Timeout for each request to the API server or controller (e.g. 10s, 1m; 0 = none)",
           default="30s", metavar="DURATION"),
    Option("version", "Print the version and exit", kind="bool"),
    Option("help", "Show this help", short="h", kind="bool"),
)
_BY_LONG = {o.long: o for o in OPTIONS}
_BY_SHORT = {o.short: o for o in OPTIONS if o.short}
_TRUE, _FALSE = {"1", "t", "T", "true", "TRUE", "True"}, {"0", "f", "F", "false", "FALSE", "False"}


class SealOptions:
    """Parsed flags by destination name (``opts.controller_name``); ``given`` holds those set, not defaulted."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.given: set[str] = set()

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["values"][name]
        except KeyError:
            raise AttributeError(name) from None


def _set(opts: SealOptions, option: Option, raw: str | None, where: str) -> None:
    dest = option.dest
    if option.kind == "bool":
        if raw is None or raw in _TRUE:
            opts.values[dest] = True
        elif raw in _FALSE:
            opts.values[dest] = False
        else:
            raise UsageError(f"{where}: {raw!r} is not a boolean", hint="use true or false")
    elif option.kind == "list":
        assert raw is not None
        opts.values.setdefault(dest, [])
        opts.values[dest].extend(part for part in raw.split(",") if part)
    elif option.kind == "array":
        assert raw is not None
        opts.values.setdefault(dest, []).append(raw)
    else:
        assert raw is not None
        opts.values[dest] = raw
    opts.given.add(dest)


def parse_args(args: Sequence[str], environ: Any = None) -> SealOptions:
    """Parse kubeseal-style flags (``--flag value``, ``--flag=value``, ``-oyaml``), then the environment."""
    opts = SealOptions()
    items = list(args)
    index = 0
    while index < len(items):
        arg = items[index]
        index += 1
        if arg == "--":
            if index < len(items):
                raise UsageError(f"unexpected argument {items[index]!r}", hint="sealer seal takes flags only")
            break
        if arg.startswith("--"):
            name, eq, inline = arg[2:].partition("=")
            option = _BY_LONG.get(name)
            flag = f"--{name}"
        elif arg.startswith("-") and len(arg) > 1:
            option = _BY_SHORT.get(arg[1])
            flag, rest = f"-{arg[1]}", arg[2:]
            eq, inline = ("=", rest[1:]) if rest.startswith("=") else ("=" if rest else "", rest)
        else:
            raise UsageError(f"unexpected argument {arg!r}", hint="sealer seal reads the Secret from stdin or -f FILE")
        if option is None:
            raise UsageError(f"unknown flag {arg.split('=', 1)[0]}", hint="see 'sealer seal --help'")
        if option.kind == "bool":
            _set(opts, option, inline if eq else None, flag)
            continue
        if not eq:
            if index >= len(items):
                raise UsageError(f"flag {flag} needs a value", hint=f"e.g. {flag} {option.metavar or 'VALUE'}")
            inline = items[index]
            index += 1
        _set(opts, option, inline, flag)
    env = os.environ if environ is None else environ
    for option in OPTIONS:
        if option.alias_of or option.dest in opts.given or option.long in ("help", "version"):
            continue
        if option.env in env:
            _set(opts, option, env[option.env], option.env)
    for option in OPTIONS:
        if option.alias_of is None:
            opts.values.setdefault(option.dest, [] if option.kind in ("list", "array") else option.default)
    return opts


def help_text() -> str:
    lines = [
        "Usage: sealer seal [flags] < secret.yaml > sealedsecret.json",
        "",
        "Seal a Kubernetes Secret into a SealedSecret (kubeseal-compatible flags and output).",
        f"Every flag can also be set as {ENV_PREFIX}_<FLAG> in the environment (e.g. {ENV_PREFIX}_CERT).",
        "",
        "Flags:",
    ]
    for option in OPTIONS:
        if option.alias_of:
            continue
        names = (f"-{option.short}, " if option.short else "    ") + f"--{option.long}"
        if option.metavar:
            names += f" {option.metavar}"
        default = f" (default {option.default})" if option.default else ""
        lines.append(f"  {names:<40} {option.help}{default}")
    return "\n".join(lines) + "\n"


# --- actions -------------------------------------------------------------------------------------


def _read_file(path: str, what: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise InputError(f"cannot read {what} {path!r}: {exc.strerror or exc}", hint="check the path") from None



def _timeout(text: str) -> float | None:
    """kubectl's --request-timeout, parsed as client-go's ``clientcmd.ParseTimeout``: a whole number of
    seconds, or a Go duration (``1m30s``, ``1.5h``, ``250ms``); 0 means none.

    Checked up front, even when no request will be made: a typo in a CI variable should fail the
    run that has it, not the first one that happens to reach a controller.
    """
    from sealer.go_duration import MAX_NS, GoDurationError, parse_ns

    problem = UsageError(
        f"--request-timeout {text!r} is not a duration",
        hint="a whole number of seconds or a duration such as 30s, 1m or 2m30s",
    )
    whole = text.lstrip("0") or "0"  # strconv.ParseInt: leading zeros are fine; past int64 it fails
    if text.isascii() and text.isdigit() and len(whole) <= len(str(MAX_NS)) and int(whole) <= MAX_NS:
        seconds = float(int(whole))
    else:
        try:
            nanoseconds = parse_ns(text)
        except GoDurationError:
            raise problem from None
        if nanoseconds < 0:
            raise problem
        seconds = nanoseconds / 1e9
    return seconds or None


def _target(opts: SealOptions) -> ControllerTarget:
    from sealer.kube.controller_proxy import ControllerTarget

    return ControllerTarget(
        url=opts.controller_url or None,
        name=opts.controller_name,
        namespace=opts.controller_namespace,
        kubeconfig=opts.kubeconfig or None,
        context=opts.context or None,
        connection=_connection(opts),
        timeout=_timeout(opts.request_timeout),
    )


def _connection(opts: SealOptions) -> ConnectionOverrides:
    from sealer.kube.client import ConnectionOverrides

    return ConnectionOverrides(
        server=opts.server or None,
        certificate_authority=opts.certificate_authority or None,
        insecure_skip_tls_verify=bool(opts.insecure_skip_tls_verify),
        tls_server_name=opts.tls_server_name or None,
        proxy_url=opts.proxy_url or None,
        token=opts.token or None,
        client_certificate=opts.client_certificate or None,
        client_key=opts.client_key or None,
        username=opts.username or None,
        password=opts.password or None,
        impersonate=opts.values["as"] or None,
        impersonate_groups=tuple(opts.as_group),
        impersonate_uid=opts.as_uid or None,
        cluster=opts.cluster or None,
        user=opts.user or None,
    )


def _certificate_bytes(opts: SealOptions) -> bytes:
    cert = opts.cert
    if cert:
        if cert.startswith(("http://", "https://")):
            from sealer.kube.controller_proxy import fetch_url

            return fetch_url(cert, timeout=_timeout(opts.request_timeout))
        if cert.startswith("file://"):
            cert = cert[len("file://") :]
        try:
            with open(cert, "rb") as handle:
                return handle.read()
        except OSError as exc:
            raise CertificateError(
                f"cannot read certificate {cert!r}: {exc.strerror or exc}",
                hint="fetch it with 'sealer seal --fetch-cert > cert.pem'",
            ) from None
    from sealer.api import sealedsecrets as api

    return api.fetch_certificate(target=_target(opts))


def _scope(opts: SealOptions) -> Any:
    if not opts.scope:
        return None
    from sealer.formats.sealedsecret.scope import Scope

    return Scope.parse(opts.scope)


def _namespace_lookup(opts: SealOptions) -> Callable[[], str | None]:
    def lookup() -> str | None:
        from sealer.kube.controller_proxy import context_namespace

        found = context_namespace(kubeconfig=opts.kubeconfig or None, context=opts.context or None)
        if found is None and opts.server:
            return "default"  # client-go: no kubeconfig, but --server makes the configuration usable
        return found

    return lookup


class _Run:
    """One invocation: streams, options, and where the output goes."""

    def __init__(self, opts: SealOptions, stdin: IO[bytes], stdout: IO[bytes], stderr: IO[str]) -> None:
        self.opts, self.stdin, self.stdout, self.stderr = opts, stdin, stdout, stderr
        self.source = opts.secret_file or "stdin"

    def warn(self, message: str) -> None:
        self.stderr.write(f"warning: {message}\n")
        self.stderr.flush()

    def read_input(self, expecting: str) -> bytes:
        if self.opts.secret_file:
            return _read_file(self.opts.secret_file, "input file")
        if self.stdin.isatty():
            self.stderr.write(f"(tty detected: expecting {expecting} in stdin)\n")
        return self.stdin.read()

    def write(self, data: bytes, *, private: bool = False, path: str | None = None) -> None:
        """To ``path`` (default ``-w FILE``) atomically, else stdout; ``private`` files get mode 0600."""
        path = path or self.opts.sealed_secret_file
        if path:
            from sealer.atomic_write import atomic_write  # raises OutputError naming the path

            atomic_write(path, data, mode=0o600 if private else None)
        else:
            self.stdout.write(data)
            self.stdout.flush()

    def certificate(self) -> Any:
        from sealer.api import sealedsecrets as api

        pem = _certificate_bytes(self.opts)
        cert = api.load_certificate(pem, source=self.opts.cert or "the controller's certificate")
        if api.is_bare_public_key(cert):
            self.warn(
                f"{self.opts.cert or 'the certificate'} is a bare public key, not a certificate: sealing with it "
                "(kubeseal would refuse it, and its expiry cannot be checked; prefer --fetch-cert's certificate)"
            )
        elif cert.expired():
            self.warn(
                f"the certificate expired on {cert.not_after:%Y-%m-%d}; sealing anyway "
                "(the controller may have a newer key: fetch it with --fetch-cert)"
            )
        return cert

    def main(self) -> int:
        opts = self.opts
        if opts.format not in ("json", "yaml"):
            raise UsageError(f"unsupported output format {opts.format!r}", hint="use -o json or -o yaml")
        _timeout(opts.request_timeout)  # reject a bad value even when no request is made
        if opts.from_file and not opts.raw:
            raise UsageError("--from-file requires --raw", hint="add --raw to seal a single value")
        if opts.re_encrypt and not opts.sealed_secret_file and opts.secret_file:
            opts.values["sealed_secret_file"] = opts.secret_file  # in place, as kubeseal (#405)
        if opts.sealed_secret_file and os.path.splitext(opts.sealed_secret_file)[1] in (".yaml", ".yml"):
            opts.values["format"] = "yaml"
        from sealer.api import sealedsecrets as api

        if opts.recovery_unseal:
            return self.recovery_unseal()
        if opts.re_encrypt and opts.recovery_private_key:
            return self.offline_re_encrypt()
        if opts.recovery_private_key:
            self.warn("ignoring --recovery-private-key because neither --recovery-unseal nor --re-encrypt was given")
        if opts.validate:
            api.validate(self.read_input("a SealedSecret"), target=_target(opts), source=self.source)
            return 0
        if opts.re_encrypt:
            data = self.read_input("a SealedSecret")
            self.write(api.rotate(data, target=_target(opts), output_format=opts.format, source=self.source))
            return 0
        if opts.fetch_cert:
            self.write(_certificate_bytes(opts))
            return 0
        cert = self.certificate()
        if opts.merge_into:
            return self.merge(cert)
        if opts.raw:
            return self.raw(cert)
        data = self.read_input("json/yaml k8s resource")
        self.write(
            api.seal(
                data,
                certificate=cert,
                output_format=opts.format,
                scope=_scope(opts),
                name=opts.name or None,
                default_namespace=opts.namespace or _namespace_lookup(opts),
                namespace_must_match=bool(opts.namespace),
                allow_empty_data=opts.allow_empty_data,
                source=self.source,
            )
        )
        return 0

    def recovery_unseal(self) -> int:
        from sealer.api import sealedsecrets as api

        if not self.opts.recovery_private_key:
            raise UsageError("--recovery-unseal needs --recovery-private-key FILE", hint="pass the backed-up key(s)")
        keys = self.recovery_keys()
        data = self.read_input("a SealedSecret")
        self.write(api.unseal(data, private_keys=keys, output_format=self.opts.format, source=self.source),
                   private=True)
        return 0

    def recovery_keys(self) -> list[Any]:
        from sealer.api import sealedsecrets as api

        keys = []
        for path in self.opts.recovery_private_key:
            keys.extend(api.load_private_keys(_read_file(path, "private key file"), source=path))
        return keys

    def offline_re_encrypt(self) -> int:
        """``--re-encrypt --recovery-private-key KEY``: open every value with KEY, seal it for ``--cert``
        (or the controller's certificate), no controller involved (kubeseal has no such mode: #1453).

        Rewriting a file in place (``-f FILE`` alone) or stdout keeps the input's own format and
        comments; an explicit ``-o`` or ``-w OTHER`` writes that format.
        """
        from sealer.api import sealedsecrets as api

        opts = self.opts
        keys = self.recovery_keys()
        data = self.read_input("a SealedSecret")
        cert = self.certificate()
        explicit_out = "format" in opts.given or "sealed_secret_file" in opts.given
        try:
            resealed = api.reencrypt(
                data,
                private_keys=keys,
                certificate=cert,
                output_format=opts.format if explicit_out else None,
                source=self.source,
            )
        except DecryptionError as exc:
            raise type(exc)(
                f"cannot re-encrypt offline: {exc.message}",
                hint="pass the private key(s) it was sealed with as --recovery-private-key (repeatable); "
                "nothing was written",
            ) from None
        self.write(resealed)
        return 0

    def merge(self, cert: Any) -> int:
        from sealer.api import sealedsecrets as api

        path = self.opts.merge_into
        existing = _read_file(path, "SealedSecret file")
        data = self.read_input("json/yaml k8s resource")
        merged = api.merge_into(
            existing,
            data,
            certificate=cert,
            scope=_scope(self.opts),
            allow_empty_data=self.opts.allow_empty_data,
            source=self.source,
            target=path,
        )
        self.write(merged, path=path)
        return 0

    def raw(self, cert: Any) -> int:
        from sealer.api import sealedsecrets as api
        from sealer.formats.sealedsecret.scope import Scope

        opts = self.opts
        scope = _scope(opts) or Scope.STRICT
        namespace = ""
        if scope is not Scope.CLUSTER_WIDE:
            namespace = opts.namespace or _namespace_lookup(opts)() or ""
            if not namespace:
                raise InputError(
                    f"--raw with --scope {scope.value} needs a namespace",
                    hint="pass --namespace, or use --scope cluster-wide",
                )
            if scope is Scope.STRICT and not opts.name:
                raise InputError("--raw with --scope strict needs --name", hint="pass --name, or a wider --scope")
        if len(opts.from_file) > 1:
            raise UsageError("--raw takes only one --from-file", hint="seal one value at a time")
        if opts.from_file:
            key, eq, path = opts.from_file[0].partition("=")  # kubectl's [key=]path
            path = path if eq else key
            value = _read_file(path, "--from-file")
        else:
            if self.stdin.isatty():
                self.stderr.write("(tty detected: expecting a secret to encrypt in stdin)\n")
            value = self.stdin.read()
        self.write(api.seal_raw(value, certificate=cert, scope=scope, namespace=namespace, name=opts.name or ""))
        return 0


def run_seal(
    args: Sequence[str],
    *,
    stdin: IO[bytes] | None = None,
    stdout: IO[bytes] | None = None,
    stderr: IO[str] | None = None,
    environ: Any = None,
) -> int:
    """Run ``sealer seal ARGS``; SealerErrors propagate to :func:`sealer.cli.main.run`."""
    opts = parse_args(args, environ)
    out = stdout if stdout is not None else sys.stdout.buffer
    if opts.help or opts.version:
        if opts.help:
            out.write(help_text().encode())
        else:
            from sealer import __version__

            out.write(f"sealer version: {__version__}\n".encode())
        out.flush()
        return 0
    if stdin is None:
        import io

        stdin = sys.stdin.buffer if sys.stdin is not None else io.BytesIO()  # no fd 0 at all: empty input
    runner = _Run(
        opts,
        stdin,
        out,
        stderr if stderr is not None else sys.stderr,
    )
    return runner.main()


def __getattr__(name: str) -> Any:
    """``seal``: the click command the lazy group lists; built on first use so the fast path never imports click."""
    if name != "seal":
        raise AttributeError(name)
    import click

    @click.command(
        "seal",
        context_settings={"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": []},
        add_help_option=False,
    )
    @click.argument("args", nargs=-1, type=click.UNPROCESSED)
    def seal(args: tuple[str, ...]) -> None:
        """Seal a Secret into a SealedSecret (kubeseal-compatible flags; see 'sealer seal --help')."""
        code = run_seal(args)
        if code:
            raise click.exceptions.Exit(code)

    globals()["seal"] = seal
    return seal
