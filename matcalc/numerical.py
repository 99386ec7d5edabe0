"""Numerical derivatives by central differences (the subject matter of the course).

Conventions (the whole course uses them):

* ``numerical_gradient(f, X)`` has the shape of ``X``;
* ``numerical_jacobian(f, x)`` has shape ``f(x).shape + x.shape`` (numerator
  layout: row ``i`` of a vector Jacobian is the gradient of ``f_i``);
* ``numerical_hessian(f, x)`` has shape ``x.shape + x.shape``.

Every entry uses its own step, scaled to the point: ``h_i = c * max(1, |x_i|)``
with ``c = eps**(1/3)`` for first derivatives, the step that balances the
truncation error (about ``h**2``) against rounding (about ``eps / h``).
Each step is made exactly representable, ``h = (x + h) - x``, so the
denominator is the distance that was really moved.  The caller's array is
never modified, and integer input is worked on in float64.
"""
import numpy as np

from ._watch import watched

EPS = np.finfo(np.float64).eps
CENTRAL_STEP = EPS ** (1 / 3)  # ~6.1e-6, total error ~eps**(2/3)
RICHARDSON_STEP = EPS ** (1 / 5)  # ~7.4e-4, total error ~eps**(4/5)
HESSIAN_STEP = EPS ** (1 / 4)  # ~1.2e-4, total error ~eps**(1/2)
HESSIAN_RICHARDSON_STEP = EPS ** (1 / 6)  # ~2.5e-3


def as_point(x, name="x"):
    """Return a float64 copy of ``x``, with a clear error for what is not a real array."""
    if x is None:
        raise TypeError(f"{name} is None; pass a number or a NumPy array of numbers")
    try:
        arr = np.array(x)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(f"{name} must be a number or an array of numbers ({exc})") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"{name} must hold real numbers; got dtype {arr.dtype} "
            f"({type(x).__name__}). Complex and object arrays are not supported."
        )
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(arr))[0]) if arr.ndim else ()
        raise ValueError(f"{name} contains a non-finite value (first at index {bad}); "
                         "derivatives need a finite point")
    return arr


class _Evaluator:
    """Calls ``f`` on fresh copies of points and checks what comes back."""

    def __init__(self, f, x0):
        if not callable(f):
            raise TypeError(f"f must be a function, got {type(f).__name__}")
        self.f = f
        self.x0 = x0
        self.out_shape = None

    def __call__(self, point, where):
        arg = float(point) if point.ndim == 0 else point.copy()
        value = self.f(arg)
        if value is None:
            raise TypeError(f"f returned None {where}; it must return a number or an array "
                            "(did you forget `return`?)")
        try:
            out = np.asarray(value)
        except Exception as exc:
            raise TypeError(f"f returned {type(value).__name__} {where}, not a number or array ({exc})") from None
        if out.dtype.kind not in "biuf":
            raise TypeError(f"f must return real numbers; it returned {type(value).__name__} "
                            f"with dtype {out.dtype} {where}")
        out = out.astype(np.float64)
        if self.out_shape is None:
            self.out_shape = out.shape
        elif out.shape != self.out_shape:
            raise ValueError(f"f returned shape {out.shape} {where} but shape {self.out_shape} "
                             "elsewhere; its output shape must not depend on the point")
        if not np.all(np.isfinite(out)):
            raise ValueError(f"f returned a non-finite value {where}; the point is at or too near "
                             "the edge of f's domain (a log of 0, a division by 0, an overflow)")
        return out


def _exact_steps(x, base):
    """Steps ``base * max(1, |x_i|)``, rounded so that ``x + h`` is exactly ``h`` away."""
    h = base * np.maximum(1.0, np.abs(x))
    return (x + h) - x


def _moved(x, index, step):
    point = x.copy()
    point[index] += step
    return point


def _where(x, index, step):
    return f"at x with entry {index} moved by {step:+.3g}" if x.ndim else f"at x = {float(x + step):.6g}"


def _central_columns(evaluate, x, base):
    """Central differences along every coordinate: a list of ``df/dx_i`` arrays."""
    steps = _exact_steps(x, base)
    columns = []
    for index in np.ndindex(x.shape):
        h = steps[index]
        plus = evaluate(_moved(x, index, h), _where(x, index, h))
        minus = evaluate(_moved(x, index, -h), _where(x, index, -h))
        columns.append((plus - minus) / (2 * h))
    return columns


