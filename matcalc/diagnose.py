"""Turn a wrong derivative into a message a student can act on.

:func:`diagnose` compares a student's answer with the numerical one and, when
they differ, raises :class:`GradientCheckError` whose text starts with a short
label in brackets (``[transposed]``, ``[factor ×2]``, ``[sign flipped]``,
``[wrong shape]`` ...) followed by an explanation.  The label is also kept in
``error.diagnosis`` so reports can count how often each mistake occurs.
"""
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


def _fmt_index(index):
    return "(" + ", ".join(str(int(i)) for i in index) + ")" if len(index) != 1 else f"[{int(index[0])}]"


def _nice_factor(c):
    """2.0 -> '2', 0.5 -> '1/2', -1 -> '-1', 0.7071 -> '0.707'."""
    frac = Fraction(c).limit_denominator(8)
    if abs(float(frac) - c) <= 1e-6 * max(1.0, abs(c)):
        return str(frac)
    return f"{c:.3g}"


def _differing_entries(got, expected, rtol, floor):
    scale = max(floor, float(np.max(np.abs(got) + np.abs(expected))))
    mask = np.abs(got - expected) > rtol * scale
    indices = [tuple(i) for i in np.argwhere(mask)]
    lines = [f"    at {_fmt_index(i)}: expected {expected[i]: .6g}, got {got[i]: .6g}"
             for i in indices[:MAX_LISTED]]
    return len(indices), lines


def _swap_in_out(arr, out_ndim):
    """Move the first ``out_ndim`` axes to the end: numerator <-> denominator layout."""
    return np.moveaxis(arr, list(range(out_ndim)), list(range(arr.ndim - out_ndim, arr.ndim)))


