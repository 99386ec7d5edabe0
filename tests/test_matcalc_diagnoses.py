"""Realistic wrong answers, each with the exact diagnosis class it must get, and messages that do not mislead.

Every row is a student's derivative with one mistake, checked the way assignments check (one point, or a
few).  A constant factor may be named only when the same ratio holds at every point and entry; a cause is
named only when the evidence shows it; an exception raised inside the student's function is explained.
"""
import re
import zlib

import numpy as np
import pytest

import matcalc as mc
from matcalc.diagnose import explain_exception

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the planted 0/0 and 1/0 warn, as they should

_c = np.random.default_rng(11)  # fixed problem data, drawn once in this order
A = _c.standard_normal((3, 4))
S = _c.standard_normal((3, 3))
X = _c.standard_normal((6, 3))          # 6 examples, 3 features
y = _c.standard_normal(6)
w0 = _c.standard_normal(3)
x3 = np.array([0.7, -1.3, 0.4])
N = len(y)


def cube_sum(x):
    return float(np.sum(x ** 3))


def mse(w):                      # (1/N) Σ (Xw − y)²
    return float(np.mean((X @ w - y) ** 2))


def mse_grad(w):
    return 2 * X.T @ (X @ w - y) / N


def one_example(w):              # (w·x − 1)² for one example x: its gradient is a multiple of x (rank 1)
    return float((w @ x3 - 1.0) ** 2)


def trace_AX(Xm):
    return float(np.trace(A @ Xm))


def quad(v):
    return float(v @ S @ v)


def tanh_layer(v):
    return np.tanh(A.T @ v)      # R³ -> R⁴


def tanh_jacobian(v):
    return (1 - np.tanh(A.T @ v) ** 2)[:, None] * A.T


def sqrt_norm(v):                # Σ sqrt(vᵢ² + 1)
    return float(np.sum(np.sqrt(v ** 2 + 1)))


def quartic(v):
    return float(np.sum(v ** 4) + v[0] * v[1])


def quartic_hessian(v):
    return np.diag(12 * v ** 2) + np.array([[0, 1, 0], [1, 0, 0], [0, 0, 0]])


def _zero_negatives(v):
    v[v < 0] = 0                 # writes to the caller's array
    return 2 * v


def _center_in_place(w):
    w -= w.mean()
    return mse_grad(w)


def _clip_with_out(v):
    return 3 * np.maximum(v, 0, out=v) ** 2


def _matmul_untransposed(w):
    return 2 * X @ (X @ w - y) / N


def _broadcast_row(w):
    return 2 * X * (X @ w - y) / N


