"""Executes a parsed template (a port of the semantics of Go's ``text/template/exec.go``).

Go's reflection rules are reproduced where they change results: ``<no value>``
for a missing map key, argument type checks, ``and``/``or`` short-circuiting and
returning an operand, ``eq`` with several operands, ``range`` over sorted map keys,
``break``/``continue``, variables that persist until ``{{end}}``.
"""

from __future__ import annotations

from typing import Any

from sealer.formats.gotemplate.errors import GoTemplateError
from sealer.formats.gotemplate.funcs import GO_TYPES, Func, FuncError, FuncMap
from sealer.formats.gotemplate.gofmt import sprint_value
from sealer.formats.gotemplate.nodes import (
    ActionNode,
    BoolNode,
    BreakNode,
    ChainNode,
    CommandNode,
    ContinueNode,
    DotNode,
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
from sealer.formats.gotemplate.parser import TemplateSet
from sealer.formats.gotemplate.values import Int64, StrList, StrMap, go_type, is_int, truth

MAX_DEPTH = 100  # nested {{template}} calls (Go allows 100000; the Python stack does not)
MAX_OUTPUT = 1 << 20  # a Secret cannot hold more than 1 MiB anyway
MAX_STEPS = 300_000  # range iterations + function calls: a template cannot spin forever

_MISSING = object()  # Go's missingVal: "no final (piped) argument"


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


class _Exec:
    def __init__(self, tset: TemplateSet, funcs: FuncMap) -> None:
        self.tset = tset
        self.funcs = funcs
        self.out: list[str] = []
        self.size = 0
        self.steps = 0
        self.tree_name = tset.main
        self.source = tset.source
        self.vars: list[list[Any]] = []
        self.depth = 0
        self.node: Node | None = None

    # --- errors ----------------------------------------------------------------------------
    def errorf(self, msg: str, node: Node | None = None, *, refused: bool = False) -> GoTemplateError:
        n = node if node is not None else self.node
        if n is None:
            return GoTemplateError(f"template: {self.tree_name}: {msg}", refused=refused)
        before = self.source[: n.pos]
        line = before.count("\n") + 1
        col = len(before[before.rfind("\n") + 1 :].encode("utf-8", "surrogateescape"))  # Go counts bytes
        ctx = str(n)
        return GoTemplateError(
            f'template: {self.tree_name}:{line}:{col}: executing "{self.tree_name}" at <{ctx}>: {msg}', refused=refused
        )

    def _tick(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise self.errorf(f"template runs too long (more than {MAX_STEPS} iterations and calls)")

    # --- variables ---------------------------------------------------------------------------
    def push(self, name: str, value: Any) -> None:
        self.vars.append([name, value])

    def set_var(self, name: str, value: Any) -> None:
        for v in reversed(self.vars):
            if v[0] == name:
                v[1] = value
                return
        raise self.errorf(f"undefined variable: {name}")

    def var_value(self, name: str) -> Any:
        for v in reversed(self.vars):
            if v[0] == name:
                return v[1]
        raise self.errorf(f"undefined variable: {name}")

    # --- walking -------------------------------------------------------------------------------
    def write(self, s: str) -> None:
        self.size += len(s)
        if self.size > MAX_OUTPUT:
            raise self.errorf(f"output exceeds {MAX_OUTPUT} bytes, more than a Secret can hold")
        self.out.append(s)

    def walk(self, dot: Any, node: Node) -> None:
        self.node = node
        if isinstance(node, TextNode):
            self.write(node.text)
        elif isinstance(node, ActionNode):
            val = self.eval_pipeline(dot, node.pipe)
            if not node.pipe.decl:
                self.node = node
                self.write("<no value>" if val is None else sprint_value(val))
        elif isinstance(node, ListNode):
            for n in node.nodes:
                self.walk(dot, n)
        elif isinstance(node, (IfNode, WithNode)):
            mark = len(self.vars)
            val = self.eval_pipeline(dot, node.pipe)
            if truth(val):
                self.walk(val if isinstance(node, WithNode) else dot, node.list)
            elif node.else_list is not None:
                self.walk(dot, node.else_list)
            del self.vars[mark:]
        elif isinstance(node, RangeNode):
            self.walk_range(dot, node)
        elif isinstance(node, TemplateNode):
            self.walk_template(dot, node)
        elif isinstance(node, BreakNode):
            raise _Break
        elif isinstance(node, ContinueNode):
            raise _Continue
        else:  # pragma: no cover - the parser makes no other nodes
            raise self.errorf(f"unknown node: {node}")

    def walk_range(self, dot: Any, r: RangeNode) -> None:
        outer = len(self.vars)
        val = self.eval_pipeline(dot, r.pipe)
        mark = len(self.vars)
        pipe = r.pipe

        def one(index: Any, elem: Any) -> bool:
            self._tick()
            if pipe.decl:
                if pipe.is_assign:
                    self.set_var(pipe.decl[0].ident[0], index if len(pipe.decl) > 1 else elem)
                else:
                    self.vars[mark - 1][1] = elem
            if len(pipe.decl) > 1:
                if pipe.is_assign:
                    self.set_var(pipe.decl[1].ident[0], elem)
                else:
                    self.vars[mark - 2][1] = index
            try:
                self.walk(elem, r.list)
            except _Continue:
                pass
            finally:
                del self.vars[mark:]
            return True

        iterated = False
        try:
            if isinstance(val, (list, bytes)):
                for i, e in enumerate(val):
                    iterated = one(i, e)
            elif isinstance(val, dict):
                for k in sorted(val, key=_key_order):
                    iterated = one(k, val[k])
            elif is_int(val) and not isinstance(val, bool):
                if len(pipe.decl) > 1:
                    self.node = r
                    raise self.errorf("can't use two iteration variables when ranging over an integer")  # Go 1.22
                for i in range(int(val)):
                    iterated = one(type(val)(i), type(val)(i))
            elif val is None:
                pass
            else:  # located at the pipeline's last node, as in Go
                raise self.errorf(f"range can't iterate over {_describe(val)}")
        except _Break:
            iterated = True
        if not iterated and r.else_list is not None:
            self.walk(dot, r.else_list)
        del self.vars[outer:]

    def walk_template(self, dot: Any, t: TemplateNode) -> None:
        tree = self.tset.trees.get(t.name)
        if tree is None:
            raise self.errorf(f"template {_q(t.name)} not defined", t)
        if self.depth >= MAX_DEPTH:
            raise self.errorf(f"exceeded maximum template depth ({MAX_DEPTH})", t)
        newdot = self.eval_pipeline(dot, t.pipe) if t.pipe is not None else None
        saved = (self.vars, self.tree_name)
        self.vars = [["$", newdot]]
        self.tree_name = t.name
        self.depth += 1
        try:
            self.walk(newdot, tree.root)
        finally:
            self.depth -= 1
            self.vars, self.tree_name = saved

    # --- evaluation -------------------------------------------------------------------------
    def eval_pipeline(self, dot: Any, pipe: PipeNode) -> Any:
        self.node = pipe
        value: Any = _MISSING
        for cmd in pipe.cmds:
            value = self.eval_command(dot, cmd, value)
        for v in pipe.decl:
            if pipe.is_assign:
                self.set_var(v.ident[0], value)
            else:
                self.push(v.ident[0], value)
        return value

    def not_a_function(self, args: list[Node], final: Any) -> None:
        if len(args) > 1 or final is not _MISSING:
            raise self.errorf(f"can't give argument to non-function {args[0]}")

    def eval_command(self, dot: Any, cmd: CommandNode, final: Any) -> Any:
        first = cmd.args[0]
        if isinstance(first, FieldNode):
            self.node = first
            return self.eval_field_chain(dot, dot, first, first.ident, cmd.args, final)
        if isinstance(first, ChainNode):
            return self.eval_chain(dot, first, cmd.args, final)
        if isinstance(first, IdentifierNode):
            return self.eval_function(dot, first, cmd, cmd.args, final)
        if isinstance(first, PipeNode):
            self.not_a_function(cmd.args, final)
            return self.eval_pipeline(dot, first)
        if isinstance(first, VariableNode):
            return self.eval_variable(dot, first, cmd.args, final)
        self.node = first
        self.not_a_function(cmd.args, final)
        if isinstance(first, BoolNode):
            return first.value
        if isinstance(first, DotNode):
            return dot
        if isinstance(first, NilNode):
            raise self.errorf("nil is not a command")
        if isinstance(first, NumberNode):
            return self.ideal_constant(first)
        if isinstance(first, StringNode):
            return first.text
        raise self.errorf(f"can't evaluate command {_q(str(first))}")

    def ideal_constant(self, n: NumberNode) -> Any:
        self.node = n
        if n.is_complex:
            return n.complex_value
        t = n.text
        is_hex_int = len(t) > 2 and t[0] == "0" and t[1] in "xX" and not any(c in t for c in "pP")
        if n.is_float and not is_hex_int and not t.startswith("'") and any(c in t for c in ".eEpP"):
            return float(n.float_value)
        if n.is_int:
            return int(n.int_value)
        if n.is_uint:
            raise self.errorf(f"{t} overflows int")
        return None

    def eval_chain(self, dot: Any, chain: ChainNode, args: list[Node], final: Any) -> Any:
        self.node = chain
        if isinstance(chain.node, NilNode):
            raise self.errorf(f"indirection through explicit nil in {chain}")
        pipe = self.eval_arg(dot, "any", chain.node)
        return self.eval_field_chain(dot, pipe, chain, chain.fields, args, final)

    def eval_variable(self, dot: Any, var: VariableNode, args: list[Node], final: Any) -> Any:
        self.node = var
        value = self.var_value(var.ident[0])
        if len(var.ident) == 1:
            self.not_a_function(args, final)
            return value
        return self.eval_field_chain(dot, value, var, var.ident[1:], args, final)

    def eval_field_chain(
        self, dot: Any, receiver: Any, node: Node, ident: list[str], args: list[Node], final: Any
    ) -> Any:
        for name in ident[:-1]:
            receiver = self.eval_field(name, node, [], _MISSING, receiver)
        return self.eval_field(ident[-1], node, args, final, receiver)

    def eval_field(self, name: str, node: Node, args: list[Node], final: Any, receiver: Any) -> Any:
        if receiver is None:
            return None
        if isinstance(receiver, dict):
            if len(args) > 1 or final is not _MISSING:
                raise self.errorf(f"{name} is not a method but has arguments")
            return receiver.get(name)
        raise self.errorf(f"can't evaluate field {name} in type {go_type(receiver)}")

    def eval_function(self, dot: Any, ident: IdentifierNode, cmd: Node, args: list[Node], final: Any) -> Any:
        """Call a function; ``cmd`` (the whole command, as Go passes it) locates errors it returns."""
        self.node = ident
        fn = self.funcs.get(ident.name)
        if fn is None:
            raise self.errorf(f"{_q(ident.name)} is not a defined function")
        return self.eval_call(dot, fn, cmd, args, final)

    def eval_call(self, dot: Any, fn: Func, node: Node, args: list[Node], final: Any) -> Any:
        self._tick()
        name = fn.name
        argn = args[1:]
        num_in = len(argn) + (0 if final is _MISSING else 1)
        nparams = len(fn.params) + (1 if fn.variadic is not None else 0)
        if fn.variadic is not None:
            num_fixed = len(fn.params)
            if num_in < num_fixed:
                raise self.errorf(f"wrong number of args for {name}: want at least {num_fixed} got {len(argn)}")
        elif num_in != nparams:
            raise self.errorf(f"wrong number of args for {name}: want {nparams} got {num_in}")
        if fn.refused is not None:
            raise self.errorf(f"function {_q(name)} is refused: {fn.refused}", node, refused=True)
        if name in ("and", "or"):
            return self._and_or(dot, name == "and", argn, final)
        if name == "call" and argn:  # no data value can be a Go func, so call always fails; Go names the node
            target = self.eval_arg(dot, "value", argn[0])
            self.node = node
            what = "call of nil" if target is None else f"non-function {argn[0]} of type {go_type(target)}"
            raise self.errorf(f"error calling call: {what}")
        argv: list[Any] = []
        for i, a in enumerate(argn):
            typ = fn.params[i] if i < len(fn.params) else fn.variadic
            assert typ is not None
            argv.append(self.eval_arg(dot, typ, a))
        if final is not _MISSING:
            i = len(argn)
            typ = fn.params[i] if i < len(fn.params) else fn.variadic
            assert typ is not None
            argv.append(self.validate(final, typ))
        try:
            result = fn.impl(*argv)
        except FuncError as exc:
            self.node = node
            msg = str(exc)
            if name == "fail" and not (len(argn) == 1 and isinstance(argn[0], StringNode)):
                msg = "(message computed from the data; not shown, it may contain secret values)"
            raise self.errorf(f"error calling {name}: {msg}") from None
        except RecursionError:
            raise self.errorf(f"error calling {name}: value nested too deeply") from None
        return result

    def _and_or(self, dot: Any, is_and: bool, args: list[Node], final: Any) -> Any:
        v: Any = None
        for a in args:
            v = self.eval_arg(dot, "value", a)
            if truth(v) != is_and:
                return v
        if final is not _MISSING:
            v = final
        return v

    def validate(self, value: Any, typ: str) -> Any:
        """Go's ``validateType``: is ``value`` assignable to a parameter of type ``typ``?"""
        if typ == "any" or typ == "value":
            return value
        if value is None:
            if typ in ("list", "strlist", "map"):
                return value
            raise self.errorf(f"invalid value; expected {GO_TYPES[typ]}")
        ok = False
        if typ == "string":
            ok = isinstance(value, str)
        elif typ == "int":
            ok = is_int(value) and type(value) is int
        elif typ == "int64":
            ok = isinstance(value, Int64)
        elif typ == "uint32":
            ok = False  # no function returns a uint32, so only a literal fits
        elif typ == "float64":
            ok = isinstance(value, float)
        elif typ == "bool":
            ok = isinstance(value, bool)
        elif typ == "list":
            ok = type(value) is list
        elif typ == "strlist":
            ok = isinstance(value, StrList)
        elif typ == "map":
            ok = isinstance(value, dict) and not isinstance(value, StrMap)
        if not ok:
            raise self.errorf(f"wrong type for value; expected {GO_TYPES[typ]}; got {go_type(value)}")
        return value

    def eval_arg(self, dot: Any, typ: str, n: Node) -> Any:
        self.node = n
        if isinstance(n, DotNode):
            return self.validate(dot, typ)
        if isinstance(n, NilNode):
            if typ in ("any", "value", "list", "strlist", "map"):
                return None
            raise self.errorf(f"cannot assign nil to {GO_TYPES[typ]}")
        if isinstance(n, FieldNode):
            return self.validate(self.eval_field_chain(dot, dot, n, n.ident, [n], _MISSING), typ)
        if isinstance(n, VariableNode):
            return self.validate(self.eval_variable(dot, n, [], _MISSING), typ)
        if isinstance(n, PipeNode):
            return self.validate(self.eval_pipeline(dot, n), typ)
        if isinstance(n, IdentifierNode):
            return self.validate(self.eval_function(dot, n, n, [n], _MISSING), typ)
        if isinstance(n, ChainNode):
            return self.validate(self.eval_chain(dot, n, [], _MISSING), typ)
        self.node = n
        if typ in ("any", "value"):
            if isinstance(n, BoolNode):
                return n.value
            if isinstance(n, NumberNode):
                return self.ideal_constant(n)
            if isinstance(n, StringNode):
                return n.text
        elif typ == "bool":
            if isinstance(n, BoolNode):
                return n.value
            raise self.errorf(f"expected bool; found {n}")
        elif typ == "string":
            if isinstance(n, StringNode):
                return n.text
            raise self.errorf(f"expected string; found {n}")
        elif typ in ("int", "int64"):
            if isinstance(n, NumberNode) and n.is_int:
                return int(n.int_value) if typ == "int" else Int64(n.int_value)
            raise self.errorf(f"expected integer; found {n}")
        elif typ == "uint32":
            if isinstance(n, NumberNode) and n.is_uint:
                return int(n.int_value) & 0xFFFFFFFF  # reflect's SetUint truncates to the width
            raise self.errorf(f"expected unsigned integer; found {n}")
        elif typ == "float64":
            if isinstance(n, NumberNode) and n.is_float:
                return float(n.float_value)
            raise self.errorf(f"expected float; found {n}")
        raise self.errorf(f"can't handle {n} for arg of type {GO_TYPES[typ]}")


def _key_order(k: Any) -> Any:
    return k.encode("utf-8", "surrogateescape") if isinstance(k, str) else k


def _q(s: str) -> str:
    from sealer.formats.gotemplate.gofmt import go_quote

    return go_quote(s)


def _describe(v: Any) -> str:
    """What Go would print for a value in an error, minus the value itself (it may be a secret)."""
    return f"a value of type {go_type(v)}"


def execute(tset: TemplateSet, funcs: FuncMap, data: Any) -> str:
    """Run the main template of ``tset`` over ``data``; :class:`GoTemplateError` on failure."""
    ex = _Exec(tset, funcs)
    ex.vars = [["$", data]]
    tree = tset.trees.get(tset.main)
    if tree is None:
        raise GoTemplateError(f'template: {tset.main}: "{tset.main}" is an incomplete or empty template')
    try:
        ex.walk(data, tree.root)
    except RecursionError:
        raise ex.errorf("template nests too deeply") from None
    return "".join(ex.out)
