"""The controller-facing contract: sealer.formats.sealedsecret.gotemplate.render.

These are the behaviours where the Bitnami controller (map[string]string data,
default missingkey, Sprig's GenericFuncMap minus env/expandenv/getHostByName)
differs from Helm, plus our own guarantees: refused non-deterministic functions,
errors that name the entry and never carry values, bytes that are not UTF-8.
Expected results follow Go's text/template source (exec.go, funcs.go) and
Sprig's; the Helm-comparable behaviour is in test_differential.py.
"""

from __future__ import annotations

import pytest

from sealer.errors import FormatError, InputError
from sealer.formats.gotemplate import Template, compile_template, engine
from sealer.formats.sealedsecret.gotemplate import TemplateError, render

VALUES = {"user": b"admin", "password": b"hunter2-SECRET", "empty": b"", "dash-key": b"d"}


def r(text: str, values: dict[str, bytes] | None = None, entry: str = "config") -> bytes:
    return render(text, VALUES if values is None else values, entry=entry)


def test_renders_bytes_over_the_decrypted_values() -> None:
    assert r("{{ .user }}:{{ .password }}") == b"admin:hunter2-SECRET"
    assert r('{{ index . "dash-key" }}') == b"d"
    assert r("{{ .user | b64enc }}") == b"YWRtaW4="


def test_missing_key_prints_no_value_like_go_default_option() -> None:
    # Bitnami parses with no Option(): missingkey=default prints "<no value>" (Helm blanks it out)
    assert r("[{{ .nope }}]") == b"[<no value>]"
    assert r("[{{ .nope.deeper }}]") == b"[<no value>]"  # Helm: nil pointer error
    # index on map[string]string yields the zero string
    assert r('[{{ index . "nope" }}]') == b"[]"
    assert r('{{ if .nope }}t{{ else }}f{{ end }}|{{ .nope | default "d" }}|{{ print .nope }}') == b"f|d|<nil>"


def test_data_is_map_string_string() -> None:
    # Sprig's dict functions take map[string]interface{}: the controller's map[string]string is refused, as in Go
    with pytest.raises(
        TemplateError, match=r"wrong type for value; expected map\[string\]interface \{\}; got map\[string\]string"
    ):
        r('{{ set . "x" "y" }}')
    with pytest.raises(TemplateError, match="wrong type for value"):
        r('{{ get . "user" }}')
    assert r('{{ printf "%T" . }}') == b"map[string]string"
    assert r("{{ range $k, $v := . }}{{ $k }},{{ end }}") == b"dash-key,empty,password,user,"


def test_values_that_are_not_utf8_round_trip() -> None:
    blob = bytes(range(256))
    assert r("{{ .bin }}", {"bin": blob}) == blob
    assert r("{{ .bin | b64enc | b64dec }}", {"bin": blob}) == blob
    assert r("{{ len .bin }}", {"bin": blob}) == b"256"  # Go counts bytes
    assert r("{{ len .s }}|{{ trunc 2 .s }}", {"s": "héllo".encode()}) == b"6|h\xc3"


@pytest.mark.parametrize(
    ("text", "fn"),
    [
        ("{{ now }}", "now"),
        ('{{ now | date "2006" }}', "now"),
        ("{{ randAlphaNum 16 }}", "randAlphaNum"),
        ("{{ uuidv4 }}", "uuidv4"),
        ('{{ genPrivateKey "rsa" }}', "genPrivateKey"),
        ('{{ bcrypt "x" }}', "bcrypt"),
        ('{{ htpasswd "u" "p" }}', "htpasswd"),
        ('{{ encryptAES "k" "v" }}', "encryptAES"),
        ("{{ .user | shuffle }}", "shuffle"),
    ],
)
def test_non_deterministic_functions_are_refused_with_the_reason(text: str, fn: str) -> None:
    with pytest.raises(TemplateError) as info:
        r(text, entry="token")
    msg = str(info.value)
    assert f'function "{fn}" is refused' in msg
    assert "'token'" in msg
    assert "every resync" in msg


