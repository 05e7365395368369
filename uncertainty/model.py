"""Measurement models: safe parsing, unit checking and compilation (JCGM 100:2008 4.1).

A model is one equation or several (``"d = d_bar + d1 + d2"``); later equations may use
earlier left-hand sides (intermediate quantities). Text goes through ``ast.parse`` and a
whitelist (numbers, names, ``+ - * / **``, unary minus, parentheses, the functions in
:data:`FUNCTIONS`, constants ``pi`` and ``e``); it is never passed to ``eval``, ``exec`` or
``compile``. Each equation is compiled once into a tree of Python closures over numpy
arrays, for values and for exact first-order partial derivatives (forward-mode dual
numbers with sparse tangents: input index -> derivative), so a whole table of budgets of one model is
evaluated as arrays in one pass.

Units are checked once, with pint, before anything runs: adding ``mm`` to ``degC`` is an
error naming the equation. Absolute temperatures (``degC``) may be shifted by differences
(``delta_degC``/``K``) and subtracted (giving a difference); multiplying one is an error.

References
----------
JCGM 100:2008 4.1 (modelling the measurement), 5.1.3 (sensitivity coefficients as
partial derivatives); JCGM 101:2008 6.1.
"""

from __future__ import annotations

import ast
import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pint

from uncertainty.errors import ModelSyntaxError, UnitMismatchError
from uncertainty.expressions import (
    Dual,
    DualFn,
    FloatArray,
    Node,
    RevFn,
    Slot,
    Tape,
    ValueFn,
    affine,
    compile_binop,
    compile_function,
    compile_negation,
    compile_sum,
    const_node,
)
from uncertainty.units import DIMENSIONLESS, delta_unit, unit_quotient

__all__ = [
    "FUNCTIONS",
    "CompiledModel",
    "Equation",
    "ParsedModel",
    "compile_model",
    "parse_model",
]

FUNCTIONS: dict[str, int] = {
    "sqrt": 1, "exp": 1, "log": 1, "ln": 1, "log10": 1, "sin": 1, "cos": 1, "tan": 1,
    "asin": 1, "acos": 1, "atan": 1, "atan2": 2, "sinh": 1, "cosh": 1, "tanh": 1, "abs": 1,
}  # fmt: skip
"""Allowed functions and their number of arguments."""

MAX_EQUATION_LENGTH = 20_000
MAX_NODES = 20_000
MAX_DEPTH = 150

_CONSTRUCTS: dict[type[ast.AST], str] = {
    ast.Attribute: "attribute access",
    ast.Subscript: "subscripts",
    ast.Lambda: "lambda",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "comprehensions",
    ast.Compare: "comparisons",
    ast.BoolOp: "boolean operators",
    ast.IfExp: "conditional expressions",
    ast.NamedExpr: "assignment expressions",
    ast.Starred: "starred arguments",
    ast.List: "lists",
    ast.Tuple: "tuples",
    ast.Dict: "dicts",
    ast.Set: "sets",
    ast.JoinedStr: "f-strings",
    ast.Await: "await",
    ast.Yield: "yield",
}
_BINOPS: dict[type[ast.operator], str] = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**",
}  # fmt: skip


@dataclass(frozen=True)
class Equation:
    """One parsed equation ``lhs = expression``."""

    lhs: str
    source: str
    expression: ast.expr
    names: frozenset[str]


@dataclass(frozen=True)
class ParsedModel:
    """Equations in order; ``free_names`` are the names no equation defines."""

    equations: tuple[Equation, ...]
    free_names: tuple[str, ...]

    @property
    def defined(self) -> tuple[str, ...]:
        """Left-hand sides in order."""
        return tuple(eq.lhs for eq in self.equations)


def _shown(text: str) -> str:
    """The equation as quoted in error messages (long ones shortened)."""
    return text if len(text) <= 120 else text[:100] + " ... " + text[-15:]


def _reject(node: ast.AST, source: str, what: str | None = None) -> ModelSyntaxError:
    name = what or _CONSTRUCTS.get(type(node), f"'{type(node).__name__}' syntax")
    return ModelSyntaxError(
        f"equation {source!r}: {name} not allowed (allowed: numbers, names, + - * / **, "
        f"parentheses, functions {', '.join(FUNCTIONS)}, constants pi and e)",
        field="model",
    )