# (id, check, student function, f, points, expected diagnosis class)
CASES = [
    # --- wrong formulas: never a "factor" ---------------------------------------------------------------
    ("wrong polynomial, scalar", mc.check_gradient, lambda x: 3 * x, cube_sum, [1.3], "wrong value"),
    ("wrong polynomial, vector", mc.check_gradient, lambda v: 3 * v ** 2 + v, cube_sum, [x3], "wrong value"),
    ("added constant, scalar", mc.check_gradient, lambda x: 3 * x ** 2 + 1, cube_sum, [2.0], "wrong value"),
    ("added constant, 3 points", mc.check_gradient, lambda x: 3 * x ** 2 + 1, cube_sum, [1.0, 2.0, -0.5],
     "wrong value"),
    ("forgot the target (rank 1)", mc.check_gradient, lambda w: 2 * (w @ x3) * x3, one_example, [w0], "wrong value"),
    ("residual squared (rank 1)", mc.check_gradient, lambda w: (w @ x3 - 1.0) ** 2 * x3, one_example, [w0],
     "wrong value"),
    ("forgot the chain rule of tanh", mc.check_jacobian, lambda v: A.T, tanh_layer, [x3], "wrong value"),
    ("one wrong entry", mc.check_gradient, lambda v: (S + S.T) @ v + np.array([0, 0.5, 0]), quad, [x3],
     "wrong entries"),
    # --- constant factors, confirmed ----------------------------------------------------------------------
    ("missing 1/N", mc.check_gradient, lambda w: 2 * X.T @ (X @ w - y), mse, [w0], f"factor ×{N}"),
    ("missing the 2", mc.check_gradient, lambda w: X.T @ (X @ w - y) / N, mse, [w0], "factor ×1/2"),
    ("rank-1 missing 2", mc.check_gradient, lambda w: (w @ x3 - 1.0) * x3, one_example, [w0], "factor ×1/2"),
    ("scalar missing 3", mc.check_gradient, lambda x: x ** 2, cube_sum, [1.3], "factor ×1/3"),
    ("factor at 3 points", mc.check_gradient, lambda v: 2 * (S + S.T) @ v, quad, [x3, -x3, 2 * w0], "factor ×2"),
    ("hessian factor", mc.check_hessian, lambda v: 2 * quartic_hessian(v), quartic, [x3], "factor ×2"),
    # --- signs -------------------------------------------------------------------------------------------
    ("descent direction for gradient", mc.check_gradient, lambda w: -mse_grad(w), mse, [w0], "sign flipped"),
    ("scalar sign", mc.check_gradient, lambda x: -3 * x ** 2, cube_sum, [0.8], "sign flipped"),
    ("one sign", mc.check_gradient, lambda v: (S + S.T) @ v * np.array([1, -1, 1]), quad, [x3], "sign error"),
    # --- transposes ----------------------------------------------------------------------------------------
    ("transpose, non-square", mc.check_gradient, lambda Xm: A, trace_AX, [np.ones((4, 3))], "transposed"),
    ("denominator layout", mc.check_jacobian, lambda v: tanh_jacobian(v).T, tanh_layer, [x3], "transposed"),
    ("transpose, square", mc.check_gradient, lambda Xm: S, lambda Xm: float(np.trace(S @ Xm)),
     [np.arange(9.0).reshape(3, 3) / 7], "transposed"),
    # --- writes to its input ---------------------------------------------------------------------------------
    ("zeroes negatives in place", mc.check_gradient, _zero_negatives, lambda v: float(np.sum(np.maximum(v, 0) ** 2)),
     [x3], "modifies its input"),
    ("centres in place", mc.check_gradient, _center_in_place, mse, [w0], "modifies its input"),
    ("out= its input", mc.check_gradient, _clip_with_out, lambda v: float(np.sum(np.maximum(v, 0) ** 3)),
     [x3], "modifies its input"),
    # --- non-finite answers ---------------------------------------------------------------------------------
    ("0/0 where the limit is finite", mc.check_gradient, lambda v: v / np.sqrt(v ** 2) * np.abs(v) / np.sqrt(v ** 2 + 1),
     sqrt_norm, [np.array([0.5, 0.0, -1.0])], "non-finite values"),
    ("1/X at a zero entry", mc.check_gradient, lambda v: v ** 2 / v / np.sqrt(v ** 2 + 1) + 0 / v,
     sqrt_norm, [np.array([0.5, 0.0, -1.0])], "non-finite values"),
    # --- shapes and exceptions -----------------------------------------------------------------------------
    ("matmul shapes", mc.check_gradient, _matmul_untransposed, mse, [w0], "raised an exception"),
    ("broadcast shapes", mc.check_gradient, _broadcast_row, mse, [w0], "raised an exception"),
    ("asymmetric hessian", mc.check_hessian, lambda v: np.triu(quartic_hessian(v)), quartic, [x3],
     "hessian not symmetric"),
    ("lost keepdims", mc.check_gradient, lambda c: 2 * c.ravel(), lambda c: float(np.sum(c ** 2)),
     [x3[:, None]], "missing keepdims"),
    ("summed to a scalar", mc.check_gradient, lambda w: float(np.sum(mse_grad(w))), mse, [w0], "returned a scalar"),
    ("per-example gradients", mc.check_gradient, lambda w: 2 * X * (X @ w - y)[:, None] / N, mse, [w0],
     "missing batch sum"),
    ("forgot return", mc.check_gradient, lambda w: None, mse, [w0], "returned None"),
    ("zeros where not zero", mc.check_gradient, lambda w: np.zeros(3), mse, [w0], "returned zeros"),
]


