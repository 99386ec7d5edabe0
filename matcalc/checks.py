"""Gradient, Jacobian and Hessian checks against numerical differentiation.

Each check calls the student's derivative function at one or more points,
compares it with central differences of ``f`` and, on a mismatch, raises
:class:`~matcalc.diagnose.GradientCheckError` with a diagnosis.  The
student's function must be analytic: a function that calls matcalc's
numerical routines, or evaluates ``f`` at nearby points while it runs, is
rejected.  It is called on read-only copies of the points (the caller's arrays
never change); writing to its input is named as such.
"""
import sys
import warnings
from dataclasses import dataclass

import numpy as np

from . import numerical
from ._watch import watching
from .diagnose import (Comparison, GradientCheckError, as_answer, diagnose, explain_exception, raise_if_not_finite,
                       rel_error, writes_to_input)

DIRECTIONAL_ABOVE = 1000  # inputs larger than this are checked along random directions first
DIRECTIONS = 3


@dataclass(frozen=True)
class CheckResult:
    """What a passing check measured."""

    kind: str
    max_rel_error: float
    points: int
    f_evaluations: int
    directional: bool = False

    def __str__(self):
        how = f" along {DIRECTIONS} random directions" if self.directional else ""
        return (f"✓ {self.kind} check passed at {self.points} point(s){how}: "
                f"max relative error {self.max_rel_error:.1e}")

    def _repr_pretty_(self, printer, cycle):  # how IPython shows it at the end of a cell
        printer.text(str(self))


class _CountedFunction:
    """``f`` with a call counter, for the cost of a check."""

    def __init__(self, f):
        self.f, self.calls = f, 0

    def __call__(self, x):
        self.calls += 1
        return self.f(x)


def _snapshot(value):
    try:
        return np.array(value, dtype=np.float64)
    except Exception:
        return None


def _perturbed(seen, x):
    """Whether ``f`` was called at points a small step away from ``x`` (finite differences)."""
    reach = 0.1 * max(1.0, float(np.max(np.abs(x)))) if x.size else 0.1
    for point in seen:
        if point is not None and point.size == x.size and point.size:
            delta = np.abs(point.reshape(x.shape) - x)
            if 0 < np.max(delta) <= reach:
                return True
    return False


def _read_only(x):
    """A copy of the point that the student's function cannot write to (a float for a 0-d point)."""
    if x.ndim == 0:
        return float(x)
    arg = x.copy()
    arg.setflags(write=False)
    return arg


def _call_analytic(fn, f, x, name):
    """Run the student's ``fn`` on a read-only copy of ``x``, watching for numerical differentiation.

    Returns the value and the NumPy warnings (divide by zero, overflow ...) raised while it ran.
    """
    __tracebackhide__ = True  # IPython: hide this frame when a NotImplementedError passes through
    code = getattr(f, "__code__", None)
    seen = []

    def profiler(frame, event, arg):
        if event == "call" and frame.f_code is code and code.co_varnames:
            seen.append(_snapshot(frame.f_locals.get(code.co_varnames[0])))

    previous = sys.getprofile()
    with watching() as calls, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        if code is not None:
            sys.setprofile(profiler)
        try:
            value = fn(_read_only(x))
        except (NotImplementedError, GradientCheckError):
            raise
        except Exception as exc:
            if writes_to_input(exc):
                raise GradientCheckError(
                    "modifies its input",
                    f"{name} writes to its input x; graded functions must not modify their arguments. "
                    "Work on a copy (x = x.copy(), or x - c instead of x -= c).") from exc
            raise GradientCheckError("raised an exception", explain_exception(exc, name)) from exc
        finally:
            sys.setprofile(previous)
    if calls or _perturbed(seen, x):
        used = f" (it called {', '.join(sorted(set(calls)))})" if calls else " (it evaluates f at nearby points)"
        raise GradientCheckError(
            "numerical differentiation",
            f"{name} differentiates numerically{used}: graded gradients must be derived analytically. "
            "Write the formula you derived; the numerical routines are only for checking it.")
    noted = []
    for w in caught:  # shown to the student as usual, and kept as evidence for a non-finite answer
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        text = f"{w.message} (line {w.lineno})"
        if issubclass(w.category, RuntimeWarning) and text not in noted:
            noted.append(text)
    return value, noted