def _check_tree(tree: ast.expr, source: str) -> frozenset[str]:
    """Walk the whitelist (an explicit stack over the allowed node types); return the
    variable names used. Anything that is not a number, name, allowed operator or call of
    an allowed function is refused where it is met."""
    names: set[str] = set()
    stack: list[ast.expr] = [tree]
    count = 0
    while stack:
        node = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise ModelSyntaxError(f"equation {source[:60]!r}...: too long", field="model")
        if isinstance(node, ast.BinOp):
            if type(node.op) not in _BINOPS:
                raise _reject(node, source, f"operator {type(node.op).__name__}")
            stack.append(node.right)
            stack.append(node.left)
        elif isinstance(node, ast.Name):
            if node.id.startswith("__"):
                raise _reject(node, source, f"name {node.id!r}")
            names.add(node.id)
        elif isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, int | float):
                raise _reject(node, source, f"literal {node.value!r}")
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, ast.USub | ast.UAdd):
                raise _reject(node, source, f"operator {type(node.op).__name__}")
            stack.append(node.operand)
        elif isinstance(node, ast.Call):
            func = node.func
            if not isinstance(func, ast.Name):
                raise _reject(func, source)
            if func.id not in FUNCTIONS:
                raise _reject(node, source, f"call of {func.id!r}")
            if node.keywords or len(node.args) != FUNCTIONS[func.id]:
                raise ModelSyntaxError(
                    f"equation {source!r}: {func.id} takes {FUNCTIONS[func.id]} "
                    "positional argument(s)",
                    field="model",
                )
            stack.extend(reversed(node.args))
        else:
            raise _reject(node, source)
    return frozenset(names)


def parse_model(model: str | Sequence[str]) -> ParsedModel:
    """Parse and whitelist-check one or several equations.

    Examples
    --------
    >>> parse_model(["y = a * b", "z = y + c"]).free_names
    ('a', 'b', 'c')

    Raises
    ------
    ModelSyntaxError
        Naming the equation and the construct that is not allowed.
    """
    texts = [model] if isinstance(model, str) else list(model)
    if not texts:
        raise ModelSyntaxError("model has no equation", field="model")
    equations: list[Equation] = []
    defined: set[str] = set()
    free: list[str] = []
    for index, text in enumerate(texts):
        where = f"model[{index}]" if not isinstance(model, str) else "model"
        if not isinstance(text, str):
            raise ModelSyntaxError(f"equation must be a string, got {text!r}", field=where)
        if len(text) > MAX_EQUATION_LENGTH:
            raise ModelSyntaxError(f"equation is too long ({len(text)} characters)", field=where)
        lhs, sep, rhs = text.partition("=")
        shown = _shown(text)
        lhs = lhs.strip()
        if not sep or not lhs.isidentifier() or lhs.startswith("__") or rhs.startswith("="):
            raise ModelSyntaxError(f"equation {shown!r} must read 'name = expression'", field=where)
        if lhs in FUNCTIONS or lhs in ("pi",):
            raise ModelSyntaxError(f"equation {shown!r}: {lhs!r} is reserved", field=where)
        if lhs in defined:
            raise ModelSyntaxError(f"equation {shown!r}: {lhs!r} is defined twice", field=where)
        try:
            tree = ast.parse(rhs.strip(), mode="eval").body
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            raise ModelSyntaxError(
                f"equation {shown!r} is not a valid expression (syntax error, or nested too deeply for the parser)",
                field=where,
            ) from exc
        try:
            names = _check_tree(tree, _shown(text))
        except RecursionError as exc:
            raise ModelSyntaxError(f"equation {shown!r} is nested too deeply", field=where) from exc
        if lhs in names:
            raise ModelSyntaxError(f"equation {shown!r} uses its own left-hand side", field=where)
        for name in sorted(names):
            if name not in defined and name not in free:
                free.append(name)
        if lhs in free:
            raise ModelSyntaxError(
                f"equation {shown!r}: {lhs!r} is used by an earlier equation before it is defined",
                field=where,
            )
        defined.add(lhs)
        equations.append(Equation(lhs, _shown(text), tree, names))
    return ParsedModel(tuple(equations), tuple(free))


