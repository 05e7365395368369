"""Value and derivative rules of model operations, with their unit rules.

Each operation of a measurement model becomes a :class:`Node`: a closure for the value, a
closure for the value with its tangent (forward-mode dual numbers: a sparse tangent per
input, so one pass gives every first-order partial derivative), and the pint unit of
the result. Constant sub-expressions are folded at compile time, with bounds: a
constant exponent larger than :data:`MAX_EXPONENT` in magnitude is refused before any
arithmetic happens.

Unit rules (checked once, at compile time): ``+``/``-`` need compatible dimensions and
convert the right operand into the left one's unit; an absolute temperature (``degC``)
may be shifted by a difference (``delta_degC`` or ``K``) and stays absolute; the
difference of two absolute temperatures is a difference; adding two absolute
temperatures, or multiplying, dividing, raising or taking a function of one, is an error.

References
----------
JCGM 100:2008 5.1.3 (sensitivity coefficients are the partial derivatives ∂f/∂x_i).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pint
from numpy.typing import NDArray

from uncertainty.errors import ModelSyntaxError, UnitMismatchError
from uncertainty.units import (
    DIMENSIONLESS,
    Q_,
    delta_unit,
    is_offset_unit,
    unit_power,
    unit_product,
    unit_quotient,
    ureg,
)

__all__ = [
    "MAX_EXPONENT",
    "Dual",
    "DualFn",
    "FloatArray",
    "Node",
    "RevFn",
    "Slot",
    "Tape",
    "ValueFn",
    "affine",
    "compile_binop",
    "compile_function",
    "compile_negation",
    "compile_sum",
    "const_node",
]

FloatArray = NDArray[np.float64]
Tangent = dict[int, Any] | None
"""Sparse tangent: input index -> ∂value/∂input (scalar or array); ``None`` when constant."""
Dual = tuple[FloatArray, Tangent]
ValueFn = Callable[[dict[str, FloatArray]], FloatArray]
DualFn = Callable[[dict[str, Dual]], Dual]
Tape = list[tuple[tuple[int, Any], ...]]
"""Reverse-mode tape: entry j holds (slot, local partial) pairs of node j's operands.
Slots 0..n-1 are the inputs (empty entries); slot -1 is a sink for constants."""
Slot = tuple[Any, int]
RevFn = Callable[[dict[str, Slot], Tape], Slot]
"""Evaluate on scalars, record the local partials on the tape, return (value, slot)."""

_RADIAN: pint.Unit = ureg.Unit("radian")
_DIMENSIONLESS: pint.Unit = DIMENSIONLESS
MAX_EXPONENT = 1024.0
"""Largest magnitude of a constant exponent (refuses exponent bombs such as 9**9**9)."""


@dataclass
class Node:
    """A compiled sub-expression: value closure, dual closure, unit, folded constant."""

    value: ValueFn
    dual: DualFn
    unit: pint.Unit
    const: float | None = None
    rev: RevFn | None = None
    """Reverse-mode closure for one budget (scalars); ``None`` falls back to ``dual``."""


def _record(tape: Tape, entry: tuple[tuple[int, Any], ...]) -> int:
    """Append a node's (operand slot, partial) pairs; return the node's slot."""
    tape.append(entry)
    return len(tape) - 1


def _fail(source: str, message: str) -> UnitMismatchError:
    return UnitMismatchError(f"equation {source!r}: {message}", field="model")


def _no_offset(source: str, unit: pint.Unit, what: str) -> None:
    if is_offset_unit(unit):
        raise _fail(
            source,
            f"{what} an absolute temperature in {unit:~P} is not defined; use temperature "
            "differences (K or delta_degC), or convert the absolute temperature to K first",
        )


def const_node(value: float, unit: pint.Unit, source: str) -> Node:
    """A folded constant (refuses non-finite results: overflow, log of 0 ...)."""
    if not math.isfinite(value):
        raise ModelSyntaxError(
            f"equation {source!r}: a constant part evaluates to {value} (overflow or undefined)",
            field="model",
        )
    arr = np.asarray(value, dtype=np.float64)

    def val(env: dict[str, FloatArray]) -> FloatArray:
        return arr

    def dual(env: dict[str, Dual]) -> Dual:
        return arr, None

    scalar = float(value)

    def rev(env: dict[str, Slot], tape: Tape) -> Slot:
        return scalar, -1

    return Node(val, dual, unit, value, rev)


@functools.lru_cache(maxsize=4096)
def affine(unit_from: pint.Unit, unit_to: pint.Unit) -> tuple[float, float]:
    """(c0, c1) with magnitude_to = c0 + c1·magnitude_from (pint conversion)."""
    c0 = float(Q_(0.0, unit_from).to(unit_to).magnitude)
    c1 = float(Q_(1.0, unit_from).to(unit_to).magnitude) - c0
    return c0, c1


def _add_t(a: Tangent, b: Tangent) -> Tangent:
    if a is None:
        return b
    if b is None:
        return a
    if len(a) < len(b):
        a, b = b, a
    out = dict(a)
    for key, value in b.items():
        out[key] = out[key] + value if key in out else value
    return out


def _mul_t(t: Tangent, g: Any) -> Tangent:
    return None if t is None else {key: value * g for key, value in t.items()}


def _accumulate(total: dict[int, Any], t: Tangent, k: float = 1.0) -> None:
    """total += k·t in place (total is owned by the caller)."""
    if t is None:
        return
    for key, value in t.items():
        term = value if k == 1.0 else k * value
        total[key] = total[key] + term if key in total else term


def compile_negation(source: str, operand: Node) -> Node:
    """-x (JCGM 100:2008 5.1.3: ∂(−x)/∂x = −1)."""
    _no_offset(source, operand.unit, "negating")
    if operand.const is not None:
        return const_node(-operand.const, operand.unit, source)
    ov, od = operand.value, operand.dual

    def val(env: dict[str, FloatArray]) -> FloatArray:
        return -ov(env)

    def dual(env: dict[str, Dual]) -> Dual:
        v, t = od(env)
        return -v, _mul_t(t, -1.0)

    orev = operand.rev
    if orev is None:
        return Node(val, dual, operand.unit)

    def rev(env: dict[str, Slot], tape: Tape) -> Slot:
        v, slot = orev(env, tape)
        return -v, _record(tape, ((slot, -1.0),))

    return Node(val, dual, operand.unit, None, rev)


def _sum_rule(
    source: str, op: str, ua: pint.Unit, ub: pint.Unit
) -> tuple[pint.Unit, float, float, float]:
    """Unit of a ± b and the affine map result = c0 + ca·a + cb·b."""
    sign = 1.0 if op == "+" else -1.0
    a_off, b_off = is_offset_unit(ua), is_offset_unit(ub)
    try:
        if a_off and b_off:
            if op == "+":
                raise _fail(source, f"adding two absolute temperatures ({ua:~P} + {ub:~P})")
            d0, d1 = affine(ub, ua)
            return delta_unit(ua), -d0, 1.0, -d1
        if a_off:
            return ua, 0.0, 1.0, sign * affine(ub, delta_unit(ua))[1]
        if b_off:
            if op == "-":
                raise _fail(
                    source, f"subtracting an absolute temperature ({ub:~P}) from a difference"
                )
            return ub, 0.0, affine(ua, delta_unit(ub))[1], 1.0
        return ua, 0.0, 1.0, sign * affine(ub, ua)[1]
    except pint.DimensionalityError as exc:
        raise _fail(
            source,
            f"cannot {'add' if op == '+' else 'subtract'} {ub:~P} "
            f"{'to' if op == '+' else 'from'} {ua:~P}: dimensions differ",
        ) from exc


def _plain_sum(left: Node, right: Node, add: bool, unit: pint.Unit) -> Node:
    """a + b or a − b in one unit (the common case, without scaling)."""
    lv, ld, rv, rd = left.value, left.dual, right.value, right.dual
    lr, rr = left.rev, right.rev
    if add:

        def aval(env: dict[str, FloatArray]) -> FloatArray:
            return lv(env) + rv(env)

        def adual(env: dict[str, Dual]) -> Dual:
            a, ta = ld(env)
            b, tb = rd(env)
            return a + b, _add_t(ta, tb)

        if lr is None or rr is None:
            return Node(aval, adual, unit)

        def arev(env: dict[str, Slot], tape: Tape) -> Slot:
            a, sa = lr(env, tape)
            b, sb = rr(env, tape)
            return a + b, _record(tape, ((sa, 1.0), (sb, 1.0)))

        return Node(aval, adual, unit, None, arev)

    def sval(env: dict[str, FloatArray]) -> FloatArray:
        return lv(env) - rv(env)

    def sdual(env: dict[str, Dual]) -> Dual:
        a, ta = ld(env)
        b, tb = rd(env)
        if tb is None:
            return a - b, ta
        return a - b, _add_t(ta, _mul_t(tb, -1.0))

    if lr is None or rr is None:
        return Node(sval, sdual, unit)

    def srev(env: dict[str, Slot], tape: Tape) -> Slot:
        a, sa = lr(env, tape)
        b, sb = rr(env, tape)
        return a - b, _record(tape, ((sa, 1.0), (sb, -1.0)))

    return Node(sval, sdual, unit, None, srev)


def compile_sum(source: str, terms: Sequence[tuple[str, Node]]) -> Node:
    """t0 ± t1 ± t2 ... as one node: c0 + Σ k_i·t_i (units folded left to right).

    References
    ----------
    JCGM 100:2008 5.1.3 (∂/∂x of a sum of terms).
    """
    first = terms[0][1]
    unit = first.unit
    c0, coefficients = 0.0, [1.0]
    for op, node in terms[1:]:
        unit, d0, da, db = _sum_rule(source, op, unit, node.unit)
        c0 = d0 + da * c0
        coefficients = [da * k for k in coefficients] + [db]
    nodes = [node for _, node in terms]
    if len(nodes) == 2 and c0 == 0.0 and coefficients[0] == 1.0 and coefficients[1] in (1.0, -1.0):
        return _plain_sum(nodes[0], nodes[1], coefficients[1] == 1.0, unit)
    constant = c0 + sum(
        k * n.const for k, n in zip(coefficients, nodes, strict=True) if n.const is not None
    )
    variable = [(k, n) for k, n in zip(coefficients, nodes, strict=True) if n.const is None]
    if not variable:
        return const_node(constant, unit, source)
    values = [(k, n.value) for k, n in variable]
    duals = [(k, n.dual) for k, n in variable]

    def val(env: dict[str, FloatArray]) -> FloatArray:
        total: FloatArray = np.asarray(constant)
        for k, fn in values:
            total = total + (fn(env) if k == 1.0 else k * fn(env))
        return total

    def dual(env: dict[str, Dual]) -> Dual:
        total: FloatArray = np.asarray(constant)
        tangent: dict[int, Any] = {}
        for k, fn in duals:
            v, t = fn(env)
            total = total + v if k == 1.0 else total + k * v
            _accumulate(tangent, t, k)
        return total, tangent

    revs = [(k, n.rev) for k, n in variable]
    if any(fn is None for _, fn in revs):
        return Node(val, dual, unit)
    scalar = float(constant)

    def rev(env: dict[str, Slot], tape: Tape) -> Slot:
        total = scalar
        entry = []
        for k, fn in revs:
            v, slot = fn(env, tape)  # type: ignore[misc]
            total += v if k == 1.0 else k * v
            entry.append((slot, k))
        return total, _record(tape, tuple(entry))

    return Node(val, dual, unit, None, rev)


def compile_binop(source: str, op: str, left: Node, right: Node) -> Node:
    """a + b, a − b, a·b, a/b, a**b with unit checks and derivative rules."""
    if op in "+-":
        unit, c0, ca, cb = _sum_rule(source, op, left.unit, right.unit)
        if left.const is not None and right.const is not None:
            return const_node(c0 + ca * left.const + cb * right.const, unit, source)
        lv, ld, rv, rd = left.value, left.dual, right.value, right.dual
        if c0 == 0.0 and ca == 1.0 and cb in (1.0, -1.0):
            return _plain_sum(left, right, cb == 1.0, unit)

        def val(env: dict[str, FloatArray]) -> FloatArray:
            return c0 + ca * lv(env) + cb * rv(env)

        def dual(env: dict[str, Dual]) -> Dual:
            a, ta = ld(env)
            b, tb = rd(env)
            return c0 + ca * a + cb * b, _add_t(_mul_t(ta, ca) if ca != 1.0 else ta, _mul_t(tb, cb))

        lrev, rrev = left.rev, right.rev
        if lrev is None or rrev is None:
            return Node(val, dual, unit)

        def rev(env: dict[str, Slot], tape: Tape) -> Slot:
            a, sa = lrev(env, tape)
            b, sb = rrev(env, tape)
            return c0 + ca * a + cb * b, _record(tape, ((sa, ca), (sb, cb)))

        return Node(val, dual, unit, None, rev)
    _no_offset(source, left.unit, "multiplying, dividing or raising")
    _no_offset(source, right.unit, "multiplying, dividing or raising")
    if op == "**":
        return _power(source, left, right)
    unit = (
        unit_product(left.unit, right.unit) if op == "*" else unit_quotient(left.unit, right.unit)
    )
    if left.const is not None and right.const is not None:
        if op == "/" and right.const == 0.0:
            raise ModelSyntaxError(f"equation {source!r}: division by zero", field="model")
        folded = left.const * right.const if op == "*" else left.const / right.const
        return const_node(folded, unit, source)
    lv, ld, rv, rd = left.value, left.dual, right.value, right.dual
    lr, rr = left.rev, right.rev
    if op == "*":

        def mval(env: dict[str, FloatArray]) -> FloatArray:
            return lv(env) * rv(env)

        def mdual(env: dict[str, Dual]) -> Dual:
            a, ta = ld(env)
            b, tb = rd(env)
            # product rule, inlined: this is the hot path of long budgets
            if ta is None:
                return a * b, None if tb is None else {k: v * a for k, v in tb.items()}
            out = {k: v * b for k, v in ta.items()}
            if tb is not None:
                for k, v in tb.items():
                    out[k] = out[k] + v * a if k in out else v * a
            return a * b, out

        if lr is None or rr is None:
            return Node(mval, mdual, unit)

        def mrev(env: dict[str, Slot], tape: Tape) -> Slot:
            a, sa = lr(env, tape)
            b, sb = rr(env, tape)
            return a * b, _record(tape, ((sa, b), (sb, a)))

        return Node(mval, mdual, unit, None, mrev)

    def dval(env: dict[str, FloatArray]) -> FloatArray:
        return lv(env) / rv(env)

    def ddual(env: dict[str, Dual]) -> Dual:
        a, ta = ld(env)
        b, tb = rd(env)
        q = a / b
        return q, _add_t(_mul_t(ta, 1.0 / b), _mul_t(tb, -q / b))

    if lr is None or rr is None:
        return Node(dval, ddual, unit)

    def drev(env: dict[str, Slot], tape: Tape) -> Slot:
        a, sa = lr(env, tape)
        b, sb = rr(env, tape)
        q = a / b
        return q, _record(tape, ((sa, 1.0 / b), (sb, -q / b)))

    return Node(dval, ddual, unit, None, drev)


def _power(source: str, left: Node, right: Node) -> Node:
    if right.const is not None:
        n = right.const
        if abs(n) > MAX_EXPONENT:
            raise ModelSyntaxError(
                f"equation {source!r}: exponent {n:.6g} is too large (|exponent| <= "
                f"{MAX_EXPONENT:g} allowed)",
                field="model",
            )
        unit = unit_power(left.unit, n)
        if left.const is not None:
            try:
                folded = math.pow(left.const, n)
            except (OverflowError, ValueError, ZeroDivisionError) as exc:
                raise ModelSyntaxError(
                    f"equation {source!r}: {left.const:g} ** {n:g} is not a finite number",
                    field="model",
                ) from exc
            return const_node(folded, unit, source)
        lv, ld = left.value, left.dual

        def val(env: dict[str, FloatArray]) -> FloatArray:
            return np.power(lv(env), n)

        def dual(env: dict[str, Dual]) -> Dual:
            a, ta = ld(env)
            return np.power(a, n), _mul_t(ta, n * np.power(a, n - 1.0))

        lr = left.rev
        if lr is None:
            return Node(val, dual, unit)

        def rev(env: dict[str, Slot], tape: Tape) -> Slot:
            a, slot = lr(env, tape)
            # math.pow raises (ValueError/OverflowError) where np.power gives nan/inf:
            # the caller then redoes the budget with the forward-mode path
            return math.pow(a, n), _record(tape, ((slot, n * math.pow(a, n - 1.0)),))

        return Node(val, dual, unit, None, rev)
    for side, node in (("base", left), ("exponent", right)):
        if not node.unit.dimensionless:
            raise _fail(
                source, f"a variable exponent needs a dimensionless {side}, got {node.unit:~P}"
            )
    ka = affine(left.unit, _DIMENSIONLESS)[1]
    kb = affine(right.unit, _DIMENSIONLESS)[1]
    lv, ld, rv, rd = left.value, left.dual, right.value, right.dual

    def gval(env: dict[str, FloatArray]) -> FloatArray:
        return np.power(ka * lv(env), kb * rv(env))

    def gdual(env: dict[str, Dual]) -> Dual:
        a, ta = ld(env)
        b, tb = rd(env)
        y = np.power(ka * a, kb * b)
        return y, _add_t(_mul_t(ta, y * kb * b / a), _mul_t(tb, y * kb * np.log(ka * a)))

    return Node(gval, gdual, _DIMENSIONLESS)


# name -> (f, f') on dimensionless magnitudes
_UNARY: dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {
    "exp": (np.exp, np.exp),
    "log": (np.log, lambda x: 1.0 / x),
    "ln": (np.log, lambda x: 1.0 / x),
    "log10": (np.log10, lambda x: 1.0 / (x * math.log(10.0))),
    "sin": (np.sin, np.cos),
    "cos": (np.cos, lambda x: -np.sin(x)),
    "tan": (np.tan, lambda x: 1.0 / np.cos(x) ** 2),
    "asin": (np.arcsin, lambda x: 1.0 / np.sqrt(1.0 - x * x)),
    "acos": (np.arccos, lambda x: -1.0 / np.sqrt(1.0 - x * x)),
    "atan": (np.arctan, lambda x: 1.0 / (1.0 + x * x)),
    "sinh": (np.sinh, np.cosh),
    "cosh": (np.cosh, np.sinh),
    "tanh": (np.tanh, lambda x: 1.0 - np.tanh(x) ** 2),
}


def _fold(source: str, func: str, f: Callable[[Any], Any], *args: float) -> float:
    with np.errstate(all="ignore"):
        return float(f(*args))


def compile_function(source: str, func: str, args: Sequence[Node]) -> Node:
    """sqrt, abs, atan2 and the dimensionless functions of :data:`_UNARY`."""
    for arg in args:
        _no_offset(source, arg.unit, f"{func}() of")
    if func == "sqrt":
        (x,) = args
        unit: pint.Unit = unit_power(x.unit, 0.5)
        if x.const is not None:
            return const_node(_fold(source, func, np.sqrt, x.const), unit, source)
        xv, xd = x.value, x.dual

        def sval(env: dict[str, FloatArray]) -> FloatArray:
            return np.sqrt(xv(env))

        def sdual(env: dict[str, Dual]) -> Dual:
            a, ta = xd(env)
            r = np.sqrt(a)
            return r, _mul_t(ta, 0.5 / r)

        sqrt_rev = x.rev
        if sqrt_rev is None:
            return Node(sval, sdual, unit)

        def srev(env: dict[str, Slot], tape: Tape) -> Slot:
            a, slot = sqrt_rev(env, tape)
            r = math.sqrt(a)
            return r, _record(tape, ((slot, 0.5 / r),))

        return Node(sval, sdual, unit, None, srev)
    if func == "abs":
        (x,) = args
        if x.const is not None:
            return const_node(abs(x.const), x.unit, source)
        xv, xd = x.value, x.dual

        def aval(env: dict[str, FloatArray]) -> FloatArray:
            return np.abs(xv(env))

        def adual(env: dict[str, Dual]) -> Dual:
            a, ta = xd(env)
            return np.abs(a), _mul_t(ta, np.sign(a))

        return Node(aval, adual, x.unit)
    if func == "atan2":
        y, x = args
        try:
            k = affine(x.unit, y.unit)[1]
        except pint.DimensionalityError as exc:
            raise _fail(
                source, f"atan2() needs arguments of one dimension, got {y.unit:~P} and {x.unit:~P}"
            ) from exc
        if y.const is not None and x.const is not None:
            return const_node(math.atan2(y.const, k * x.const), _RADIAN, source)
        yv, yd, xv, xd = y.value, y.dual, x.value, x.dual

        def tval(env: dict[str, FloatArray]) -> FloatArray:
            return np.arctan2(yv(env), k * xv(env))

        def tdual(env: dict[str, Dual]) -> Dual:
            b, tb = yd(env)
            a, ta = xd(env)
            a = k * a
            d = a * a + b * b
            return np.arctan2(b, a), _add_t(_mul_t(tb, a / d), _mul_t(ta, -k * b / d))

        return Node(tval, tdual, _RADIAN)
    (x,) = args
    try:
        k = affine(x.unit, _DIMENSIONLESS)[1]
    except pint.DimensionalityError as exc:
        raise _fail(source, f"{func}() needs a dimensionless argument, got {x.unit:~P}") from exc
    f, df = _UNARY[func]
    unit = _RADIAN if func in ("asin", "acos", "atan") else _DIMENSIONLESS
    if x.const is not None:
        return const_node(_fold(source, func, f, k * x.const), unit, source)
    xv, xd = x.value, x.dual

    def fval(env: dict[str, FloatArray]) -> FloatArray:
        return np.asarray(f(k * xv(env)), dtype=np.float64)

    def fdual(env: dict[str, Dual]) -> Dual:
        a, ta = xd(env)
        ka = k * a
        return np.asarray(f(ka), dtype=np.float64), _mul_t(ta, k * df(ka))

    xr = x.rev
    if xr is None:
        return Node(fval, fdual, unit)

    def frev(env: dict[str, Slot], tape: Tape) -> Slot:
        a, slot = xr(env, tape)
        ka = k * a
        return float(f(ka)), _record(tape, ((slot, k * float(df(ka))),))

    return Node(fval, fdual, unit, None, frev)