def _random_unit(rng, shape):
    v = rng.standard_normal(shape)
    return v / np.linalg.norm(v)


def _directional_error(kind, got, f, x, out_shape, rng):
    """Compare vᵀ·D·u for random directions (2 evaluations of f each; 4 for a Hessian)."""
    h = numerical.CENTRAL_STEP * max(1.0, float(np.max(np.abs(x))))
    worst = 0.0
    for _ in range(DIRECTIONS):
        u = _random_unit(rng, x.shape)
        if kind == "hessian":
            v = _random_unit(rng, x.shape)
            h2 = numerical.HESSIAN_STEP * max(1.0, float(np.max(np.abs(x))))
            numeric = (f(x + h2 * u + h2 * v) - f(x + h2 * u - h2 * v)
                       - f(x - h2 * u + h2 * v) + f(x - h2 * u - h2 * v)) / (4 * h2 * h2)
            terms = np.multiply.outer(v, u) * got
        else:
            v = _random_unit(rng, out_shape) if out_shape else np.ones(())
            numeric = np.sum(v * (np.asarray(f(x + h * u)) - np.asarray(f(x - h * u))) / (2 * h))
            terms = np.multiply.outer(v, u) * got
        analytic = float(np.sum(terms))
        scale = max(1e-12, float(np.sum(np.abs(terms))) + abs(float(numeric)))
        worst = max(worst, abs(analytic - float(numeric)) / scale)
    return worst


def _noise_floor(kind, value, x):
    """Size below which a numerical derivative is rounding noise: ~eps|f|/h (first) or eps|f|/h² (Hessian).

    Entries smaller than this are compared absolutely, so an exact zero is not
    mistaken for a wrong answer.
    """
    size = max(1.0, float(np.max(np.abs(value))) if value.size else 1.0)
    reach = max(1.0, float(np.max(np.abs(x)))) if x.size else 1.0
    return 1e-3 * size / reach if kind != "hessian" else 0.1 * size / reach**2


def _expected(kind, f, x):
    if kind == "hessian":
        return numerical.numerical_hessian(f, x)
    return numerical.numerical_jacobian(f, x)


def _probe_points(x, rng, count=2):
    """Points near ``x`` with the same signs (so most domains are kept), to confirm a diagnosis."""
    for _ in range(count):
        u = rng.uniform(-1.0, 1.0, x.shape)
        yield x * (1 + 0.3 * u) + np.where(x == 0, 0.1 * u, 0.0)


def _compare(kind, fn, counted, x, name, rng, rtol, directional):
    """The student's answer and the numerical one at ``x``; None for the numerical one when directions agree."""
    value, noted = _call_analytic(fn, counted.f, x, name)
    got = as_answer(value, name)
    out = np.asarray(counted(float(x) if x.ndim == 0 else x.copy()), dtype=np.float64)
    out_shape = () if kind == "hessian" else out.shape
    if kind == "gradient" and out_shape != ():
        raise ValueError(f"check_gradient needs a scalar-valued f (f returned shape {out_shape}); use check_jacobian")
    expected_shape = (x.shape + x.shape) if kind == "hessian" else out_shape + x.shape
    if directional and got.shape == expected_shape and np.all(np.isfinite(got)):
        err = _directional_error(kind, got, counted, x, out_shape, rng)
        if err <= rtol:
            return out_shape, err, None
    expected = np.asarray(_expected(kind, counted, x), dtype=np.float64).reshape(expected_shape)
    raise_if_not_finite(name, x, got, expected, noted)
    return out_shape, None, Comparison(x, got, expected, _noise_floor(kind, out, x))