@dataclass
class _Compiler:
    units: dict[str, pint.Unit]
    constants: dict[str, float]
    source: str = ""
    known: tuple[str, ...] = ()
    depth: int = 0
    cache: dict[str, Node] = field(default_factory=dict)

    def compile(self, tree: ast.expr) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ModelSyntaxError(f"equation {self.source!r} is nested too deeply", field="model")
        try:
            return self._compile(tree)
        finally:
            self.depth -= 1

    def _compile(self, tree: ast.expr) -> Node:
        if isinstance(tree, ast.Constant):
            return const_node(float(tree.value), DIMENSIONLESS, self.source)  # type: ignore[arg-type]
        if isinstance(tree, ast.Name):
            return self.name(tree.id)
        if isinstance(tree, ast.UnaryOp):
            operand = self.compile(tree.operand)
            if isinstance(tree.op, ast.UAdd):
                return operand
            return compile_negation(self.source, operand)
        if isinstance(tree, ast.BinOp):
            return self.binop(tree)
        if isinstance(tree, ast.Call) and isinstance(tree.func, ast.Name):
            args = [self.compile(a) for a in tree.args]
            return compile_function(self.source, tree.func.id, args)
        raise _reject(tree, self.source)

    def name(self, name: str) -> Node:
        if name in self.cache:
            return self.cache[name]
        if name in self.constants:
            return const_node(self.constants[name], self.units[name], self.source)
        if name in self.units:

            def val(env: dict[str, FloatArray]) -> FloatArray:
                return env[name]

            def dual(env: dict[str, Dual]) -> Dual:
                return env[name]

            def rev(env: dict[str, Slot], tape: Tape) -> Slot:
                return env[name]

            return Node(val, dual, self.units[name], None, rev)
        if name == "pi":
            return const_node(math.pi, DIMENSIONLESS, self.source)
        if name == "e":
            return const_node(math.e, DIMENSIONLESS, self.source)
        raise ModelSyntaxError(
            f"equation {self.source!r}: unknown name {name!r}; known names: "
            f"{', '.join(sorted(self.known)) or '(none)'}",
            field="model",
        )

    def binop(self, tree: ast.BinOp) -> Node:
        if isinstance(tree.op, ast.Add | ast.Sub):
            # flatten a left-deep chain a ± b ± c ... into one n-ary sum (no deep recursion
            # at compile or evaluation time, however many terms)
            terms: list[tuple[str, ast.expr]] = []
            node: ast.expr = tree
            while isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub):
                terms.append(("+" if isinstance(node.op, ast.Add) else "-", node.right))
                node = node.left
            terms.append(("+", node))
            terms.reverse()
            return compile_sum(self.source, [(op, self.compile(t)) for op, t in terms])
        left = self.compile(tree.left)
        right = self.compile(tree.right)
        return compile_binop(self.source, _BINOPS[type(tree.op)], left, right)


