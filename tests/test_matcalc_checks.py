"""The checks: each classic mistake, planted in a real gradient, is named in the message."""
import zlib

import numpy as np
import pytest

import matcalc as mc

_constants = np.random.default_rng(7)  # drawn once, at import, in this order: the same in every run
A = _constants.standard_normal((3, 4))  # non-square, so a transpose cannot hide
S = _constants.standard_normal((3, 3))  # square, non-symmetric
X0 = _constants.standard_normal((4, 3))
x0 = _constants.standard_normal(3)
W = _constants.standard_normal((5, 3))


@pytest.fixture
def rng(request):
    """A generator seeded per test (by its name), so no test depends on which tests ran before it."""
    return np.random.default_rng(zlib.crc32(request.node.name.encode()))


def trace_AX(X):
    return np.trace(A @ X)


def quad(x):
    return x @ S @ x


def tanh_layer(x):
    return np.tanh(W @ x)


def tanh_jacobian(x):
    return (1 - np.tanh(W @ x) ** 2)[:, None] * W


def diagnosis(check, *args, **kwargs):
    with pytest.raises(mc.GradientCheckError) as info:
        check(*args, **kwargs)
    err = info.value
    assert isinstance(err, AssertionError)
    assert str(err).startswith(f"[{err.diagnosis}] ")
    return err.diagnosis, str(err)


# --- passing answers, written in different ways ---------------------------------------------------

def test_correct_gradient_returns_a_small_result():
    result = mc.check_gradient(lambda X: A.T, trace_AX, X0)
    assert result.kind == "gradient" and result.points == 1 and result.max_rel_error < 1e-9
    assert result.f_evaluations == 1 + 2 * X0.size
    assert "passed" in str(result)


def test_several_points_are_checked():
    result = mc.check_gradient(lambda x: (S + S.T) @ x, quad, x0, -x0, 2 * x0)
    assert result.points == 3


def grad_quad_loops(x):
    g = np.zeros(3)
    for i in range(3):
        for j in range(3):
            g[i] += S[i, j] * x[j] + S[j, i] * x[j]
    return g


def grad_quad_inplace(x):
    g = S @ x
    g += S.T @ x
    return g


def jacobian_loops(x):
    J = np.empty((5, 3))
    for i in range(5):
        t = np.tanh(W[i] @ x)
        for j in range(3):
            J[i, j] = (1 - t * t) * W[i, j]
    return J


@pytest.mark.parametrize("grad", [lambda x: (S + S.T) @ x, lambda x: S @ x + x @ S, grad_quad_loops,
                                  grad_quad_inplace, lambda x: (x @ (S.T + S)).tolist()],
                         ids=["vectorised", "association", "loops", "in-place", "list"])
def test_equivalent_correct_gradients_pass(grad):
    mc.check_gradient(grad, quad, x0)


@pytest.mark.parametrize("jac", [tanh_jacobian, jacobian_loops, lambda x: np.diag(1 - np.tanh(W @ x) ** 2) @ W],
                         ids=["broadcast", "loops", "diag-matmul"])
def test_equivalent_correct_jacobians_pass(jac):
    mc.check_jacobian(jac, tanh_layer, x0)


def test_exact_zero_derivatives_are_not_mistaken_for_noise():
    mc.check_hessian(lambda X: np.zeros((4, 3, 4, 3)), trace_AX, X0)
    mc.check_gradient(lambda x: np.zeros(3), lambda x: 5.0, x0)


# --- the planted mistakes ----------------------------------------------------------------------------

def test_transposed_matrix_gradient_nonsquare():
    label, message = diagnosis(mc.check_gradient, lambda X: A, trace_AX, X0)
    assert label == "transposed" and "(3, 4) instead of (4, 3)" in message


def test_transposed_matrix_gradient_square(rng):
    f = lambda X: np.trace(S @ X)  # noqa: E731
    label, _ = diagnosis(mc.check_gradient, lambda X: S, f, rng.standard_normal((3, 3)))
    assert label == "transposed"


