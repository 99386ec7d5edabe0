"""Turn a wrong derivative into a message a student can act on, saying only what the evidence shows.

:func:`diagnose` compares a student's answers with the numerical ones at every point a check used and,
when they differ, raises :class:`GradientCheckError` whose text starts with a short label in brackets
(``[transposed]``, ``[factor ×2]``, ``[wrong value]`` ...) followed by an explanation that does not repeat
the label.  The label is also kept in ``error.diagnosis`` so reports can count how often each mistake
occurs.  A cause is named only when it holds at every point and entry compared: a constant factor must be
the same ratio everywhere (at two points at least), a named mistake must match at every point.
:func:`explain_exception` says what an exception raised inside a student's function means.
"""
import os
import re
import sysconfig
import traceback
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

TINY = 1e-12
MAX_LISTED = 4


class GradientCheckError(AssertionError):
    """A derivative failed its check; ``diagnosis`` is the short name of the mistake."""

    def __init__(self, diagnosis, message):
        super().__init__(f"[{diagnosis}] {message}")
        self.diagnosis = diagnosis


def rel_error(a, b, floor=TINY):
    """Largest entrywise difference ``max |a - b|``, relative to the size ``max(|a| + |b|)``.

    Scaling by the largest magnitude (not entry by entry) keeps rounding noise in
    entries that are exactly zero from looking like an error; ``floor`` is the
    smallest size used, below which differences count as absolute.  Shapes must match.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"rel_error needs arrays of the same shape, got {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    scale = max(floor, float(np.max(np.abs(a) + np.abs(b))))
    return float(np.max(np.abs(a - b)) / scale)


@dataclass
class Comparison:
    """A student's answer and the numerical one at one point ``x``; ``floor`` is that point's noise level."""

    x: np.ndarray
    got: np.ndarray
    expected: np.ndarray
    floor: float = TINY

    def error(self):
        return rel_error(self.got, self.expected, self.floor)


def _fmt_index(index):
    return "(" + ", ".join(str(int(i)) for i in index) + ")" if len(index) != 1 else f"[{int(index[0])}]"


def _fmt_point(x):
    if x.ndim == 0:
        return f"x = {float(x):.6g}"
    if x.size <= 6:
        return "x = [" + ", ".join(f"{v:.4g}" for v in x.ravel()) + "]" + (f" (shape {x.shape})" if x.ndim > 1 else "")
    return f"the point x of shape {x.shape}"


def _nice_factor(c):
    """2.0 -> '2', 0.5 -> '1/2', -1 -> '-1', 0.7071 -> '0.707'."""
    frac = Fraction(c).limit_denominator(8)
    if abs(float(frac) - c) <= 1e-6 * max(1.0, abs(c)):
        return str(frac)
    return f"{c:.3g}"


def _swap_in_out(arr, out_ndim):
    """Move the first ``out_ndim`` axes to the end: numerator <-> denominator layout."""
    return np.moveaxis(arr, list(range(out_ndim)), list(range(arr.ndim - out_ndim, arr.ndim)))


class Diagnosis:
    """Everything known about a failed check (all its points), and the words for it.

    ``probe()`` returns comparisons at further points (or none); it is called only to confirm a
    constant factor or a named mistake that was seen at a single point.
    """

    def __init__(self, kind, name, points, out_shape, rtol, mistakes, probe=None):
        self.kind, self.name, self.points = kind, name, list(points)
        self.out_shape, self.rtol = out_shape, rtol
        self.mistakes = mistakes or {}
        self._probe, self._probed = probe, None

    # -- evidence ---------------------------------------------------------------
    def close(self, a, b, floor):
        """Whether two answers agree within the check's tolerance."""
        a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        return a.shape == b.shape and bool(np.all(np.isfinite(a))) and rel_error(a, b, floor) <= self.rtol

    def holds_everywhere(self, test):
        """``test(comparison)`` at every point, and at two points at least (probing more when needed)."""
        if not all(test(p) for p in self.points):
            return False
        if len(self.points) >= 2:
            return True
        if self._probed is None:
            self._probed = list(self._probe()) if self._probe else []
        return bool(self._probed) and all(test(p) for p in self._probed)

    def evidence(self):
        return self.points + (self._probed or [])

    def shape_rule(self, p):
        if self.kind == "hessian":
            return f"a Hessian has shape x.shape + x.shape = {p.expected.shape}"
        if self.kind == "gradient" or self.out_shape == ():
            return f"the gradient of a scalar has the shape of its input, {p.expected.shape}"
        return (f"the Jacobian has shape f(x).shape + x.shape = {self.out_shape} + {p.x.shape} "
                f"= {p.expected.shape} (numerator layout: one row per output)")

    def fail(self, diagnosis, message):
        raise GradientCheckError(diagnosis, f"{self.name} {message}")

    # -- shapes -----------------------------------------------------------------
    def raise_for_shape(self, p):
        got, exp = p.got, p.expected
        if got.ndim == 0:
            self.fail("returned a scalar",
                      f"returned a single number, but {self.shape_rule(p)}. Did you sum the entries, "
                      "or use np.dot / @ where an element-wise product or an outer product belongs?")
        swapped_shape = p.x.shape + self.out_shape if self.kind != "hessian" else None
        if exp.ndim >= 2 and (got.shape == exp.shape[::-1] or got.shape == swapped_shape):
            if got.shape == swapped_shape and self.close(_swap_in_out(got, len(p.x.shape)), exp, p.floor):
                self.fail("transposed", f"returned the transpose of the right answer: shape {got.shape} "
                          f"instead of {exp.shape}. {self._transpose_hint()}")
            if got.shape == exp.shape[::-1] and self.close(got.T, exp, p.floor):
                self.fail("transposed", f"returned the transpose of the right answer: shape {got.shape} "
                          f"instead of {exp.shape}. {self._transpose_hint()}")
        if got.size == exp.size and self.close(got.reshape(exp.shape), exp, p.floor):
            if got.ndim < exp.ndim:
                self.fail("missing keepdims", f"has the right numbers in shape {got.shape}, but "
                          f"{self.shape_rule(p)}. A sum or mean lost an axis: use keepdims=True, or reshape the result.")
            self.fail("wrong shape", f"has the right numbers in shape {got.shape}, but {self.shape_rule(p)}. "
                      "Reshape the result (an extra axis of length 1?).")
        self._raise_if_unsummed_batch(p)
        self.fail("wrong shape", f"returned shape {got.shape}, but {self.shape_rule(p)}.")

    def _raise_if_unsummed_batch(self, p):
        got, exp = p.got, p.expected
        candidates = []
        if got.ndim == exp.ndim + 1:
            candidates = [(axis, False) for axis in range(got.ndim)]
        elif got.ndim == exp.ndim:
            candidates = [(axis, True) for axis in range(got.ndim) if exp.shape[axis] == 1 and got.shape[axis] > 1]
        for axis, keepdims in candidates:
            for how, reduce in (("summed", np.sum), ("averaged", np.mean)):
                if self.close(reduce(got, axis=axis, keepdims=keepdims), exp, p.floor):
                    self.fail("missing batch sum",
                              f"returned shape {got.shape}: one gradient per example along axis {axis} "
                              f"(length {got.shape[axis]}). The parameter is shared by the whole batch, so "
                              f"its gradient is those {got.shape[axis]} contributions {how} into shape {exp.shape}.")

    def _transpose_hint(self):
        if self.kind == "jacobian" and self.out_shape != ():
            return ("The course uses numerator layout: row i of the Jacobian is the gradient of output i "
                    "(texts in denominator layout, such as d2l.ai, write the transpose).")
        return "Entry (i, j) must be the derivative with respect to X[i, j]; check the order of your matrix product."

    # -- values -----------------------------------------------------------------
    def raise_for_values(self):
        points, n = self.points, len(self.points)
        at_all = "at the point checked" if n == 1 else f"at all {n} points checked"
        if all(not np.any(p.got) for p in points):
            p = next(p for p in points if p.error() > self.rtol)
            i = np.unravel_index(int(np.argmax(np.abs(p.expected))), p.expected.shape)
            self.fail("returned zeros", f"returned all zeros {at_all}, but the derivative is not zero: at "
                      f"{_fmt_point(p.x)} entry {_fmt_index(i)} should be {p.expected[i]:.6g}.")
        for label, wrong_answer in self.mistakes.items():
            if self.holds_everywhere(lambda p, w=wrong_answer: self._matches(w, p)):
                self.fail(label, f"gives exactly what this mistake gives, {at_all}.")
        self._raise_if_transposed()
        self._raise_if_hessian_asymmetric()
        self._raise_if_constant_factor()
        self._raise_wrong_values()

    def _matches(self, wrong_answer, p):
        try:
            wrong = np.asarray(wrong_answer(p.x.copy()), dtype=np.float64)
        except Exception:
            return False
        return self.close(p.got, wrong, p.floor)

    def _raise_if_transposed(self):
        def transposed(p):
            exp, out_ndim = p.expected, len(self.out_shape)
            if exp.ndim >= 2 and exp.shape == exp.shape[::-1] and self.close(p.got.T, exp, p.floor):
                return True
            return (self.kind == "jacobian" and 0 < out_ndim < exp.ndim and self.out_shape == p.x.shape
                    and self.close(_swap_in_out(p.got, out_ndim), exp, p.floor))

        if all(transposed(p) for p in self.points):
            self.fail("transposed", f"returned the transpose of the right answer. {self._transpose_hint()}")

    def _raise_if_hessian_asymmetric(self):
        if self.kind != "hessian":
            return
        for p in self.points:
            got, n = p.got, p.x.ndim
            if got.ndim < 2:
                continue
            swapped = _swap_in_out(got, n)
            if rel_error(got, swapped, p.floor) > self.rtol:
                pairs = [tuple(i) for i in np.argwhere(np.abs(got - swapped) > self.rtol * np.max(np.abs(got)))]
                lines = [f"    H{_fmt_index(i)} = {got[i]:.6g} but H{_fmt_index(i[n:] + i[:n])} = "
                         f"{got[i[n:] + i[:n]]:.6g}" for i in pairs if i[:n] < i[n:]][:MAX_LISTED]
                self.fail("hessian not symmetric",
                          "is not symmetric, but the Hessian of a smooth function always is "
                          "(∂²f/∂xᵢ∂xⱼ = ∂²f/∂xⱼ∂xᵢ). The mirrored cross terms differ:\n" + "\n".join(lines))

    def _ratio(self, points):
        got = np.concatenate([p.got.ravel() for p in points])
        exp = np.concatenate([p.expected.ravel() for p in points])
        size = float(np.vdot(exp, exp))
        return float(np.vdot(got, exp) / size) if size > 0 else 0.0

    def _raise_if_constant_factor(self):
        c = self._ratio(self.points)
        if c == 0 or abs(c - 1) <= self.rtol:
            return
        if not self.holds_everywhere(lambda p: self.close(p.got, c * p.expected, p.floor)):
            return
        where = self._extent()
        if abs(c + 1) <= 1e-6:
            self.fail("sign flipped", f"has the right size but the opposite sign at every entry {where}. "
                      "Check the sign of each term: d(−u) = −du, and the derivative of 1/u is −u'/u².")
        self.fail(f"factor ×{_nice_factor(c)}",
                  f"is off by a constant factor: it is {_nice_factor(c)} × the right answer at every entry {where}. "
                  "Look for a missing or extra constant (the 2 in d(x²) = 2x dx, a ½, a 1/m, "
                  "a chain-rule factor such as the 3 in d sin(3x) = 3 cos(3x) dx).")

    def _extent(self):
        evidence = self.evidence()
        entries = sum(p.got.size for p in evidence)
        return f"of {len(evidence)} points ({entries} entries compared)" if len(evidence) > 1 else "compared"

    def _raise_wrong_values(self):
        rows, wrong, total, signs = [], 0, 0, True
        for k, p in enumerate(self.points):
            got, exp = p.got, p.expected
            scale = max(p.floor, float(np.max(np.abs(got) + np.abs(exp))))
            bad = np.abs(got - exp) > self.rtol * scale
            wrong, total = wrong + int(bad.sum()), total + got.size
            signs = signs and np.allclose(np.abs(got), np.abs(exp), rtol=self.rtol, atol=self.rtol * scale)
            where = f"at {_fmt_point(p.x)}" if len(self.points) == 1 or p.x.size <= 6 else f"at point {k + 1}"
            for i in [tuple(i) for i in np.argwhere(bad)][: MAX_LISTED - len(rows)]:
                entry = f", entry {_fmt_index(i)}" if got.ndim else ""
                rows.append(f"    {where}{entry}: expected {exp[i]:.6g}, got {got[i]:.6g} "
                            f"(off by {got[i] - exp[i]:+.3g})")
        listing = "\n".join(rows)
        worst = max(p.error() for p in self.points)
        if signs and wrong < total:
            self.fail("sign error", f"has {wrong} of {total} entries with the wrong sign (right size):\n{listing}")
        label = "wrong entries" if wrong < total else "wrong value"
        what = (f"differs from the numerical {self.kind} in {wrong} of {total} entries" if total > 1
                else f"differs from the numerical {self.kind}")
        note = self._ratio_note() if label == "wrong value" else ""
        self.fail(label, f"{what} (max relative error {worst:.1e}):\n{listing}{note}")

    def _ratio_note(self):
        """The ratio got/expected, when it says something: ratios that vary, or a single comparison."""
        evidence = self.evidence()
        ratios = np.concatenate([p.got.ravel() / p.expected.ravel() for p in evidence
                                 if np.all(np.abs(p.expected) > p.floor)] or [np.array([])])
        if ratios.size == 0:
            return ""
        lo, hi = float(np.min(ratios)), float(np.max(ratios))
        if ratios.size == 1:
            return (f"\n  Your value is {lo:.3g} × the right one here; one comparison cannot tell a constant "
                    "factor from a wrong formula.")
        if hi - lo > self.rtol * max(abs(lo), abs(hi)):
            where = f" (over {len(evidence)} points)" if len(evidence) > len(self.points) else ""
            return (f"\n  The ratio (yours / right) ranges from {lo:.3g} to {hi:.3g}{where}, so it is not one "
                    "constant factor.")
        return ""


