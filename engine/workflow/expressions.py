"""A restricted expression language for gateway conditions.

Conditions are parsed with Python's `ast` and then *interpreted* node by node: nothing is ever
handed to `eval`. Allowed: names (form data), constants, lists/tuples/sets of those, comparisons,
`and`/`or`/`not`, arithmetic, `in`/`not in`. Anything else (calls, attributes, subscripts,
lambdas, comprehensions, f-strings...) is rejected with a message naming the construct.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from typing import Any

from engine.errors import Coded, Text


class ExpressionError(Coded, ValueError):
    """The expression is not in the allowed language, or could not be evaluated."""

    default_code = "expression_error"


_BIN_OPS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
}
_UNARY_OPS: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.Not: operator.not_,
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}
_CMP_OPS: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
}
_CONSTANT_NAMES = {"True": True, "False": False, "None": None, "true": True, "false": False}
_MAX_LENGTH = 2000


def parse_condition(text: str) -> ast.Expression:
    """Parse and check an expression; raise ExpressionError naming what is not allowed."""
    if text is None or not text.strip():
        raise ExpressionError(Text("expression_empty", "the expression is empty"))
    if len(text) > _MAX_LENGTH:
        raise ExpressionError(
            Text(
                "expression_too_long",
                "the expression is longer than {max} characters",
                max=_MAX_LENGTH,
            )
        )
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(
            Text("expression_syntax", "syntax error: {error}", error=str(exc.msg))
        ) from None
    for node in ast.walk(tree):
        _check_node(node)
    return tree


def names_used(text: str) -> set[str]:
    """The data names an expression reads (its free variables)."""
    tree = parse_condition(text)
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id not in _CONSTANT_NAMES}


def _check_node(node: ast.AST) -> None:
    allowed = (
        ast.Expression,
        ast.Constant,
        ast.Name,
        ast.Load,
        ast.List,
        ast.Tuple,
        ast.Set,
        ast.BoolOp,
        ast.And,
        ast.Or,
        ast.UnaryOp,
        ast.BinOp,
        ast.Compare,
    )
    if isinstance(node, ast.operator | ast.unaryop | ast.cmpop):
        if type(node) in _BIN_OPS or type(node) in _UNARY_OPS or type(node) in _CMP_OPS:
            return
        raise ExpressionError(
            Text(
                "expression_operator",
                "operator '{operator}' is not allowed",
                operator=type(node).__name__,
            )
        )
    if not isinstance(node, allowed):
        raise ExpressionError(_describe_forbidden(node))
    if isinstance(node, ast.Name) and node.id.startswith("_"):
        raise ExpressionError(
            Text(
                "expression_private_name",
                "name '{name}' is not allowed (names may not start with '_')",
                name=node.id,
            )
        )
    if isinstance(node, ast.Constant) and not isinstance(
        node.value, str | int | float | bool | type(None)
    ):
        raise ExpressionError(
            Text(
                "expression_constant",
                "constant of type {type} is not allowed",
                type=type(node.value).__name__,
            )
        )


def _describe_forbidden(node: ast.AST) -> Text:
    kinds = {
        ast.Call: Text("expression_call", "function calls are not allowed"),
        ast.Attribute: Text("expression_attribute", "attribute access is not allowed"),
        ast.Subscript: Text("expression_subscript", "subscripts are not allowed"),
        ast.Lambda: Text("expression_lambda", "lambda is not allowed"),
        ast.NamedExpr: Text("expression_assignment", "assignment expressions are not allowed"),
        ast.JoinedStr: Text("expression_fstring", "f-strings are not allowed"),
    }
    for kind, message in kinds.items():
        if isinstance(node, kind):
            return message
    return Text(
        "expression_construct", "'{construct}' is not allowed in a condition",
        construct=type(node).__name__,
    )  # fmt: skip


def evaluate(tree_or_text: ast.Expression | str, data: Mapping[str, Any]) -> Any:
    """Evaluate a checked expression over `data`. An unknown name is an error, not None."""
    tree = parse_condition(tree_or_text) if isinstance(tree_or_text, str) else tree_or_text
    try:
        return _eval(tree.body, data)
    except ExpressionError:
        raise
    except Exception as exc:  # comparisons of incompatible types, division by zero...
        raise ExpressionError(
            Text(
                "expression_failed", "{error}: {detail}", error=type(exc).__name__, detail=str(exc)
            )
        ) from None


def _eval(node: ast.AST, data: Mapping[str, Any]) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        if node.id in _CONSTANT_NAMES:
            return _CONSTANT_NAMES[node.id]
        if node.id not in data:
            raise ExpressionError(
                Text(
                    "expression_unknown_name",
                    "name '{name}' is not defined in the form data",
                    name=node.id,
                )
            )
        return data[node.id]
    if isinstance(node, ast.List | ast.Tuple):
        return [_eval(e, data) for e in node.elts]
    if isinstance(node, ast.Set):
        return {_eval(e, data) for e in node.elts}
    if isinstance(node, ast.BoolOp):
        if isinstance(node.op, ast.And):
            result: Any = True
            for value in node.values:
                result = _eval(value, data)
                if not result:
                    return result
            return result
        result = False
        for value in node.values:
            result = _eval(value, data)
            if result:
                return result
        return result
    if isinstance(node, ast.UnaryOp):
        return _UNARY_OPS[type(node.op)](_eval(node.operand, data))
    if isinstance(node, ast.BinOp):
        left, right = _eval(node.left, data), _eval(node.right, data)
        if isinstance(node.op, ast.Mult) and (
            isinstance(left, str | list) or isinstance(right, str | list)
        ):
            raise ExpressionError(
                Text("expression_repeat", "repeating strings or lists is not allowed")
            )
        return _BIN_OPS[type(node.op)](left, right)
    if isinstance(node, ast.Compare):
        left = _eval(node.left, data)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = _eval(comparator, data)
            if not _CMP_OPS[type(op)](left, right):
                return False
            left = right
        return True
    raise ExpressionError(_describe_forbidden(node))