def test_transposed_jacobian_is_explained_as_denominator_layout():
    label, message = diagnosis(mc.check_jacobian, lambda x: tanh_jacobian(x).T, tanh_layer, x0)
    assert label == "transposed" and "numerator layout" in message and "(3, 5) instead of (5, 3)" in message


def test_transposed_square_jacobian(rng):
    V = rng.standard_normal((3, 3))
    label, _ = diagnosis(mc.check_jacobian, lambda x: ((1 - np.tanh(V @ x) ** 2)[:, None] * V).T,
                         lambda x: np.tanh(V @ x), x0)
    assert label == "transposed"


@pytest.mark.parametrize("factor,label", [(2, "factor ×2"), (0.5, "factor ×1/2"), (3, "factor ×3"),
                                          (-1, "sign flipped")])
def test_constant_factor_is_named(factor, label):
    found, message = diagnosis(mc.check_gradient, lambda x: factor * (S + S.T) @ x, quad, x0)
    assert found == label
    if factor != -1:
        assert "constant factor" in message


def test_wrong_sign_in_some_entries():
    def grad(x):
        g = (S + S.T) @ x
        g[1] = -g[1]
        return g

    label, message = diagnosis(mc.check_gradient, grad, quad, x0)
    assert label == "sign error" and "1 of 3 entries" in message and "entry [1]" in message


def test_other_wrong_entries_are_listed():
    def grad(X):
        G = A.T.copy()
        G[2, 1] += 0.5
        return G

    label, message = diagnosis(mc.check_gradient, grad, trace_AX, X0)
    assert label == "wrong entries" and "1 of 12 entries" in message and "entry (2, 1)" in message


def test_returned_scalar():
    label, message = diagnosis(mc.check_gradient, lambda x: float(np.sum((S + S.T) @ x)), quad, x0)
    assert label == "returned a scalar" and "(3,)" in message


def test_wrong_shape_lists_expected_and_got():
    label, message = diagnosis(mc.check_gradient, lambda x: np.ones(4), quad, x0)
    assert label == "wrong shape" and "(4,)" in message and "(3,)" in message


def test_missing_keepdims(rng):
    w = rng.standard_normal((3, 1))
    label, message = diagnosis(mc.check_gradient, lambda w: 2 * w.ravel(), lambda w: float(np.sum(w ** 2)), w)
    assert label == "missing keepdims" and "keepdims=True" in message


@pytest.mark.parametrize("keepdims", [False, True])
def test_bias_gradient_not_summed_over_the_batch(keepdims, rng):
    Z = rng.standard_normal((3, 6))  # 3 units, batch of 6
    b = rng.standard_normal((3, 1)) if keepdims else rng.standard_normal(3)
    loss = lambda b: 0.5 * np.sum((Z + b.reshape(3, 1)) ** 2)  # noqa: E731
    per_example = lambda b: (Z + b.reshape(3, 1)) if keepdims else (Z + b.reshape(3, 1)).T  # noqa: E731
    label, message = diagnosis(mc.check_gradient, per_example, loss, b)
    assert label == "missing batch sum" and "one gradient per example" in message


@pytest.mark.parametrize("value,label", [(None, "returned None"), (np.array([1.0, np.nan, 2.0]), "non-finite values"),
                                         (np.array([np.inf, 0, 0]), "non-finite values"),
                                         (("a", "b"), "wrong type")])
def test_unusable_return_values(value, label):
    found, _ = diagnosis(mc.check_gradient, lambda x: value, quad, x0)
    assert found == label


def test_all_zeros_from_a_stub():
    label, _ = diagnosis(mc.check_gradient, lambda x: np.zeros(3), quad, x0)
    assert label == "returned zeros"


def test_an_exception_is_shown_and_chained():
    def grad(x):
        return S @ np.ones(4)  # shapes do not match

    with pytest.raises(mc.GradientCheckError) as info:
        mc.check_gradient(grad, quad, x0)
    assert info.value.diagnosis == "raised an exception"
    assert "ValueError" in str(info.value) and "matmul" in str(info.value)
    assert isinstance(info.value.__cause__, ValueError)