def as_answer(value, name):
    """The student's answer as a float64 array, or a GradientCheckError saying what it is instead."""
    if value is None:
        raise GradientCheckError("returned None", f"{name} gave back nothing (None): did you forget `return`?")
    try:
        got = np.asarray(value)
    except Exception:
        raise GradientCheckError("wrong type", f"{name} returned {type(value).__name__}, "
                                 "which is not a number or an array") from None
    if got.dtype.kind not in "biuf":
        raise GradientCheckError("wrong type", f"{name} returned {type(value).__name__} with dtype {got.dtype}; "
                                 "a derivative is an array of real numbers (returned a tuple of arrays?)")
    return got.astype(np.float64)


def raise_if_not_finite(name, x, got, expected, warnings_seen=()):
    """Say where ``got`` is NaN or inf while the numerical derivative is finite, and what numpy reported."""
    bad = ~np.isfinite(got)
    if not np.any(bad):
        return
    first = tuple(np.argwhere(bad)[0]) if got.ndim else ()
    what = "NaN" if np.isnan(got[first]) else "inf"
    where = f"entry {_fmt_index(first)}" if first else "its only entry"
    right = f"{expected[first]:.6g}" if expected.shape == got.shape else "finite"
    message = (f"returned {what} at {where} ({int(bad.sum())} of {got.size} entries not finite) at "
               f"{_fmt_point(x)}, where the derivative is {right}.")
    if warnings_seen:
        message += " While it ran, NumPy reported: " + "; ".join(warnings_seen) + "."
    if expected.shape == got.shape and x.shape == got.shape and x[first] == 0:
        message += f" Note that x{_fmt_index(first)} = 0 there."
    raise GradientCheckError("non-finite values", f"{name} {message}")


