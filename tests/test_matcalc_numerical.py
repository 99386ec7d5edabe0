"""Numerical differentiation: accuracy (the table), cost, shapes, input handling, and an independent oracle."""
import numpy as np
import pytest

import matcalc as mc
from smooth_functions import CASES, JACOBIAN_CASES

FIRST_ORDER_LIMIT = 1e-9  # central differences: about eps**(2/3) ~ 4e-11 in practice
HESSIAN_LIMIT = 1e-6


def hessian_error(numeric, exact):
    """Relative error, or the absolute error where the exact Hessian is zero (a linear f)."""
    return mc.rel_error(numeric, exact) if np.any(exact) else float(np.max(np.abs(numeric)))


def accuracy_table():
    """Rows (function, shape, gradient error, Richardson error, Hessian error) against closed forms."""
    rows = []
    for case in CASES:
        g = mc.numerical_gradient(case.f, case.x)
        gr = mc.numerical_gradient(case.f, case.x, richardson=True)
        h = mc.numerical_hessian(case.f, case.x)
        rows.append((case.name, case.x.shape, mc.rel_error(g, case.grad(case.x)),
                     mc.rel_error(gr, case.grad(case.x)), hessian_error(h, case.hess(case.x))))
    return rows


def format_table(rows):
    lines = [f"{'function':34} {'x.shape':9} {'gradient':>9} {'Richardson':>10} {'Hessian*':>9}"]
    lines += [f"{n:34} {str(s):9} {g:9.1e} {r:10.1e} {h:9.1e}" for n, s, g, r, h in rows]
    return "\n".join(lines + ["* absolute error where the exact Hessian is 0"])


def test_accuracy_table():
    rows = accuracy_table()
    table = format_table(rows)
    print("\n" + table)
    assert len(rows) >= 10
    assert all(g <= FIRST_ORDER_LIMIT for _, _, g, _, _ in rows), table
    assert all(r <= FIRST_ORDER_LIMIT for _, _, _, r, _ in rows), table
    assert all(h <= HESSIAN_LIMIT for _, _, _, _, h in rows), table
    # The table is not trivially zero: central differences do have an error.
    assert max(g for _, _, g, _, _ in rows) > 1e-14


@pytest.mark.parametrize("name,f,x,jac", JACOBIAN_CASES, ids=[c[0] for c in JACOBIAN_CASES])
def test_jacobian_accuracy_and_numerator_layout(name, f, x, jac):
    J = mc.numerical_jacobian(f, x)
    assert J.shape == np.shape(f(x)) + x.shape
    assert mc.rel_error(J, jac(x)) <= FIRST_ORDER_LIMIT


def test_rows_of_a_jacobian_are_gradients_of_the_outputs():
    W = np.arange(6.0).reshape(2, 3) - 2
    f = lambda x: np.tanh(W @ x)  # noqa: E731
    x = np.array([0.3, -0.1, 0.2])
    J = mc.numerical_jacobian(f, x)
    for i in range(2):
        assert mc.rel_error(J[i], mc.numerical_gradient(lambda x: f(x)[i], x)) < 1e-12


def test_gradient_of_n_inputs_costs_exactly_2n_evaluations():
    calls = []

    def f(X):
        calls.append(1)
        return np.sum(np.sin(X))

    for shape in [(7,), (3, 4), (2, 3, 2)]:
        calls.clear()
        mc.numerical_gradient(f, np.ones(shape))
        assert len(calls) == 2 * int(np.prod(shape))
    calls.clear()
    mc.numerical_gradient(f, np.ones(5), richardson=True)
    assert len(calls) == 4 * 5


def test_derivative_of_2x_squared_points_uphill():
    y = lambda x: 2 * x**2  # noqa: E731
    assert mc.numerical_derivative(y, 2) == pytest.approx(8.0, rel=1e-9)
    assert mc.numerical_derivative(y, -4) == pytest.approx(-16.0, rel=1e-9)


def test_step_is_scaled_to_the_point():
    # At x = 1e8 an absolute step of 6e-6 would be lost in rounding; a scaled one is not.
    assert mc.numerical_derivative(np.log, 1e8) == pytest.approx(1e-8, rel=1e-7)
    assert mc.numerical_derivative(np.sin, 1e-3) == pytest.approx(np.cos(1e-3), rel=1e-10)


def test_caller_array_is_not_modified_and_ints_work():
    X = np.array([[1, 2], [3, 4]])
    before = X.copy()
    G = mc.numerical_gradient(lambda X: np.sum(X**3), X)
    assert np.array_equal(X, before) and X.dtype == before.dtype
    assert G.dtype == np.float64 and mc.rel_error(G, 3.0 * before**2) < 1e-9


def test_a_function_that_mutates_its_argument_does_not_corrupt_the_result():
    def f(x):
        value = np.sum(x**2)
        x[:] = 0  # rude, but it must not change the result
        return value

    x = np.array([1.0, -2.0])
    assert mc.rel_error(mc.numerical_gradient(f, x), 2 * x) < 1e-9


def test_hessian_is_symmetric_and_has_shape_x_by_x():
    X = np.array([[0.2, -0.4, 0.1], [0.3, 0.5, -0.2]])
    H = mc.numerical_hessian(lambda X: np.sum(np.exp(X)) * np.sum(X**2), X)
    assert H.shape == (2, 3, 2, 3)
    assert np.array_equal(H, H.transpose(2, 3, 0, 1))


@pytest.mark.parametrize("routine", [mc.numerical_gradient, mc.numerical_jacobian, mc.numerical_hessian])
@pytest.mark.parametrize("bad_x,error,words", [
    (np.array([1.0, np.nan]), ValueError, "non-finite"),
    (np.array([1.0, np.inf]), ValueError, "non-finite"),
    (np.array([1 + 2j]), TypeError, "real numbers"),
    (None, TypeError, "None"),
])
def test_bad_points_are_refused_clearly(routine, bad_x, error, words):
    with pytest.raises(error, match=words):
        routine(lambda x: np.sum(x), bad_x)


@pytest.mark.parametrize("f,error,words", [
    (lambda x: None, TypeError, "forget `return`"),
    (lambda x: "3.0", TypeError, "real numbers"),
    (lambda x: np.log(x[0] - 1), ValueError, "non-finite"),  # log of a negative number at x = [1, 1]
    (lambda x: x, ValueError, "scalar-valued"),  # a vector for a gradient
])
def test_functions_that_return_the_wrong_thing_are_explained(f, error, words):
    with pytest.raises(error, match=words), np.errstate(all="ignore"):
        mc.numerical_gradient(f, np.ones(2))


def test_numerical_derivative_wants_a_single_number():
    with pytest.raises(ValueError, match="single number"):
        mc.numerical_derivative(np.sin, np.ones(3))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_agrees_with_numdifftools(case):
    """An independent, well-known implementation gives the same derivatives."""
    nd = pytest.importorskip("numdifftools", reason="numdifftools is the test oracle: pip install -e '.[test]'")
    flat = lambda v: case.f(v.reshape(case.x.shape))  # noqa: E731
    oracle_grad = nd.Gradient(flat)(case.x.ravel().astype(float)).reshape(case.x.shape)
    assert mc.rel_error(mc.numerical_gradient(case.f, case.x), oracle_grad) < 1e-8
    if case.x.size <= 6:
        oracle_hess = nd.Hessian(flat)(case.x.ravel().astype(float)).reshape(case.x.shape * 2)
        assert mc.rel_error(mc.numerical_hessian(case.f, case.x), oracle_hess) < 1e-6