def _check(kind, fn, f, points, rtol, mistakes, directional, name):
    __tracebackhide__ = True  # IPython: hide this frame when a NotImplementedError passes through
    name = name or f"{getattr(fn, '__name__', 'your function')}(x)"
    counted = _CountedFunction(f)
    rng = np.random.default_rng(0)
    errors, compared, out_shape = [], [], ()
    for point in points:
        x = numerical.as_point(point)
        wants = x.size > DIRECTIONAL_ABOVE if directional is None else directional
        out_shape, err, comparison = _compare(kind, fn, counted, x, name, rng, rtol, wants)
        if comparison is None:
            errors.append(err)
        else:
            compared.append(comparison)
    if compared:
        def probe():
            found = []
            for x in _probe_points(compared[0].x, rng):
                try:
                    found.append(_compare(kind, fn, _CountedFunction(f), x, name, rng, rtol, False)[2])
                except Exception:  # outside f's domain, or the student's function fails there: no evidence
                    continue
            return found

        diagnose(kind, name, compared, out_shape, rtol, mistakes, probe)
        errors.extend(c.error() for c in compared)
    return CheckResult(kind, max(errors), len(errors), counted.calls, not compared and bool(errors))


def _frozen(value):
    """A read-only copy of an array argument (other values pass unchanged)."""
    if isinstance(value, np.ndarray):
        copy = value.copy()
        copy.setflags(write=False)
        return copy
    return value


def call_read_only(fn, *args, name=None, **kwargs):
    """``fn(*args, **kwargs)`` with read-only copies of its array arguments; the caller's arrays never change.

    A function that writes to an argument fails with ``[modifies its input]``, also when the read-only flag
    did not reach it (the arguments are compared before and after the call).
    """
    __tracebackhide__ = True
    name = name or getattr(fn, "__name__", "your function")
    names = [f"argument {i + 1}" for i in range(len(args))] + [f"{k}" for k in kwargs]
    frozen_args = [_frozen(a) for a in args]
    frozen_kwargs = {k: _frozen(v) for k, v in kwargs.items()}
    before = [np.array(a, copy=True) if isinstance(a, np.ndarray) else None
              for a in [*frozen_args, *frozen_kwargs.values()]]
    try:
        result = fn(*frozen_args, **frozen_kwargs)
    except ValueError as exc:
        if writes_to_input(exc):
            raise GradientCheckError("modifies its input", f"{name} writes to its input; graded functions must not "
                                     "modify their arguments. Work on a copy, or build a new array.") from None
        raise
    for label, value, old in zip(names, [*frozen_args, *frozen_kwargs.values()], before):
        if old is not None and not np.array_equal(value, old, equal_nan=True):
            raise GradientCheckError("modifies its input", f"{name} writes to its input ({label}); graded functions "
                                     "must not modify their arguments. Work on a copy, or build a new array.")
    return result


def check_gradient(grad_fn, f, x, *more_points, rtol=1e-6, mistakes=None, directional=None, name=None):
    """Check ``grad_fn(x)`` against the numerical gradient of the scalar function ``f``.

    ``more_points`` are further points to check at.  ``mistakes`` maps a short
    description of a classic mistake to a function returning the wrong answer it
    gives; a match is named in the error.  ``directional`` compares along random
    directions (automatic for inputs of more than 1000 entries).
    """
    try:
        return _check("gradient", grad_fn, f, (x, *more_points), rtol, mistakes, directional, name)
    except GradientCheckError as error:  # a short traceback: the student's cell, then the diagnosis
        raise error.with_traceback(None) from error.__cause__


def check_jacobian(jac_fn, f, x, *more_points, rtol=1e-6, mistakes=None, directional=None, name=None):
    """Check ``jac_fn(x)`` (shape ``f(x).shape + x.shape``) against the numerical Jacobian of ``f``."""
    try:
        return _check("jacobian", jac_fn, f, (x, *more_points), rtol, mistakes, directional, name)
    except GradientCheckError as error:  # a short traceback: the student's cell, then the diagnosis
        raise error.with_traceback(None) from error.__cause__


def check_hessian(hess_fn, f, x, *more_points, rtol=1e-5, mistakes=None, directional=None, name=None):
    """Check ``hess_fn(x)`` (shape ``x.shape + x.shape``) against the numerical Hessian of ``f``."""
    try:
        return _check("hessian", hess_fn, f, (x, *more_points), rtol, mistakes, directional, name)
    except GradientCheckError as error:  # a short traceback: the student's cell, then the diagnosis
        raise error.with_traceback(None) from error.__cause__


__all__ = ["CheckResult", "GradientCheckError", "call_read_only", "check_gradient", "check_hessian", "check_jacobian", "rel_error"]