def diagnose(kind, name, points, out_shape, rtol, mistakes=None, probe=None):
    """Raise :class:`GradientCheckError` explaining why the ``points`` (Comparisons) fail; else return the error."""
    d = Diagnosis(kind, name, points, out_shape, rtol, mistakes, probe)
    for p in points:
        if p.got.shape != p.expected.shape:
            d.raise_for_shape(p)
    err = max(p.error() for p in points)
    if err > rtol:
        d.raise_for_values()
    return err


# -- exceptions raised inside a student's function ----------------------------------------------------

_LIBRARY_DIRS = tuple({os.path.dirname(os.path.dirname(__file__)) + os.sep + "matcalc" + os.sep,
                       os.path.dirname(np.__file__) + os.sep,
                       *(sysconfig.get_paths()[key] + os.sep for key in ("stdlib", "purelib", "platlib"))})
_LIBRARY_TEXT = re.compile(r"[/\\](numpy|matcalc|autograder|site-packages|dist-packages)[/\\]")


def _is_library(filename):
    return filename.startswith(_LIBRARY_DIRS) or filename.startswith("<frozen")
_FRAME = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+), in (?P<func>\S+)\n(?P<code>[^\n]*)')
_CELL = re.compile(r"(?:Cell In\s*\[\d*\]|Input In \[\d*\]), line (?P<line>\d+)(?:, in (?P<func>\S+))?")
_ARROW = re.compile(r"^-+>\s*(?P<line>\d+)\s(?P<code>.*)$", re.M)


