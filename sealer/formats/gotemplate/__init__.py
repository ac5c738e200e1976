"""Go ``text/template`` with Sprig functions, as the Sealed Secrets controller runs ``spec.template.data``.

A pure-Python engine: lexer -> parser -> tree -> executor, with Go's value rules
(see :mod:`.values`) and the controller's function map (:mod:`.functions`):
Go's builtins, then Sprig v3's ``GenericFuncMap()`` minus ``env``, ``expandenv`` and
``getHostByName``. The data is ``map[string]string`` of the decrypted values and the
``missingkey`` option is Go's default, so a missing key prints ``<no value>``.
Parsed templates are cached by text (bounded LRU): the controller renders the same
entries on every resync.

    >>> from sealer.formats.gotemplate import render_text
    >>> render_text("{{ .user | upper }}:{{ .pass | b64enc }}", {"user": "bob", "pass": "pw"})
    'BOB:cHc='

Checked against Helm's own Go engine (tests/gotemplate/test_differential.py): output,
success/failure, and for failures the position and wording. Where we differ from the
controller on purpose:

* Functions whose result changes from run to run (clock, time zone, randomness, key
  generation: ``now``, ``date``, ``randAlphaNum``, ``uuidv4``, ``genPrivateKey``,
  ``bcrypt``, ``htpasswd``, ``encryptAES`` ...) fail with an error saying why, when
  called: their output would churn the Secret on every resync.
* Not reproduced, refused with a clear error: ``semver``/``semverCompare``, ``decryptAES``.
* ``keys`` and ``values`` return key order (Go's map order is random).
* Error messages never contain data values where Go's would (``range can't iterate
  over <value>``, regexp/JSON/URL parse errors, ``fail`` with a computed message).
* Limits: 100 nested ``{{template}}`` calls, 300,000 loop iterations and calls,
  1 MiB of output.
* Regular expressions run on RE2 (``google-re2``) like Go's; without it, a
  translation to Python's ``re`` with a subject-length cap.
"""

from __future__ import annotations

from sealer.formats.gotemplate.engine import Template, compile_template, render_text
from sealer.formats.gotemplate.errors import GoTemplateError

__all__ = ["GoTemplateError", "Template", "compile_template", "render_text"]
