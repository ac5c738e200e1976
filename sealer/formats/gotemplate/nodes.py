"""The parse tree (Go's ``text/template/parse`` nodes).

Each node keeps its source offset so execution errors can say ``name:line:col``
like Go, and ``str(node)`` reproduces Go's ``Node.String()`` for the ``at <...>``
part of messages; neither ever includes data values, only template text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sealer.formats.gotemplate.gofmt import go_quote


@dataclass(slots=True, eq=False)
class Node:
    """Base of every node: ``pos`` is the character offset in the template source."""

    pos: int


@dataclass(slots=True, eq=False)
class TextNode(Node):
    text: str

    def __str__(self) -> str:
        return go_quote(self.text)


@dataclass(slots=True, eq=False)
class ListNode(Node):
    nodes: list[Node] = field(default_factory=list)

    def __str__(self) -> str:
        return "".join(str(n) for n in self.nodes)


@dataclass(slots=True, eq=False)
class DotNode(Node):
    def __str__(self) -> str:
        return "."


@dataclass(slots=True, eq=False)
class NilNode(Node):
    def __str__(self) -> str:
        return "nil"


@dataclass(slots=True, eq=False)
class BoolNode(Node):
    value: bool

    def __str__(self) -> str:
        return "true" if self.value else "false"


@dataclass(slots=True, eq=False)
class NumberNode(Node):
    """A numeric constant; like Go it records every type the text can be."""

    text: str
    is_int: bool = False
    is_uint: bool = False
    is_float: bool = False
    is_complex: bool = False
    int_value: int = 0
    float_value: float = 0.0
    complex_value: complex = 0j

    def __str__(self) -> str:
        return self.text


@dataclass(slots=True, eq=False)
class StringNode(Node):
    quoted: str
    text: str

    def __str__(self) -> str:
        return self.quoted


@dataclass(slots=True, eq=False)
class FieldNode(Node):
    ident: list[str]

    def __str__(self) -> str:
        return "".join("." + i for i in self.ident)


@dataclass(slots=True, eq=False)
class VariableNode(Node):
    ident: list[str]

    def __str__(self) -> str:
        return ".".join(self.ident)


@dataclass(slots=True, eq=False)
class IdentifierNode(Node):
    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(slots=True, eq=False)
class ChainNode(Node):
    node: Node
    fields: list[str]

    def __str__(self) -> str:
        inner = str(self.node)
        if isinstance(self.node, PipeNode):
            inner = f"({inner})"
        return inner + "".join("." + f for f in self.fields)


@dataclass(slots=True, eq=False)
class CommandNode(Node):
    args: list[Node] = field(default_factory=list)

    def __str__(self) -> str:
        parts = []
        for a in self.args:
            parts.append(f"({a})" if isinstance(a, PipeNode) else str(a))
        return " ".join(parts)


@dataclass(slots=True, eq=False)
class PipeNode(Node):
    line: int
    is_assign: bool = False
    decl: list[VariableNode] = field(default_factory=list)
    cmds: list[CommandNode] = field(default_factory=list)

    def __str__(self) -> str:
        s = ""
        if self.decl:
            s = ", ".join(str(v) for v in self.decl) + (" = " if self.is_assign else " := ")
        return s + " | ".join(str(c) for c in self.cmds)


@dataclass(slots=True, eq=False)
class ActionNode(Node):
    line: int
    pipe: PipeNode

    def __str__(self) -> str:
        return "{{" + str(self.pipe) + "}}"


@dataclass(slots=True, eq=False)
class BranchNode(Node):
    """``if``, ``range`` and ``with`` share this shape."""

    line: int
    pipe: PipeNode
    list: ListNode
    else_list: ListNode | None
    keyword: str = ""

    def __str__(self) -> str:
        s = "{{" + self.keyword + " " + str(self.pipe) + "}}" + str(self.list)
        if self.else_list is not None:
            s += "{{else}}" + str(self.else_list)
        return s + "{{end}}"


@dataclass(slots=True, eq=False)
class IfNode(BranchNode):
    pass


@dataclass(slots=True, eq=False)
class RangeNode(BranchNode):
    pass


@dataclass(slots=True, eq=False)
class WithNode(BranchNode):
    pass


@dataclass(slots=True, eq=False)
class BreakNode(Node):
    line: int

    def __str__(self) -> str:
        return "{{break}}"


@dataclass(slots=True, eq=False)
class ContinueNode(Node):
    line: int

    def __str__(self) -> str:
        return "{{continue}}"


@dataclass(slots=True, eq=False)
class TemplateNode(Node):
    line: int
    name: str
    pipe: PipeNode | None

    def __str__(self) -> str:
        if self.pipe is None:
            return "{{template " + go_quote(self.name) + "}}"
        return "{{template " + go_quote(self.name) + " " + str(self.pipe) + "}}"


@dataclass(slots=True, eq=False)
class EndNode(Node):
    """Parser-internal marker for ``{{end}}``."""

    def __str__(self) -> str:
        return "{{end}}"


@dataclass(slots=True, eq=False)
class ElseNode(Node):
    """Parser-internal marker for ``{{else}}``."""

    line: int

    def __str__(self) -> str:
        return "{{else}}"