def _student_frame(exc):
    """(function, line number, code line, {name: shape}) of the last frame of the student's code, or None."""
    text = getattr(exc, "__student_traceback__", None)
    if isinstance(text, str) and text:  # re-raised in another process: the student's frames are only text
        return _frame_from_text(text)
    tb = exc.__traceback__
    best = None
    while tb is not None:
        frame = tb.tb_frame
        if not _is_library(frame.f_code.co_filename):
            best = tb
        tb = tb.tb_next
    if best is not None:
        frame = best.tb_frame
        summary = traceback.extract_tb(best, limit=1)[0]
        shapes = {k: np.shape(v) for k, v in {**frame.f_globals, **frame.f_locals}.items()
                  if isinstance(v, np.ndarray)}
        return frame.f_code.co_name, best.tb_lineno, (summary.line or "").strip(), shapes
    return None


def _frame_from_text(text):
    text = re.sub(r"\x1b\[[0-9;]*m", "", text)
    frames = [m for m in _FRAME.finditer(text) if not _LIBRARY_TEXT.search(m["file"])]
    if frames:
        m = frames[-1]
        return m["func"], int(m["line"]), m["code"].strip(), {}
    cells, arrows = list(_CELL.finditer(text)), list(_ARROW.finditer(text))
    if arrows:
        func = cells[-1]["func"] if cells and cells[-1]["func"] else "your code"
        return func, int(arrows[-1]["line"]), arrows[-1]["code"].strip(), {}
    return None