@dataclass(frozen=True)
class CompiledModel:
    """A measurement model compiled once for values and first-order derivatives.

    ``evaluate`` is the JCGM 101 vector model (input magnitudes in input units ->
    output magnitudes in output units); ``gradient`` also returns the Jacobian, with one
    row per entry of ``input_names`` (sensitivity coefficients, JCGM 100:2008 5.1.3).
    """

    input_names: tuple[str, ...]
    output_names: tuple[str, ...]
    input_units: Mapping[str, pint.Unit]
    output_units: Mapping[str, pint.Unit]
    _equations: tuple[tuple[str, ValueFn, DualFn], ...]
    _outputs: tuple[tuple[str, str, float, float], ...]  # (name, lhs, c0, c1)
    _intermediates: frozenset[str]
    _reverse: tuple[tuple[str, RevFn], ...] | None = None
    """Reverse-mode closures (one budget, scalars); ``None`` when an operation has none."""

    def evaluate(self, values: Mapping[str, FloatArray]) -> dict[str, FloatArray]:
        """Output magnitudes for input magnitudes (arrays broadcast together)."""
        env: dict[str, FloatArray] = {
            n: np.asarray(values[n], dtype=np.float64) for n in self.input_names
        }
        for lhs, fn, _ in self._equations:
            env[lhs] = fn(env)
        shape = np.broadcast_shapes(*(np.shape(v) for v in env.values()))
        return {
            name: np.broadcast_to(c0 + c1 * env[lhs], shape).astype(np.float64, copy=False)
            for name, lhs, c0, c1 in self._outputs
        }

    def gradient(
        self, values: Mapping[str, FloatArray | float]
    ) -> tuple[dict[str, FloatArray], dict[str, FloatArray]]:
        """Outputs and Jacobians ``(len(input_names), *shape)`` at the given inputs.

        One budget (all inputs scalars) goes through reverse mode on Python floats: one
        forward sweep records the local partials, one backward sweep per output gives
        every sensitivity coefficient (cost independent of the number of inputs). Where
        Python raises and numpy would return inf/nan (x/0, sqrt of < 0, overflow), the
        budget is redone in forward mode on numpy scalars, which follows IEEE 754 like the
        array path. Tables of budgets (arrays) use forward mode with sparse tangents.

        References
        ----------
        JCGM 100:2008 5.1.3 (sensitivity coefficients are the partial derivatives).
        """
        raw = [values[name] for name in self.input_names]
        if all(
            type(v) is float or (v.ndim == 0 if isinstance(v, np.ndarray) else np.ndim(v) == 0)
            for v in raw
        ):
            scalars = [float(v) for v in raw]
            if self._reverse is not None:
                try:
                    return self._reverse_pass(scalars)
                except (ArithmeticError, ValueError):
                    pass
            return self._gradient_pass([np.float64(v) for v in scalars], ())
        arrays = [np.asarray(v, dtype=np.float64) for v in raw]
        shape = np.broadcast_shapes(*(a.shape for a in arrays))
        return self._gradient_pass(arrays, shape)

    def _reverse_pass(
        self, inputs: Sequence[float]
    ) -> tuple[dict[str, FloatArray], dict[str, FloatArray]]:
        """Reverse-mode sweep for one budget (see :meth:`gradient`)."""
        n = len(self.input_names)
        tape: Tape = [()] * n  # slots 0..n-1: the inputs
        env: dict[str, Slot] = {name: (inputs[i], i) for i, name in enumerate(self.input_names)}
        for lhs, fn in self._reverse or ():
            env[lhs] = fn(env, tape)
        size = len(tape)
        outs: dict[str, FloatArray] = {}
        jac: dict[str, FloatArray] = {}
        for name, lhs, c0, c1 in self._outputs:
            v, slot = env[lhs]
            outs[name] = np.asarray(c0 + c1 * v, dtype=np.float64)
            adjoint = [0.0] * (size + 1)  # the extra last element is the constants' sink
            if slot >= 0:
                adjoint[slot] = c1
                for j in range(size - 1, n - 1, -1):
                    g = adjoint[j]
                    for operand, partial in tape[j]:
                        adjoint[operand] += g * partial
            jac[name] = np.array(adjoint[:n], dtype=np.float64)
        return outs, jac

    def _gradient_pass(
        self, inputs: Sequence[Any], shape: tuple[int, ...]
    ) -> tuple[dict[str, FloatArray], dict[str, FloatArray]]:
        """One forward-mode pass over the equations (inputs in ``input_names`` order)."""
        n = len(self.input_names)
        env: dict[str, Dual] = dict(
            zip(self.input_names, zip(inputs, self._seeds, strict=True), strict=True)
        )
        for lhs, _, fn in self._equations:
            env[lhs] = fn(env)
        outs: dict[str, FloatArray] = {}
        jac: dict[str, FloatArray] = {}
        for name, lhs, c0, c1 in self._outputs:
            v, t = env[lhs]
            outs[name] = np.broadcast_to(np.asarray(c0 + c1 * v), shape).astype(np.float64)
            tangent = np.zeros((n, *shape))
            if t:
                if shape:
                    for key, value in t.items():
                        tangent[key] = c1 * value
                else:  # one fancy assignment instead of n scalar ones
                    tangent[list(t)] = np.fromiter(t.values(), np.float64, len(t)) * c1
            jac[name] = tangent
        return outs, jac

    @functools.cached_property
    def _seeds(self) -> list[dict[int, Any]]:
        """Sparse unit tangents, one per input (forward-mode seeds)."""
        return [{i: 1.0} for i in range(len(self.input_names))]

    def sensitivity_unit(self, output: str, input_name: str) -> pint.Unit:
        """Unit of ∂output/∂input (differences for absolute temperatures)."""
        return unit_quotient(
            delta_unit(self.output_units[output]), delta_unit(self.input_units[input_name])
        )