class Diagnosis:
    """Everything known about one failed comparison, and the words for it."""

    def __init__(self, kind, name, x, got, expected, out_shape, rtol, floor, mistakes):
        self.kind, self.name, self.x = kind, name, x
        self.got, self.expected = got, expected
        self.out_shape, self.rtol, self.floor = out_shape, rtol, floor
        self.mistakes = mistakes or {}

    def close(self, a, b):
        """Whether two answers agree within the check's tolerance."""
        return a.shape == b.shape and rel_error(a, b, self.floor) <= self.rtol

    # -- the shape rules of the course, said once -------------------------------
    def shape_rule(self):
        if self.kind == "hessian":
            return f"a Hessian has shape x.shape + x.shape = {self.expected.shape}"
        if self.kind == "gradient" or self.out_shape == ():
            return f"the gradient of a scalar has the shape of its input, {self.expected.shape}"
        return (f"the Jacobian has shape f(x).shape + x.shape = {self.out_shape} + {self.x.shape} "
                f"= {self.expected.shape} (numerator layout: one row per output)")

    def fail(self, diagnosis, message):
        raise GradientCheckError(diagnosis, f"{self.name} {message}")

    # -- the checks, most specific first --------------------------------------
    def raise_for_shape(self):
        got, exp = self.got, self.expected
        if got.ndim == 0:
            self.fail("returned a scalar",
                      f"returned a single number, but {self.shape_rule()}. Did you sum the entries, "
                      "or use np.dot / @ where an element-wise product or an outer product belongs?")
        swapped_shape = self.x.shape + self.out_shape if self.kind != "hessian" else None
        if exp.ndim >= 2 and (got.shape == exp.shape[::-1] or got.shape == swapped_shape):
            if got.shape == swapped_shape and self.close(_swap_in_out(got, len(self.x.shape)), exp):
                self.fail("transposed", f"returned the transpose of the right answer: shape {got.shape} "
                          f"instead of {exp.shape}. {self._transpose_hint()}")
            if got.shape == exp.shape[::-1] and self.close(got.T, exp):
                self.fail("transposed", f"returned the transpose of the right answer: shape {got.shape} "
                          f"instead of {exp.shape}. {self._transpose_hint()}")
        if got.size == exp.size and self.close(got.reshape(exp.shape), exp):
            if got.ndim < exp.ndim:
                self.fail("missing keepdims", f"has the right numbers in shape {got.shape}, but {self.shape_rule()}. "
                          "A sum or mean lost an axis: use keepdims=True, or reshape the result.")
            self.fail("wrong shape", f"has the right numbers in shape {got.shape}, but {self.shape_rule()}. "
                      "Reshape the result (an extra axis of length 1?).")
        self._raise_if_unsummed_batch()
        self.fail("wrong shape", f"returned shape {got.shape}, but {self.shape_rule()}.")

    def _raise_if_unsummed_batch(self):
        got, exp = self.got, self.expected
        candidates = []
        if got.ndim == exp.ndim + 1:
            candidates = [(axis, False) for axis in range(got.ndim)]
        elif got.ndim == exp.ndim:
            candidates = [(axis, True) for axis in range(got.ndim)
                          if exp.shape[axis] == 1 and got.shape[axis] > 1]
        for axis, keepdims in candidates:
            for how, reduce in (("summed", np.sum), ("averaged", np.mean)):
                reduced = reduce(got, axis=axis, keepdims=keepdims)
                if self.close(reduced, exp):
                    self.fail("missing batch sum",
                              f"returned shape {got.shape}: one gradient per example along axis {axis} "
                              f"(length {got.shape[axis]}). The parameter is shared by the whole batch, so "
                              f"its gradient is those {got.shape[axis]} contributions {how} into shape {exp.shape}.")

    def _transpose_hint(self):
        if self.kind == "jacobian" and self.out_shape != ():
            return ("The course uses numerator layout: row i of the Jacobian is the gradient of output i "
                    "(texts in denominator layout, such as d2l.ai, write the transpose).")
        return "Entry (i, j) must be the derivative with respect to X[i, j]; check the order of your matrix product."

    def raise_for_values(self):
        got, exp, rtol = self.got, self.expected, self.rtol
        size = float(np.max(np.abs(exp)))
        if not np.any(got) and size > 0:
            self.fail("returned zeros", "returned all zeros. Is the function still a stub, or does a "
                      "multiplication by an unset variable wipe it out?")
        for label, wrong_answer in self.mistakes.items():
            wrong = np.asarray(wrong_answer(self.x), dtype=np.float64)
            if self.close(got, wrong):
                self.fail(label, f"returned what this common mistake gives: {label}.")
        if exp.ndim >= 2 and exp.shape == exp.shape[::-1] and self.close(got.T, exp):
            self.fail("transposed", f"returned the transpose of the right answer. {self._transpose_hint()}")
        out_ndim = len(self.out_shape)
        if self.kind == "jacobian" and 0 < out_ndim and self.out_shape == self.x.shape and out_ndim < exp.ndim:
            if self.close(_swap_in_out(got, out_ndim), exp):
                self.fail("transposed", f"returned the transpose of the right answer. {self._transpose_hint()}")
        if self.kind == "hessian" and got.ndim >= 2:
            swapped = _swap_in_out(got, self.x.ndim)
            if rel_error(got, swapped, self.floor) > rtol:
                n = self.x.ndim
                pairs = [tuple(i) for i in np.argwhere(np.abs(got - swapped) > rtol * np.max(np.abs(got)))]
                lines = [f"    H{_fmt_index(i)} = {got[i]:.6g} but H{_fmt_index(i[n:] + i[:n])} = "
                         f"{got[i[n:] + i[:n]]:.6g}" for i in pairs if i[:n] < i[n:]][:MAX_LISTED]
                self.fail("hessian not symmetric",
                          "is not symmetric, but the Hessian of a smooth function always is "
                          "(∂²f/∂xᵢ∂xⱼ = ∂²f/∂xⱼ∂xᵢ). The mirrored cross terms differ:\n" + "\n".join(lines))
        if size > 0:
            c = float(np.vdot(got, exp) / np.vdot(exp, exp))
            if c != 0 and self.close(got, c * exp):
                if abs(c + 1) <= 1e-6:
                    self.fail("sign flipped", "has the right size but the wrong sign everywhere (factor −1). "
                              "Check the sign of each term: d(−u) = −du, and the derivative of 1/u is −u'/u².")
                factor = _nice_factor(c)
                self.fail(f"factor ×{factor}",
                          f"is off by a constant factor: your answer is {factor} × the right one. "
                          "Look for a missing or extra constant (the 2 in d(x²) = 2x dx, a ½, a 1/m, "
                          "a chain-rule factor such as the 3 in d sin(3x) = 3 cos(3x) dx).")
        count, lines = _differing_entries(got, exp, rtol, self.floor)
        if count and np.allclose(np.abs(got), np.abs(exp), rtol=rtol, atol=rtol * size):
            self.fail("sign error", f"has {count} of {got.size} entries with the wrong sign:\n" + "\n".join(lines))
        self.fail("wrong entries", f"differs from the numerical {self.kind} in {count} of {got.size} entries "
                  f"(max relative error {rel_error(got, exp, self.floor):.1e}):\n" + "\n".join(lines))


def as_answer(value, name):
    """The student's answer as a float64 array, or a GradientCheckError saying what it is instead."""
    if value is None:
        raise GradientCheckError("returned None", f"{name} returned None: did you forget `return`?")
    try:
        got = np.asarray(value)
    except Exception:
        raise GradientCheckError("wrong type", f"{name} returned {type(value).__name__}, "
                                 "which is not a number or an array") from None
    if got.dtype.kind not in "biuf":
        raise GradientCheckError("wrong type", f"{name} returned {type(value).__name__} with dtype {got.dtype}; "
                                 "a derivative is an array of real numbers (returned a tuple of arrays?)")
    got = got.astype(np.float64)
    if not np.all(np.isfinite(got)):
        bad = [tuple(i) for i in np.argwhere(~np.isfinite(got))] if got.ndim else [()]
        raise GradientCheckError("non-finite values", f"{name} returned NaN or inf (first at "
                                 f"{_fmt_index(bad[0]) if bad[0] else 'the only entry'}). Look for 0/0, log(0), "
                                 "or an overflow in exp.")
    return got


def diagnose(kind, name, x, got, expected, out_shape, rtol, floor=TINY, mistakes=None):
    """Raise :class:`GradientCheckError` explaining why ``got`` is not ``expected``; return the error if close.

    ``floor`` is the size below which numbers are numerical noise (see :func:`rel_error`).
    """
    d = Diagnosis(kind, name, x, got, expected, out_shape, rtol, floor, mistakes)
    if got.shape != expected.shape:
        d.raise_for_shape()
    err = rel_error(got, expected, floor)
    if err > rtol:
        d.raise_for_values()
    return err