def _shapes(text):
    return [tuple(int(s) for s in m.split(",") if s.strip()) for m in re.findall(r"\(([\d,\s]*)\)", text)]


def _numpy_meaning(message):
    """What a NumPy error message means, in the course's words (or None)."""
    m = re.search(r"could not be broadcast together with (?:remapped )?shapes ((?:\([\d,\s]*\)\s*)+)", message)
    if m:
        shapes = _shapes(m[1])
        said = " and ".join(str(s) for s in shapes)
        return (f"arrays of shapes {said} met in an element-wise operation (+, −, *, /). NumPy matches shapes "
                "from the last axis backwards, and each pair of lengths must be equal or 1. Did you mean a matrix "
                "product (@), a transpose, or a reshape to a column (v[:, None])?")
    m = re.search(r"matmul: Input operand (\d) has a mismatch in its core dimension (\d).*\(size (\d+) is different "
                  r"from (\d+)\)", message)
    if m:
        return (f"a matrix product A @ B needs A's last axis to have B's length along its first axis (for a "
                f"matrix B: its rows); here they have lengths {m[4]} and {m[3]}. Check which factor must be "
                "transposed, and the order of the product.")
    m = re.search(r"shapes (\([\d,\s]*\)) and (\([\d,\s]*\)) not aligned: (\d+) \(dim (\d+)\) != (\d+) \(dim (\d+)\)",
                  message)
    if m:
        return (f"np.dot of shapes {m[1]} and {m[2]}: the first's axis {m[4]} (length {m[3]}) must equal the "
                f"second's axis {m[6]} (length {m[5]}). Check which factor must be transposed, and the order.")
    m = re.search(r"cannot reshape array of size (\d+) into shape (\([\d,\s\-]*\))", message)
    if m:
        return f"an array of {m[1]} numbers cannot be reshaped to {m[2]}: the sizes must multiply to the same count."
    m = re.search(r"could not broadcast input array from shape (\([\d,\s]*\)) into shape (\([\d,\s]*\))", message)
    if m:
        return f"an assignment put an array of shape {m[1]} into a slot of shape {m[2]}."
    m = re.search(r"index (-?\d+) is out of bounds for axis (\d+) with size (\d+)", message)
    if m:
        return f"an index {m[1]} was used on an axis {m[2]} of length {m[3]} (valid indices are 0 to {int(m[3]) - 1})."
    if "Singular matrix" in message:
        return "np.linalg.solve or inv was given a singular matrix (determinant 0)."
    return None


def writes_to_input(exc):
    """Whether ``exc`` is NumPy refusing to write into a read-only array (the check's copy of an input)."""
    return isinstance(exc, ValueError) and bool(re.search(r"read-only|is not writeable", str(exc)))


def explain_exception(exc, name):
    """A student-facing sentence for an exception raised inside the student's function ``name``."""
    kind = getattr(exc, "type_name", None) or type(exc).__name__
    message = str(exc)
    if message.startswith(f"{kind}: "):
        message = message[len(kind) + 2:]
    frame = _student_frame(exc)
    where = ""
    if frame is not None:
        func, line, code, shapes = frame
        where = f" in line {line} of {func}" + (f", `{code}`" if code else "")
        named = {k: s for k, s in shapes.items() if code and re.search(rf"\b{re.escape(k)}\b", code)}
        if named:
            where += " (there " + ", ".join(f"{k} has shape {s}" for k, s in named.items()) + ")"
    text = f"{name} raised {kind}{where}: {message}"
    meaning = _numpy_meaning(message)
    if meaning:
        text += f"\n  That is: {meaning}"
    return text