def compile_model(
    parsed: ParsedModel,
    input_units: Mapping[str, pint.Unit],
    *,
    constants: Mapping[str, tuple[float, pint.Unit]] | None = None,
    outputs: Mapping[str, pint.Unit | None] | None = None,
) -> CompiledModel:
    """Resolve names, check dimensions and compile the closures once.

    Parameters
    ----------
    parsed:
        From :func:`parse_model`.
    input_units:
        Unit of each uncertain input quantity (the Jacobian's rows, in this order).
    constants:
        Exactly known named values with units (folded at compile time).
    outputs:
        Left-hand sides to report, each with a requested unit (``None``: the unit the
        model produces). Default: the last equation.

    Raises
    ------
    ModelSyntaxError, UnitMismatchError
        Unknown names (listing the known ones), forbidden constructs, dimension errors.
    """
    constants = dict(constants or {})
    clash = set(constants) & set(input_units)
    if clash:
        raise ModelSyntaxError(f"{sorted(clash)} are both inputs and constants", field="constants")
    for lhs in parsed.defined:
        if lhs in input_units or lhs in constants:
            raise ModelSyntaxError(
                f"{lhs!r} is computed by the model and also given as an input",
                field=f"inputs.{lhs}",
            )
    units: dict[str, pint.Unit] = dict(input_units)
    units.update({k: u for k, (_, u) in constants.items()})
    compiler = _Compiler(
        units=units,
        constants={k: float(v) for k, (v, _) in constants.items()},
        known=(*input_units, *constants, *parsed.defined),
    )
    compiled: list[tuple[str, ValueFn, DualFn]] = []
    reverse: list[tuple[str, RevFn | None]] = []
    lhs_units: dict[str, pint.Unit] = {}
    for eq in parsed.equations:
        compiler.source = eq.source
        try:
            node = compiler.compile(eq.expression)
        except RecursionError as exc:
            raise ModelSyntaxError(
                f"equation {eq.source!r} is nested too deeply", field="model"
            ) from exc
        if node.const is not None:
            const_node = node
            compiler.cache[eq.lhs] = const_node
        else:
            lhs = eq.lhs

            def val(env: dict[str, FloatArray], _lhs: str = lhs) -> FloatArray:
                return env[_lhs]

            def dual(env: dict[str, Dual], _lhs: str = lhs) -> Dual:
                return env[_lhs]

            def rev(env: dict[str, Slot], tape: Tape, _lhs: str = lhs) -> Slot:
                return env[_lhs]

            compiler.cache[eq.lhs] = Node(val, dual, node.unit, None, rev)
        compiled.append((eq.lhs, node.value, node.dual))
        reverse.append((eq.lhs, node.rev))
        lhs_units[eq.lhs] = node.unit
    wanted = dict(outputs) if outputs else {parsed.defined[-1]: None}
    out_specs: list[tuple[str, str, float, float]] = []
    out_units: dict[str, pint.Unit] = {}
    for name, unit in wanted.items():
        if name not in lhs_units:
            raise ModelSyntaxError(
                f"output {name!r} is not computed by the model (left-hand sides: "
                f"{', '.join(parsed.defined)})",
                field=f"outputs.{name}",
            )
        target = lhs_units[name] if unit is None else unit
        try:
            c0, c1 = affine(lhs_units[name], target)
        except (pint.DimensionalityError, pint.errors.OffsetUnitCalculusError) as exc:
            raise UnitMismatchError(
                f"output {name!r} has unit {lhs_units[name]:~P}, which cannot be expressed "
                f"in {target:~P}",
                field=f"outputs.{name}.unit",
            ) from exc
        out_specs.append((name, name, c0, c1))
        out_units[name] = target
    return CompiledModel(
        input_names=tuple(input_units),
        output_names=tuple(wanted),
        input_units=dict(input_units),
        output_units=out_units,
        _equations=tuple(compiled),
        _outputs=tuple(out_specs),
        _intermediates=frozenset(parsed.defined),
        _reverse=None
        if any(fn is None for _, fn in reverse)
        else tuple((lhs, fn) for lhs, fn in reverse if fn is not None),
    )