def test_refusal_happens_only_when_called() -> None:
    # like Go, an unexecuted branch costs nothing: Bitnami would render this too
    assert r("{{ if false }}{{ now }}{{ end }}ok") == b"ok"


@pytest.mark.parametrize("fn", ["env", "expandenv", "getHostByName"])
def test_functions_removed_by_the_controller_are_parse_errors(fn: str) -> None:
    with pytest.raises(TemplateError, match=f'function "{fn}" not defined') as info:
        r("{{ " + fn + ' "HOME" }}')
    assert info.value.hint is not None and "environment" in info.value.hint


@pytest.mark.parametrize("fn", ["toYaml", "include", "tpl", "required", "lookup"])
def test_helm_only_functions_are_not_defined(fn: str) -> None:
    with pytest.raises(TemplateError, match=f'function "{fn}" not defined'):
        r("{{ " + fn + " . }}")


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("{{ .user | nosuch }}", r"template: config:1: function \"nosuch\" not defined"),
        ("{{ if .user }}", r"template: config:1: unexpected EOF"),
        ("a\nb\n{{ upper 3 }}", r"template: config:3:9: executing \"config\" at <3>: expected string; found 3"),
        ("{{ .password | upper | fail }}", r"error calling fail: \(message computed from the data"),
        ('{{ fail "set the password" }}', r"error calling fail: set the password"),
        ("{{ .password.x }}", r"can't evaluate field x in type string"),
        ("{{ range .password }}{{ end }}", r"range can't iterate over a value of type string"),
        ("{{ index .password 99 }}", r"error calling index: index out of range: 99"),
        ("{{ atoi .password | repeat 2 }}", r"expected string; got int"),
        ('{{ template "missing" }}', r'template "missing" not defined'),
    ],
)
def test_errors_name_the_entry_and_position_but_never_values(text: str, pattern: str) -> None:
    with pytest.raises(TemplateError, match=pattern) as info:
        r(text)
    msg = str(info.value)
    assert msg.startswith("template.data entry 'config': ")
    assert "hunter2" not in msg and "SECRET" not in msg
    assert isinstance(info.value, FormatError) and isinstance(info.value, InputError)


def test_runaway_templates_are_stopped() -> None:
    with pytest.raises(TemplateError, match="runs too long"):
        r("{{ range until 1000000 }}{{ range until 1000000 }}{{ end }}{{ end }}")
    with pytest.raises(TemplateError, match="more than a Secret can hold"):
        r('{{ range until 100000 }}{{ repeat 100 "x" }}{{ end }}')
    with pytest.raises(TemplateError, match="exceeded maximum template depth"):
        r('{{ define "loop" }}{{ template "loop" . }}{{ end }}{{ template "loop" . }}')
    with pytest.raises(TemplateError, match="nests too deeply"):
        r("{{ " + "(" * 5000 + "1" + ")" * 5000 + " }}")


def test_parse_once_per_text_bounded_cache() -> None:
    a = compile_template("{{ .x }}-cache-probe", "e")
    assert compile_template("{{ .x }}-cache-probe", "e") is a
    assert isinstance(a, Template)
    for i in range(engine._CACHE_MAX + 5):
        compile_template(f"{{{{ .x }}}}-{i}", "e")
    assert len(engine._CACHE) <= engine._CACHE_MAX
    assert compile_template("{{ .x }}-cache-probe", "e") is not a  # evicted, least recently used


def test_define_block_and_template_see_dollar_as_their_dot() -> None:
    text = '{{ define "dsn" }}{{ .user }}@{{ $.host }}{{ end }}{{ template "dsn" (dict "user" .user "host" "db") }}'
    assert r(text) == b"admin@db"
    assert r('{{ block "b" .user }}<{{ . }}>{{ end }}') == b"<admin>"


def test_sprig_fromjson_not_helms() -> None:
    # Helm replaces fromJson (objects only, errors as an "Error" key); the controller has Sprig's
    assert r('{{ fromJson "[1,2]" }}') == b"[1 2]"
    assert r('{{ fromJson "{bad" }}') == b"<no value>"
    assert r('{{ $n := (fromJson "{\\"n\\": 3}").n }}{{ printf "%T %v" $n $n }}') == b"float64 3"