def failure(check, fn, f, points, **kwargs):
    with pytest.raises(mc.GradientCheckError) as info:
        check(fn, f, *points, **kwargs)
    error = info.value
    body = str(error)[len(f"[{error.diagnosis}] "):]
    return error.diagnosis, body


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_each_realistic_mistake_gets_its_exact_diagnosis(case):
    _, check, fn, f, points, expected = case
    before = [np.array(p, copy=True) for p in points]
    label, body = failure(check, fn, f, points)
    assert label == expected, body
    assert label not in body, "a message must not repeat its label"
    for p, b in zip(points, before):
        assert np.array_equal(np.asarray(p), b), "the caller's array was changed"


def test_a_wrong_scalar_names_where_and_how_much_and_no_factor():
    label, body = failure(mc.check_gradient, lambda x: 3 * x, cube_sum, [1.3])
    assert label == "wrong value"
    assert "x = 1.3" in body and "expected 5.07" in body and "got 3.9" in body
    assert "not one constant factor" in body and "(over 3 points)" in body   # probed at two nearby points


def test_an_added_constant_reports_varying_ratios():
    _, body = failure(mc.check_gradient, lambda x: 3 * x ** 2 + 1, cube_sum, [1.0, 2.0, -0.5])
    assert "not one constant factor" in body and "off by +1" in body


def test_a_factor_seen_at_one_point_is_confirmed_at_others():
    _, body = failure(mc.check_gradient, lambda w: 2 * X.T @ (X @ w - y), mse, [w0])
    assert "every entry of 3 points" in body


def test_a_named_mistake_must_hold_at_every_point():
    # At w0 the wrong answer "forgot 1/N" and this mistake coincide; elsewhere they do not.
    mistakes = {"used the first example only": lambda w: 2 * N * X[:1].T @ (X[:1] @ w - y[:1]) / N,
                "forgot 1/N": lambda w: 2 * X.T @ (X @ w - y)}
    label, body = failure(mc.check_gradient, lambda w: 2 * X.T @ (X @ w - y), mse, [w0, -w0], mistakes=mistakes)
    assert label == "forgot 1/N" and "at all 2 points" in body


def test_a_named_mistake_at_a_single_point_is_confirmed_nearby():
    at_w0 = 2 * X.T @ (X @ w0 - y)           # a "mistake" that equals the student's answer only at w0
    label, _ = failure(mc.check_gradient, lambda w: 2 * X.T @ (X @ w - y), mse, [w0],
                       mistakes={"coincidence": lambda w: at_w0})
    assert label == f"factor ×{N}"


def test_writing_to_the_input_is_named_and_the_caller_keeps_its_array():
    v = x3.copy()
    label, body = failure(mc.check_gradient, _zero_negatives, lambda v: float(np.sum(np.maximum(v, 0) ** 2)), [v])
    assert label == "modifies its input"
    assert "writes to its input x; graded functions must not modify their arguments" in body
    assert np.array_equal(v, x3)


def test_every_check_passes_read_only_inputs():
    seen = []
    mc.check_gradient(lambda v: (seen.append(v.flags.writeable), (S + S.T) @ v)[1], quad, x3)
    mc.check_jacobian(lambda v: (seen.append(v.flags.writeable), tanh_jacobian(v))[1], tanh_layer, x3)
    mc.check_hessian(lambda v: (seen.append(v.flags.writeable), quartic_hessian(v))[1], quartic, x3)
    assert seen == [False, False, False]


def test_nan_message_states_what_happened_not_a_guess():
    label, body = failure(mc.check_gradient, lambda v: v ** 2 / v / np.sqrt(v ** 2 + 1) + 0 / v, sqrt_norm,
                          [np.array([0.5, 0.0, -1.0])])
    assert label == "non-finite values"
    assert "log(0)" not in body and "overflow" not in body
    assert "entry [1]" in body and "x[1] = 0" in body and "derivative is 0" in body
    assert "divide" in body or "invalid value" in body   # what NumPy reported while it ran


