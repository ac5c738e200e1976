"""Plaintext documents that exercise what sops' stores do with each format."""

from __future__ import annotations

YAML_COMMENTS = """\
# top comment

# second top comment
apiVersion: v1   # line comment
kind: Secret
metadata:
  name: db   # the name
  labels:
    app: web
data:
  # inner comment
  password: hunter2
  port: 5432
  ratio: 3.50
  enabled: true
  disabled: false
  nothing: null
  empty: ""
  quoted: "123"
  multi: |
    line1
    line2
  list:
  - a  # item comment
  # between items
  - b: 1
    c: 2
    # end of item map
  - [1, 2]
  special: "a: b #c"
  pw_unencrypted: plain
  # end inner
# foot comment
"""

YAML_MULTIDOC = """\
# doc one
first: one
nested:
  key: value
---
# doc two
second: 2
list:
  - x
  - y
---
third: true
"""

YAML_SCALARS = """\
s1: 'yes'
s2: "no"
s3: "~"
s4: "0x1F"
s5: ": colon"
s6: "- dash"
s7: " lead"
s8: "trail "
s9: "tab\\there"
s10: "emoji \U0001F600 and ünïcode"
s11: "quote'single"
s12: "back\\\\slash"
s13: "line1\\nline2"
s14: "line1\\n\\nline2\\n\\n"
s15: "\\nlead newline"
s16: "2024-01-01"
s17: "[x]"
s18: ""
s19: "ctrl\\x01"
"key with space": v
"123": numeric key
"yes": bool key
"a: b": colon key
i1: 012
i2: 0o17
i3: 0x1f
i4: 1_000
i5: -5
f1: 1e3
f2: 1.0
f3: .5
f4: -.inf
f5: 1234567.5
f6: 0.0000001
t1: 2024-01-01T10:00:00+02:00
t2: 2024-1-2
t3: 2024-01-01 10:20:30.500
b1: True
b2: FALSE
n1: ~
e1: {}
e2: []
nested_lists:
  - - x
    - y
  - k: v
    m:
      - 1
      - 2
  - |
    literal in a list
anchor: &A
  x: 1
ref: *A
"""

JSON_DOC = """{
  "name": "db",
  "port": 5432,
  "ratio": 0.25,
  "big": 1e21,
  "tiny": 0.0000001,
  "enabled": true,
  "nothing": null,
  "html": "<a href='x'>&</a>",
  "unicode": "ünïcode \\u2028 line sep",
  "list": [1, "two", [3], {"four": 4}, []],
  "empty": {},
  "nested": {"user": "admin", "pass_unencrypted": "visible"}
}
"""

DOTENV_DOC = """\
# database settings
DB_USER=admin
DB_PASSWORD=s3cr3t=with=equals
MULTILINE=first\\nsecond
#another comment
EMPTY=
API_KEY_unencrypted=visible
"""

INI_DOC = """\
; settings without a section
global = 1
[database]
user = admin
# the password
password = s3cr3t
port=5432

[web]
url = "http://example.com/path"
padded = ' spaced out '
inline = value ; trailing note
key:with:colons = v
empty =
"""

BINARY_DOC = bytes(range(256)) + b"\n\x00tail"