def test_not_implemented_passes_through_unchanged():
    def grad(x):
        raise NotImplementedError()

    with pytest.raises(NotImplementedError):
        mc.check_gradient(grad, quad, x0)


def test_named_common_mistakes_take_precedence():
    mistakes = {"used 2Sx instead of (S + Sᵀ)x": lambda x: 2 * S @ x, "used Sx": lambda x: S @ x}
    for wrong, label in [(lambda x: 2 * S @ x, "used 2Sx instead of (S + Sᵀ)x"), (lambda x: S @ x, "used Sx")]:
        found, _ = diagnosis(mc.check_gradient, wrong, quad, x0, mistakes=mistakes)
        assert found == label


def test_hessian_not_symmetric_and_wrong_cross_term():
    f = lambda v: 2 * v[0] ** 2 + 3 * v[1] ** 2 - v[0] * v[1]  # noqa: E731
    v = np.array([0.3, -0.7])
    mc.check_hessian(lambda v: np.array([[4.0, -1.0], [-1.0, 6.0]]), f, v)
    label, message = diagnosis(mc.check_hessian, lambda v: np.array([[4.0, -1.0], [0.0, 6.0]]), f, v)
    assert label == "hessian not symmetric" and "H(0, 1) = -1 but H(1, 0) = 0" in message
    label, message = diagnosis(mc.check_hessian, lambda v: np.array([[4.0, -2.0], [-2.0, 6.0]]), f, v)
    assert label == "wrong entries" and "(0, 1)" in message


# --- analytic, not numerical ---------------------------------------------------------------------

def test_delegating_to_matcalc_numerics_is_rejected():
    label, message = diagnosis(mc.check_gradient, lambda x: mc.numerical_gradient(quad, x), quad, x0)
    assert label == "numerical differentiation" and "matcalc.numerical_gradient" in message
    assert "derived analytically" in message


def test_own_finite_differences_on_f_are_rejected():
    def grad(x):
        h = 1e-6
        return np.array([(quad(x + h * e) - quad(x - h * e)) / (2 * h) for e in np.eye(3)])

    label, message = diagnosis(mc.check_gradient, grad, quad, x0)
    assert label == "numerical differentiation" and "nearby points" in message


def test_calling_f_at_x_itself_is_allowed():
    def grad(x):
        value = quad(x)  # e.g. reusing a forward value
        return (S + S.T) @ x + 0 * value

    mc.check_gradient(grad, quad, x0)


def test_numerical_routines_work_normally_outside_checks():
    assert mc.numerical_gradient(quad, x0).shape == (3,)


# --- directional mode for large inputs -----------------------------------------------------------

def big_problem(n=3000):
    weights = np.linspace(-1, 1, n)
    x = np.sin(np.arange(n))
    calls = []

    def f(x):
        calls.append(1)
        return float(np.sum(weights * np.sin(x)))

    return f, x, calls, (lambda x: weights * np.cos(x))


def test_directional_mode_costs_two_evaluations_per_direction():
    f, x, calls, grad = big_problem()
    result = mc.check_gradient(grad, f, x)
    assert result.directional and len(calls) == 1 + 2 * 3 and result.f_evaluations == len(calls)


def test_directional_failure_falls_back_to_a_localised_message():
    f, x, calls, grad = big_problem()

    def wrong(x):
        g = grad(x)
        g[1234] += 1.0
        return g

    label, message = diagnosis(mc.check_gradient, wrong, f, x)
    assert label == "wrong entries" and "1 of 3000 entries" in message and "entry [1234]" in message


def test_directional_mode_can_be_forced_for_jacobians_and_hessians():
    assert mc.check_jacobian(tanh_jacobian, tanh_layer, x0, directional=True).directional
    f = lambda v: np.sum(v ** 4)  # noqa: E731
    assert mc.check_hessian(lambda v: np.diag(12 * v ** 2), f, x0, directional=True).directional