def test_a_matmul_error_names_the_line_and_the_shapes():
    def grad_mse(w):
        residual = X @ w - y
        return 2 * X @ residual / N

    label, body = failure(mc.check_gradient, grad_mse, mse, [w0])
    assert label == "raised an exception"
    assert "return 2 * X @ residual / N" in body and "of grad_mse" in body
    assert "X has shape (6, 3)" in body and "residual has shape (6,)" in body
    assert "lengths 3 and 6" in body and "transposed" in body


def test_a_broadcast_error_is_explained():
    def grad_mse(w):
        return 2 * X * (X @ w - y) / N

    _, body = failure(mc.check_gradient, grad_mse, mse, [w0])
    assert "(6,3)" in body.replace(" ", "") and "from the last axis backwards" in body


def test_an_exception_from_another_process_is_explained_from_its_traceback_text():
    """Under the grader the student's exception arrives re-raised, with the student's traceback as text."""
    student_traceback = (
        "Traceback (most recent call last):\n"
        '  File "/tmp/kernel/ipykernel_42/123.py", line 3, in grad_f\n'
        "    return A @ x\n"
        "ValueError: matmul: Input operand 1 has a mismatch in its core dimension 0, with gufunc signature "
        "(n?,k),(k,m?)->(n?,m?) (size 3 is different from 4)\n")

    def proxy(v):
        error = ValueError("matmul: Input operand 1 has a mismatch in its core dimension 0, with gufunc signature "
                           "(n?,k),(k,m?)->(n?,m?) (size 3 is different from 4)")
        error.__student_traceback__ = student_traceback
        raise error

    label, body = failure(mc.check_gradient, proxy, quad, [x3])
    assert label == "raised an exception"
    assert "line 3 of grad_f, `return A @ x`" in body and "lengths 4 and 3" in body


def test_an_ipython_traceback_text_is_read_too():
    text = ("\x1b[0;31mValueError\x1b[0m Traceback (most recent call last)\nCell \x1b[0;32mIn[7], line 2\x1b[0m, "
            "in \x1b[0;36mgrad_f\x1b[0m\n\x1b[1;32m----> 2\x1b[0m     return X * v\n")
    error = ValueError("operands could not be broadcast together with shapes (6,3) (4,) ")
    error.__student_traceback__ = text
    message = explain_exception(error, "grad_f(x)")
    assert "line 2" in message and "return X * v" in message and "element-wise" in message


@pytest.mark.parametrize("seed", range(3))
def test_random_factors_at_random_points_are_named_exactly(seed):
    rng = np.random.default_rng(zlib.crc32(f"factor{seed}".encode()))
    k = float(rng.choice([2, 3, 0.5, 0.25, 4]))
    v = rng.standard_normal(3)
    label, body = failure(mc.check_gradient, lambda u: k * (S + S.T) @ u, quad, [v])
    assert re.fullmatch(r"factor ×[0-9/]+", label) and float(eval(label[len("factor ×"):])) == k


def test_call_read_only_names_a_function_that_writes_to_an_argument():
    from matcalc.checks import call_read_only

    v, n = x3.copy(), np.arange(3)
    assert np.array_equal(call_read_only(lambda a, b: a * b, v, n, name="scale(a, b)"), x3 * np.arange(3))

    def clips(a, b):
        a[a < 0] = 0
        return a

    with pytest.raises(mc.GradientCheckError) as info:
        call_read_only(clips, v, n, name="clips(a, b)")
    assert info.value.diagnosis == "modifies its input" and "clips(a, b) writes to its input" in str(info.value)
    assert np.array_equal(v, x3)

    def rebinds_then_writes(a):          # writes to a copy it made itself: allowed
        a = a.copy()
        a -= 1
        return a

    assert np.allclose(call_read_only(rebinds_then_writes, v), x3 - 1)
