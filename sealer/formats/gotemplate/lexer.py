"""Tokens of Go's ``text/template`` language, following ``text/template/parse/lex.go``.

The lexer works on the whole template at once and yields :class:`Item` tuples;
positions are byte-free character offsets, converted to ``line:col`` only when an
error is reported, so the happy path stays cheap.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, auto

from sealer.formats.gotemplate.gofmt import go_quote


class Tok(Enum):
    """Kinds of token (Go's ``itemType``)."""

    ERROR = auto()
    BOOL = auto()
    CHAR = auto()
    CHARCONST = auto()
    COMMENT = auto()
    ASSIGN = auto()
    DECLARE = auto()
    EOF = auto()
    FIELD = auto()
    IDENT = auto()
    LDELIM = auto()
    LPAREN = auto()
    NUMBER = auto()
    PIPE = auto()
    RAWSTRING = auto()
    RDELIM = auto()
    RPAREN = auto()
    SPACE = auto()
    STRING = auto()
    TEXT = auto()
    VARIABLE = auto()
    # keywords
    BLOCK = auto()
    BREAK = auto()
    CONTINUE = auto()
    DOT = auto()
    DEFINE = auto()
    ELSE = auto()
    END = auto()
    IF = auto()
    NIL = auto()
    RANGE = auto()
    TEMPLATE = auto()
    WITH = auto()


KEYWORDS = {
    ".": Tok.DOT,
    "block": Tok.BLOCK,
    "break": Tok.BREAK,
    "continue": Tok.CONTINUE,
    "define": Tok.DEFINE,
    "else": Tok.ELSE,
    "end": Tok.END,
    "if": Tok.IF,
    "range": Tok.RANGE,
    "nil": Tok.NIL,
    "template": Tok.TEMPLATE,
    "with": Tok.WITH,
}

_KEYWORD_TOKS = frozenset(KEYWORDS.values())

LEFT = "{{"
RIGHT = "}}"
_SPACE = " \t\r\n"


@dataclass(frozen=True, slots=True)
class Item:
    """One token: its kind, offset in the source, text and the line it starts on."""

    typ: Tok
    pos: int
    val: str
    line: int

    def __str__(self) -> str:  # Go's item.String, used in parse errors
        if self.typ is Tok.EOF:
            return "EOF"
        if self.typ is Tok.ERROR:
            return self.val
        if self.typ in _KEYWORD_TOKS:
            return f"<{self.val}>"
        if len(self.val) > 10:
            return go_quote(self.val[:10]) + "..."
        return go_quote(self.val)


def _is_alnum(c: str) -> bool:
    return c == "_" or c.isalpha() or c.isdigit()


class Lexer:
    """Go's state-machine lexer, flattened into methods that append to :attr:`items`."""

    def __init__(self, name: str, text: str) -> None:
        self.name = name
        self.text = text
        self.items: list[Item] = []
        self.pos = 0
        self.start = 0
        self.line = 1
        self.start_line = 1
        self.paren_depth = 0
        self.inside_action = False

    # --- helpers -------------------------------------------------------------------
    def _emit(self, typ: Tok) -> None:
        self.items.append(Item(typ, self.start, self.text[self.start : self.pos], self.start_line))
        self.start = self.pos
        self.start_line = self.line

    def _ignore(self) -> None:
        self.line += self.text.count("\n", self.start, self.pos)
        self.start = self.pos
        self.start_line = self.line

    def _error(self, msg: str) -> None:
        self.items.append(Item(Tok.ERROR, self.start, msg, self.start_line))
        raise _Stop

    def _peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def _next(self) -> str:
        if self.pos >= len(self.text):
            self.pos += 1  # mirrors Go's width bookkeeping; backup() undoes it
            return ""
        c = self.text[self.pos]
        self.pos += 1
        if c == "\n":
            self.line += 1
        return c

    def _backup(self) -> None:
        self.pos -= 1
        if self.pos < len(self.text) and self.text[self.pos] == "\n":
            self.line -= 1

    def _accept(self, valid: str) -> bool:
        c = self._next()
        if c and c in valid:
            return True
        self._backup()
        return False

    def _accept_run(self, valid: str) -> None:
        while True:
            c = self._next()
            if not c or c not in valid:
                break
        self._backup()

    # --- driver -------------------------------------------------------------------------
    def run(self) -> list[Item]:
        try:
            self._lex_text()
        except _Stop:
            pass
        return self.items

    def _lex_text(self) -> None:
        text = self.text
        while True:
            x = text.find(LEFT, self.pos)
            if x < 0:
                self.pos = len(text)
                if self.pos > self.start:
                    self.line += text.count("\n", self.start, self.pos)
                    self._emit_text(self.pos)
                self.items.append(Item(Tok.EOF, self.pos, "", self.line))
                return
            self.pos = x
            trim = 0
            after = x + len(LEFT)
            if text.startswith("-", after) and after + 1 < len(text) and text[after + 1] in _SPACE:
                trim = 2  # "- " after the delimiter
            text_end = x
            if trim:
                while text_end > self.start and text[text_end - 1] in _SPACE:
                    text_end -= 1
            if text_end > self.start:
                self.line += text.count("\n", self.start, text_end)
                self._emit_text(text_end)
            self.line += text.count("\n", text_end, x)
            self.start = x
            self.start_line = self.line
            self._lex_left_delim(trim)

    def _emit_text(self, end: int) -> None:
        self.items.append(Item(Tok.TEXT, self.start, self.text[self.start : end], self.start_line))

    def _at_right_delim(self) -> tuple[bool, bool]:
        t = self.text
        p = self.pos
        if p + 1 < len(t) and t[p] in _SPACE and t.startswith("-" + RIGHT, p + 1):
            return True, True
        if t.startswith(RIGHT, p):
            return True, False
        return False, False

    def _lex_left_delim(self, trim: int) -> None:
        self.pos += len(LEFT)
        after = self.pos + trim
        if self.text.startswith("/*", after):
            self.pos = after
            self._ignore()
            self._lex_comment()
            return
        self.items.append(Item(Tok.LDELIM, self.start, LEFT, self.start_line))
        self.pos += trim
        self.start = self.pos
        self.start_line = self.line
        self.inside_action = True
        self.paren_depth = 0
        self._lex_inside_action()

    def _lex_comment(self) -> None:
        x = self.text.find("*/", self.pos + 2)
        if x < 0:
            self._error("unclosed comment")
        self.pos = x + 2
        delim, trim = self._at_right_delim()
        if not delim:
            self._error("comment ends before closing delimiter")
        self._ignore()  # comments are dropped (no ParseComments mode)
        self.pos += (2 if trim else 0) + len(RIGHT)
        self._ignore()
        if trim:
            self._trim_following_space()

    def _trim_following_space(self) -> None:
        t = self.text
        p = self.pos
        while p < len(t) and t[p] in _SPACE:
            p += 1
        self.pos = p
        self._ignore()

    def _lex_right_delim(self, trim: bool) -> None:
        if trim:
            self.pos += 2
            self._ignore()
        self.pos += len(RIGHT)
        self._emit(Tok.RDELIM)
        if trim:
            self._trim_following_space()
        self.inside_action = False

    def _lex_inside_action(self) -> None:
        while True:
            delim, trim = self._at_right_delim()
            if delim:
                if self.paren_depth == 0:
                    self._lex_right_delim(trim)
                    return
                self._error("unclosed left paren")
            c = self._next()
            if c == "":
                self._error("unclosed action")
            elif c in _SPACE:
                self._backup()
                self._lex_space()
            elif c == "=":
                self._emit(Tok.ASSIGN)
            elif c == ":":
                if self._next() != "=":
                    self._error("expected :=")
                self._emit(Tok.DECLARE)
            elif c == "|":
                self._emit(Tok.PIPE)
            elif c == '"':
                self._lex_quote()
            elif c == "`":
                self._lex_raw_quote()
            elif c == "$":
                self._lex_variable()
            elif c == "'":
                self._lex_char()
            elif c == ".":
                nxt = self._peek()
                if nxt and not nxt.isdigit():
                    self._lex_field()
                    continue
                if nxt and nxt.isdigit():
                    self._backup()
                    self._lex_number()
                    continue
                self._emit(Tok.DOT)  # "." followed by EOF: an error later
            elif c in "+-" or c.isdigit():
                self._backup()
                self._lex_number()
            elif _is_alnum(c):
                self._backup()
                self._lex_identifier()
            elif c == "(":
                self._emit(Tok.LPAREN)
                self.paren_depth += 1
            elif c == ")":
                self.paren_depth -= 1
                if self.paren_depth < 0:
                    self._error("unexpected right paren")
                self._emit(Tok.RPAREN)
            elif c.isascii() and c.isprintable():
                self._emit(Tok.CHAR)
            else:
                self._error(f"unrecognized character in action: {_quote_rune(c)}")

    def _lex_space(self) -> None:
        num = 0
        while (c := self._peek()) and c in _SPACE:
            self._next()
            num += 1
        # a space right before "-}}" belongs to the trim marker
        if self.text.startswith("-" + RIGHT, self.pos):
            self._backup()
            if num == 1:
                return
        self._emit(Tok.SPACE)

    def _lex_identifier(self) -> None:
        while True:
            c = self._next()
            if c and _is_alnum(c):
                continue
            self._backup()
            word = self.text[self.start : self.pos]
            if not self._at_terminator():
                self._error(f"bad character {_quote_rune(self._peek())}")
            if word in KEYWORDS and word != ".":
                self._emit(KEYWORDS[word])
            elif word in ("true", "false"):
                self._emit(Tok.BOOL)
            else:
                self._emit(Tok.IDENT)
            return

    def _lex_field(self) -> None:
        self._lex_field_or_variable(Tok.FIELD)

    def _lex_variable(self) -> None:
        self._lex_field_or_variable(Tok.VARIABLE)

    def _lex_field_or_variable(self, typ: Tok) -> None:
        if self._at_terminator():
            self._emit(Tok.VARIABLE if typ is Tok.VARIABLE else Tok.DOT)
            return
        while True:
            c = self._next()
            if not (c and _is_alnum(c)):
                self._backup()
                break
        if not self._at_terminator():
            self._error(f"bad character {_quote_rune(self._peek())}")
        self._emit(typ)

    def _at_terminator(self) -> bool:
        c = self._peek()
        if not c or c in _SPACE or c in ".,|:)(":
            return True
        return self.text.startswith(RIGHT, self.pos)

    def _lex_char(self) -> None:
        while True:
            c = self._next()
            if c == "\\":
                if self._next() not in ("", "\n"):
                    continue
                self._error("unterminated character constant")
            if c in ("", "\n"):
                self._error("unterminated character constant")
            if c == "'":
                break
        self._emit(Tok.CHARCONST)

    def _lex_number(self) -> None:
        if not self._scan_number():
            self._error(f"bad number syntax: {self.text[self.start : self.pos]!r}".replace("'", '"'))
        sign = self._peek()
        if sign in ("+", "-"):
            # complex: 1+2i
            if not self._scan_number() or self.text[self.pos - 1] != "i":
                self._error(f"bad number syntax: {self.text[self.start : self.pos]!r}".replace("'", '"'))
        self._emit(Tok.NUMBER)

    def _scan_number(self) -> bool:
        self._accept("+-")
        digits = "0123456789_"
        if self._accept("0"):
            if self._accept("xX"):
                digits = "0123456789abcdefABCDEF_"
            elif self._accept("oO"):
                digits = "01234567_"
            elif self._accept("bB"):
                digits = "01_"
        self._accept_run(digits)
        if self._accept("."):
            self._accept_run(digits)
        if len(digits) == 11 and self._accept("eE"):
            self._accept("+-")
            self._accept_run("0123456789_")
        if len(digits) == 23 and self._accept("pP"):
            self._accept("+-")
            self._accept_run("0123456789_")
        self._accept("i")
        c = self._peek()
        if c and _is_alnum(c):
            self._next()
            return False
        return True

    def _lex_quote(self) -> None:
        while True:
            c = self._next()
            if c == "\\":
                if self._next() not in ("", "\n"):
                    continue
                self._error("unterminated quoted string")
            if c in ("", "\n"):
                self._error("unterminated quoted string")
            if c == '"':
                break
        self._emit(Tok.STRING)

    def _lex_raw_quote(self) -> None:
        x = self.text.find("`", self.pos)
        if x < 0:
            self._error("unterminated raw quoted string")
        self.line += self.text.count("\n", self.pos, x)
        self.pos = x + 1
        self._emit(Tok.RAWSTRING)


class _Stop(Exception):
    """Raised internally once an error item is emitted: lexing ends there."""


def _quote_rune(c: str) -> str:
    """Go's ``%#U``: ``U+003D '='``."""
    if c == "":
        return "EOF"
    code = f"U+{ord(c):04X}"
    return f"{code} '{c}'" if c.isprintable() else code


def lex(name: str, text: str) -> list[Item]:
    """Tokenise ``text``; the list ends with an EOF or ERROR item."""
    return Lexer(name, text).run()