def _jacobian(f, x, richardson):
    x = as_point(x)
    evaluate = _Evaluator(f, x)
    if richardson:
        # D(h) = f' + c h^2 + O(h^4); (4 D(h/2) - D(h)) / 3 cancels the h^2 term.
        coarse = _central_columns(evaluate, x, RICHARDSON_STEP)
        fine = _central_columns(evaluate, x, RICHARDSON_STEP / 2)
        columns = [(4 * b - a) / 3 for a, b in zip(coarse, fine)]
    else:
        columns = _central_columns(evaluate, x, CENTRAL_STEP)
    if not columns:  # an empty x: nothing to differentiate
        out_shape = evaluate(x, "at x").shape
        return np.zeros(out_shape + x.shape)
    out_shape = evaluate.out_shape
    return np.stack(columns, axis=-1).reshape(out_shape + x.shape)


def _require_scalar_output(jac, x_shape, routine):
    out_shape = jac.shape[: jac.ndim - len(x_shape)]
    if out_shape != ():
        raise ValueError(f"{routine} needs a scalar-valued f, but f returned an array of shape "
                         f"{out_shape}; use numerical_jacobian for vector- or matrix-valued functions")


@watched
def numerical_derivative(f, x, *, richardson=False):
    """Derivative ``f'(x)`` of a function of one real number, by central differences."""
    x = as_point(x)
    if x.ndim != 0:
        raise ValueError(f"numerical_derivative takes a single number x, got an array of shape {x.shape}; "
                         "use numerical_gradient or numerical_jacobian for arrays")
    d = _jacobian(f, x, richardson)
    return float(d) if d.ndim == 0 else d


@watched
def numerical_gradient(f, X, *, richardson=False):
    """Gradient of a scalar-valued ``f`` at an array ``X`` of any shape; it has ``X``'s shape."""
    X = as_point(X)
    grad = _jacobian(f, X, richardson)
    _require_scalar_output(grad, X.shape, "numerical_gradient")
    return float(grad) if grad.ndim == 0 else grad


@watched
def numerical_jacobian(f, x, *, richardson=False):
    """Jacobian of ``f`` at ``x`` with shape ``f(x).shape + x.shape`` (numerator layout)."""
    return _jacobian(f, x, richardson)


def _hessian_at_step(evaluate, x, f0, base):
    flat = x.ravel()
    n = flat.size
    steps = _exact_steps(flat, base)

    def value(offsets):
        point = flat.copy()
        for i, s in offsets:
            point[i] += s
        return evaluate(point.reshape(x.shape), _where(flat, offsets[0][0], offsets[0][1]))

    H = np.empty((n, n))
    for i in range(n):
        h = steps[i]
        # Same 4-point formula as off the diagonal with j = i: steps of 2h.
        H[i, i] = (value([(i, 2 * h)]) - 2 * f0 + value([(i, -2 * h)])) / (4 * h * h)
        for j in range(i):
            k = steps[j]
            H[i, j] = H[j, i] = (
                value([(i, h), (j, k)]) - value([(i, h), (j, -k)])
                - value([(i, -h), (j, k)]) + value([(i, -h), (j, -k)])
            ) / (4 * h * k)
    return H.reshape(x.shape + x.shape)


@watched
def numerical_hessian(f, x, *, richardson=False):
    """Hessian of a scalar-valued ``f`` at ``x``: shape ``x.shape + x.shape``, symmetric."""
    x = as_point(x)
    evaluate = _Evaluator(f, x)
    f0 = evaluate(x, "at x")
    if f0.shape != ():
        raise ValueError(f"numerical_hessian needs a scalar-valued f, but f returned an array of "
                         f"shape {f0.shape}")
    if richardson:
        coarse = _hessian_at_step(evaluate, x, f0, HESSIAN_RICHARDSON_STEP)
        fine = _hessian_at_step(evaluate, x, f0, HESSIAN_RICHARDSON_STEP / 2)
        H = (4 * fine - coarse) / 3
    else:
        H = _hessian_at_step(evaluate, x, f0, HESSIAN_STEP)
    return float(H) if H.ndim == 0 else H
