"""Parser for Go's ``text/template`` language (a port of ``text/template/parse/parse.go``).

``parse`` turns one template text into a :class:`TemplateSet` of named trees: the
main one plus every ``define``/``block``. Function names are checked here, as Go
does at ``Parse`` time, so an unknown function is a parse error.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from sealer.formats.gotemplate.errors import GoTemplateError
from sealer.formats.gotemplate.gofmt import go_quote
from sealer.formats.gotemplate.lexer import Item, Tok, lex
from sealer.formats.gotemplate.nodes import (
    ActionNode,
    BoolNode,
    BreakNode,
    ChainNode,
    CommandNode,
    ContinueNode,
    DotNode,
    ElseNode,
    EndNode,
    FieldNode,
    IdentifierNode,
    IfNode,
    ListNode,
    NilNode,
    Node,
    NumberNode,
    PipeNode,
    RangeNode,
    StringNode,
    TemplateNode,
    TextNode,
    VariableNode,
    WithNode,
)

_OPERAND_START = frozenset(
    {
        Tok.BOOL,
        Tok.CHARCONST,
        Tok.DOT,
        Tok.FIELD,
        Tok.IDENT,
        Tok.NUMBER,
        Tok.NIL,
        Tok.RAWSTRING,
        Tok.STRING,
        Tok.VARIABLE,
        Tok.LPAREN,
    }
)


@dataclass(slots=True)
class Tree:
    """One named template: its root list, and the source it came from (for positions)."""

    name: str
    root: ListNode
    source: str


@dataclass(slots=True)
class TemplateSet:
    """The trees one template text defines, by name (Go's ``common.tmpl``)."""

    main: str
    source: str
    trees: dict[str, Tree] = field(default_factory=dict)

    def add(self, tree: Tree) -> None:
        # Go's associate(): an empty redefinition never replaces a non-empty one.
        old = self.trees.get(tree.name)
        if old is not None and _is_empty(tree.root) and not _is_empty(old.root):
            return
        self.trees[tree.name] = tree


def _is_empty(n: Node) -> bool:
    if isinstance(n, ListNode):
        return all(_is_empty(c) for c in n.nodes)
    if isinstance(n, TextNode):
        return n.text.strip() == ""
    return False


class _Parser:
    def __init__(self, name: str, text: str, has_function: Callable[[str], bool]) -> None:
        self.name = name
        self.text = text
        self.items = lex(name, text)
        self.i = 0
        self.has_function = has_function
        self.vars: list[str] = ["$"]
        self.range_depth = 0
        self.set = TemplateSet(main=name, source=text)
        self.last: Item | None = None

    # --- token stream ---------------------------------------------------------------
    def next(self) -> Item:
        it = self.items[self.i]
        if it.typ is Tok.ERROR:
            self.last = it
            self.error(it.val)
        self.i += 1
        self.last = it
        return it

    def backup(self, n: int = 1) -> None:
        self.i -= n

    def peek(self) -> Item:
        it = self.next()
        self.backup()
        return it

    def next_non_space(self) -> Item:
        while True:
            it = self.next()
            if it.typ is not Tok.SPACE:
                return it

    def peek_non_space(self) -> Item:
        it = self.next_non_space()
        self.backup()
        return it

    def error(self, msg: str) -> None:
        line = self.last.line if self.last is not None else 1
        raise GoTemplateError(f"template: {self.name}:{line}: {msg}", parse=True)

    def unexpected(self, it: Item, context: str) -> None:
        if it.typ is Tok.ERROR:
            self.error(it.val)
        self.error(f"unexpected {it} in {context}")

    def expect(self, typ: Tok, context: str) -> Item:
        it = self.next_non_space()
        if it.typ is not typ:
            self.unexpected(it, context)
        return it

    # --- structure ---------------------------------------------------------------------
    def parse(self) -> TemplateSet:
        root = ListNode(self.peek().pos)
        while self.peek().typ is not Tok.EOF:
            if self.peek().typ is Tok.LDELIM:
                start = self.i
                self.next()
                if self.next_non_space().typ is Tok.DEFINE:
                    self._parse_definition()
                    continue
                self.i = start
            n = self.text_or_action()
            if isinstance(n, (EndNode, ElseNode)):
                self.error(f"unexpected {n}")
            root.nodes.append(n)
        self.set.add(Tree(self.name, root, self.text))
        return self.set

    def _parse_definition(self) -> None:
        context = "define clause"
        it = self.next_non_space()
        if it.typ not in (Tok.STRING, Tok.RAWSTRING):
            self.unexpected(it, context)
        name = self._unquote(it.val)
        self.expect(Tok.RDELIM, context)
        self._add_nested_template(name, context)

    def _add_nested_template(self, name: str, context: str) -> None:
        """Parse a ``define``/``block`` body up to its ``{{end}}`` as template ``name`` and add it to the set.

        The body is its own template: it sees only ``$`` and is not inside the enclosing ``range``.
        """
        saved_vars, saved_depth = self.vars, self.range_depth
        self.vars, self.range_depth = ["$"], 0
        root, end = self.item_list()
        if not isinstance(end, EndNode):
            self.error(f"unexpected {end} in {context}")
        self.vars, self.range_depth = saved_vars, saved_depth
        self.set.add(Tree(name, root, self.text))

    def item_list(self) -> tuple[ListNode, Node]:
        lst = ListNode(self.peek_non_space().pos)
        while self.peek_non_space().typ is not Tok.EOF:
            n = self.text_or_action()
            if isinstance(n, (EndNode, ElseNode)):
                return lst, n
            lst.nodes.append(n)
        self.error("unexpected EOF")
        raise AssertionError  # unreachable

    def text_or_action(self) -> Node:
        it = self.next_non_space()
        if it.typ is Tok.TEXT:
            return TextNode(it.pos, it.val)
        if it.typ is Tok.LDELIM:
            return self.action()
        self.unexpected(it, "input")
        raise AssertionError

    def action(self) -> Node:
        it = self.next_non_space()
        t = it.typ
        if t is Tok.BLOCK:
            return self.block_control()
        if t is Tok.BREAK or t is Tok.CONTINUE:
            word = it.val
            tok = self.next_non_space()
            if tok.typ is not Tok.RDELIM:
                self.unexpected(tok, "{{" + word + "}}")
            if self.range_depth == 0:
                self.error("{{" + word + "}} outside {{range}}")
            return BreakNode(it.pos, it.line) if t is Tok.BREAK else ContinueNode(it.pos, it.line)
        if t is Tok.ELSE:
            peek = self.peek_non_space()
            if peek.typ in (Tok.IF, Tok.WITH):
                return ElseNode(peek.pos, peek.line)
            tok = self.expect(Tok.RDELIM, "else")
            return ElseNode(tok.pos, tok.line)
        if t is Tok.END:
            tok = self.expect(Tok.RDELIM, "end")
            return EndNode(tok.pos)
        if t is Tok.IF:
            return self.branch("if", IfNode)
        if t is Tok.RANGE:
            return self.branch("range", RangeNode)
        if t is Tok.WITH:
            return self.branch("with", WithNode)
        if t is Tok.TEMPLATE:
            return self.template_control()
        self.backup()
        tok = self.peek()
        return ActionNode(tok.pos, tok.line, self.pipeline("command", Tok.RDELIM))

    def branch(self, context: str, cls: type[IfNode] | type[RangeNode] | type[WithNode]) -> Node:
        mark = len(self.vars)
        try:
            pipe = self.pipeline(context, Tok.RDELIM)
            if context == "range":
                self.range_depth += 1
            lst, nxt = self.item_list()
            if context == "range":
                self.range_depth -= 1
            else_list: ListNode | None = None
            if isinstance(nxt, ElseNode):
                if context == "if" and self.peek().typ is Tok.IF:
                    self.next()
                    else_list = ListNode(nxt.pos, [self.branch("if", IfNode)])
                elif context == "with" and self.peek().typ is Tok.WITH:
                    self.next()
                    else_list = ListNode(nxt.pos, [self.branch("with", WithNode)])
                else:
                    else_list, nxt = self.item_list()
                    if not isinstance(nxt, EndNode):
                        self.error(f"expected end; found {nxt}")
            return cls(pipe.pos, pipe.line, pipe, lst, else_list, context)
        finally:
            del self.vars[mark:]

    def block_control(self) -> Node:
        context = "block clause"
        tok = self.next_non_space()
        name = self._template_name(tok, context)
        pipe = self.pipeline(context, Tok.RDELIM)
        self._add_nested_template(name, context)
        return TemplateNode(tok.pos, tok.line, name, pipe)

    def template_control(self) -> Node:
        context = "template clause"
        tok = self.next_non_space()
        name = self._template_name(tok, context)
        pipe: PipeNode | None = None
        if self.next_non_space().typ is not Tok.RDELIM:
            self.backup()
            pipe = self.pipeline(context, Tok.RDELIM)
        return TemplateNode(tok.pos, tok.line, name, pipe)

    def _template_name(self, tok: Item, context: str) -> str:
        if tok.typ in (Tok.STRING, Tok.RAWSTRING):
            return self._unquote(tok.val)
        self.unexpected(tok, context)
        raise AssertionError

    # --- pipelines ---------------------------------------------------------------------
    def pipeline(self, context: str, end: Tok) -> PipeNode:
        tok = self.peek_non_space()
        pipe = PipeNode(tok.pos, tok.line)
        while True:  # declarations
            v = self.peek_non_space()
            if v.typ is not Tok.VARIABLE:
                break
            start = self.i
            self.next_non_space()
            after = self.peek()
            nxt = self.peek_non_space()
            if nxt.typ in (Tok.ASSIGN, Tok.DECLARE):
                pipe.is_assign = nxt.typ is Tok.ASSIGN
                self.next_non_space()
                pipe.decl.append(VariableNode(v.pos, [v.val]))
                self.vars.append(v.val)
                break
            if nxt.typ is Tok.CHAR and nxt.val == ",":
                self.next_non_space()
                pipe.decl.append(VariableNode(v.pos, [v.val]))
                self.vars.append(v.val)
                if context == "range" and len(pipe.decl) < 2:
                    if self.peek_non_space().typ in (Tok.VARIABLE, Tok.RDELIM, Tok.RPAREN):
                        continue
                    self.error("range can only initialize variables")
                self.error(f"too many declarations in {context}")
            del after
            self.i = start
            break
        while True:
            tok = self.next_non_space()
            if tok.typ is end:
                self._check_pipeline(pipe, context)
                return pipe
            if tok.typ in _OPERAND_START:
                self.backup()
                pipe.cmds.append(self.command())
            else:
                self.unexpected(tok, context)

    def _check_pipeline(self, pipe: PipeNode, context: str) -> None:
        if not pipe.cmds:
            self.error(f"missing value for {context}")
        for i, c in enumerate(pipe.cmds[1:]):
            if isinstance(c.args[0], (BoolNode, DotNode, NilNode, NumberNode, StringNode)):
                self.error(f"non executable command in pipeline stage {i + 2}")

    def command(self) -> CommandNode:
        cmd = CommandNode(self.peek_non_space().pos)
        while True:
            self.peek_non_space()
            operand = self.operand()
            if operand is not None:
                cmd.args.append(operand)
            tok = self.next()
            if tok.typ is Tok.SPACE:
                continue
            if tok.typ in (Tok.RDELIM, Tok.RPAREN):
                self.backup()
            elif tok.typ is not Tok.PIPE:
                self.unexpected(tok, "operand")
            break
        if not cmd.args:
            self.error("empty command")
        return cmd

    def operand(self) -> Node | None:
        node = self.term()
        if node is None:
            return None
        if self.peek().typ is Tok.FIELD:
            pos = self.peek().pos
            fields: list[str] = []
            while self.peek().typ is Tok.FIELD:
                fields.append(self.next().val[1:])
            if isinstance(node, FieldNode):
                return FieldNode(pos, node.ident + fields)
            if isinstance(node, VariableNode):
                return VariableNode(pos, node.ident + fields)
            if isinstance(node, (BoolNode, StringNode, NumberNode, NilNode, DotNode)):
                self.error(f"unexpected . after term {go_quote(str(node))}")
            return ChainNode(pos, node, fields)
        return node

    def term(self) -> Node | None:
        tok = self.next_non_space()
        t = tok.typ
        if t is Tok.IDENT:
            if not self.has_function(tok.val):
                self.error(f"function {go_quote(tok.val)} not defined")
            return IdentifierNode(tok.pos, tok.val)
        if t is Tok.DOT:
            return DotNode(tok.pos)
        if t is Tok.NIL:
            return NilNode(tok.pos)
        if t is Tok.VARIABLE:
            parts = tok.val.split(".")
            if parts[0] not in self.vars:
                self.error(f"undefined variable {go_quote(parts[0])}")
            return VariableNode(tok.pos, parts)
        if t is Tok.FIELD:
            return FieldNode(tok.pos, tok.val[1:].split("."))
        if t is Tok.BOOL:
            return BoolNode(tok.pos, tok.val == "true")
        if t is Tok.NUMBER or t is Tok.CHARCONST:
            return self._number(tok)
        if t is Tok.LPAREN:
            return self.pipeline("parenthesized pipeline", Tok.RPAREN)
        if t is Tok.STRING or t is Tok.RAWSTRING:
            return StringNode(tok.pos, tok.val, self._unquote(tok.val))
        self.backup()
        return None

    # --- literals ----------------------------------------------------------------------
    def _unquote(self, quoted: str) -> str:
        try:
            return unquote(quoted)
        except ValueError:
            self.error("invalid syntax")
            raise AssertionError from None

    def _number(self, tok: Item) -> NumberNode:
        try:
            return parse_number(tok.pos, tok.val, char=tok.typ is Tok.CHARCONST)
        except ValueError as exc:
            self.error(str(exc))
            raise AssertionError from None


_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\"}


def unquote(q: str) -> str:
    """Go's ``strconv.Unquote`` for "..." and `...` literals (``ValueError`` if malformed)."""
    if len(q) < 2:
        raise ValueError(q)
    if q[0] == "`":
        if q[-1] != "`" or "`" in q[1:-1]:
            raise ValueError(q)
        return q[1:-1].replace("\r", "")
    quote = q[0]
    if q[-1] != quote or quote not in "\"'":
        raise ValueError(q)
    body = q[1:-1]
    out: list[str] = []
    i = 0
    pending: list[int] = []  # \x / octal bytes are UTF-8 assembled when possible

    def flush() -> None:
        if pending:
            out.append(bytes(pending).decode("utf-8", "surrogateescape"))
            pending.clear()

    while i < len(body):
        c = body[i]
        if c == quote or c == "\n":
            raise ValueError(q)
        if c != "\\":
            flush()
            out.append(c)
            i += 1
            continue
        i += 1
        if i >= len(body):
            raise ValueError(q)
        e = body[i]
        if e in _ESCAPES:
            flush()
            out.append(_ESCAPES[e])
            i += 1
        elif e == quote:
            flush()
            out.append(e)
            i += 1
        elif e == "x":
            h = body[i + 1 : i + 3]
            if len(h) != 2 or not all(ch in "0123456789abcdefABCDEF" for ch in h):
                raise ValueError(q)
            pending.append(int(h, 16))
            i += 3
        elif e in "01234567":
            o = body[i : i + 3]
            if len(o) != 3 or not all(ch in "01234567" for ch in o) or int(o, 8) > 255:
                raise ValueError(q)
            pending.append(int(o, 8))
            i += 3
        elif e in "uU":
            n = 4 if e == "u" else 8
            h = body[i + 1 : i + 1 + n]
            if len(h) != n or not all(ch in "0123456789abcdefABCDEF" for ch in h):
                raise ValueError(q)
            cp = int(h, 16)
            if cp > 0x10FFFF or 0xD800 <= cp < 0xE000:
                raise ValueError(q)
            flush()
            out.append(chr(cp))
            i += 1 + n
        else:
            raise ValueError(q)
    flush()
    s = "".join(out)
    if quote == "'" and len(s.encode("utf-8", "surrogateescape")) > 0 and len(s) != 1:
        raise ValueError(q)
    return s


_LEGACY_OCTAL = re.compile(r"[+-]?0[0-7_]+")
_INT64_MIN, _INT64_MAX, _UINT64_MAX = -(1 << 63), (1 << 63) - 1, (1 << 64) - 1


def _parse_int(text: str) -> int | None:
    """``strconv.ParseInt(text, 0, 64)`` without the range check."""
    t = text
    try:
        if _LEGACY_OCTAL.fullmatch(t):
            sign = -1 if t[0] == "-" else 1
            digits = t.lstrip("+-")[1:].replace("_", "")
            return sign * int(digits or "0", 8)
        return int(t, 0)
    except ValueError:
        return None


def _parse_float(text: str) -> float | None:
    t = text.replace("_", "")
    try:
        if "x" in t.lower():
            return float.fromhex(t)
        if t.lower().lstrip("+-") in ("inf", "infinity", "nan"):
            return None
        f = float(t)
    except (ValueError, OverflowError):
        return None
    return None if f in (float("inf"), float("-inf")) else f


def parse_number(pos: int, text: str, *, char: bool = False) -> NumberNode:
    """Go's ``newNumber``: which of int/uint/float/complex the literal can be."""
    n = NumberNode(pos, text)
    if char:
        try:
            r = unquote(text)
        except ValueError:
            raise ValueError(f"malformed character constant: {text}") from None
        cp = ord(r) if not (0xDC80 <= ord(r) <= 0xDCFF) else ord(r) - 0xDC00
        n.is_int = n.is_uint = n.is_float = True
        n.int_value = cp
        n.float_value = float(cp)
        return n
    if text.endswith("i"):
        f = _parse_float(text[:-1])
        if f is not None:
            n.is_complex = True
            n.complex_value = complex(0, f)
            if f == 0:
                n.is_int = n.is_uint = n.is_float = True
            return n
    if "+" in text[1:] or "-" in text[1:]:
        if text.endswith("i") and not re.search(r"[eEpP][+-]", text):
            raise ValueError(f"illegal number syntax: {go_quote(text)}")
    iv = _parse_int(text)
    if iv is not None:
        if 0 <= iv <= _UINT64_MAX and not text.startswith(("+", "-")):
            n.is_uint = True
        if _INT64_MIN <= iv <= _INT64_MAX:
            n.is_int = True
            if iv == 0:
                n.is_uint = True
        n.int_value = iv
        if n.is_int or n.is_uint:
            n.is_float = True
            n.float_value = float(iv)
    if not (n.is_int or n.is_uint):
        f = _parse_float(text)
        if f is not None:
            if not any(ch in text for ch in ".eEpP"):
                raise ValueError(f"integer overflow: {go_quote(text)}")
            n.is_float = True
            n.float_value = f
            if f == int(f) and _INT64_MIN <= int(f) <= _INT64_MAX:
                n.is_int = True
                n.int_value = int(f)
            if f == int(f) and 0 <= int(f) <= _UINT64_MAX:
                n.is_uint = True
                if not n.is_int:
                    n.int_value = int(f)
    if not (n.is_int or n.is_uint or n.is_float):
        raise ValueError(f"illegal number syntax: {go_quote(text)}")
    return n


def parse(name: str, text: str, has_function: Callable[[str], bool]) -> TemplateSet:
    """Parse ``text`` as the template ``name``; :class:`GoTemplateError` on bad syntax."""
    return _Parser(name, text, has_function).parse()
