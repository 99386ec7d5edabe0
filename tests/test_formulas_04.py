"""Every formula stated in lecture 04_chain_rule, checked against matcalc's numerical derivatives.

Each closed form is written out here again (not imported from the lecture) and compared with central
differences or direct evaluation, at fixed points and at seeded random ones.
"""
import numpy as np
import pytest

import matcalc as mc

from closed_forms import close

RNG_SEED = 404


def relu(z):
    return np.maximum(0.0, z)


# -- 1. single-variable chain rule ----------------------------------------------------------------
@pytest.mark.parametrize("x", [-1.3, -0.4, 0.2, 0.9, 2.1])
def test_three_small_chain_rules(x):
    assert close(mc.numerical_derivative(lambda t: np.sin(t**2), x), np.cos(x**2) * 2 * x)
    assert close(mc.numerical_derivative(lambda t: np.exp(-3 * t), x), -3 * np.exp(-3 * x))
    assert close(mc.numerical_derivative(lambda t: np.sin(3 * t), x), 3 * np.cos(3 * x))


def y_logsin(x):
    return np.log(np.sin(x**3) ** 2)


def logsin_points():
    rng = np.random.default_rng(RNG_SEED)
    xs = rng.uniform(0.4, 1.4, size=8) * rng.choice([-1.0, 1.0], size=8)
    return [0.5, 1.0, -1.2, *xs[np.abs(np.sin(xs**3)) > 0.1]]


@pytest.mark.parametrize("x", logsin_points())
def test_log_sin_cube_squared(x):
    u1 = x**3
    u2 = np.sin(u1)
    u3 = u2**2
    layers = (1 / u3) * (2 * u2) * np.cos(u1) * (3 * x**2)             # the table of intermediate variables
    assert close(layers, 2 * np.sin(x**3) * np.cos(x**3) * 3 * x**2 / np.sin(x**3) ** 2)
    assert close(layers, 6 * x**2 * np.cos(x**3) / np.sin(x**3))
    assert close(layers, 6 * x**2 / np.tan(x**3))                       # = 6x² cot(x³)
    assert close(mc.numerical_derivative(y_logsin, x), layers, 1e-5)


def test_log_sin_value_at_one_and_where_the_missing_factor_curve_meets_it():
    assert abs(6 / np.tan(1.0) - 3.8526) < 5e-5
    assert close(mc.numerical_derivative(y_logsin, 1.0), 6 / np.tan(1.0))
    right = lambda x: 6 * x**2 / np.tan(x**3)
    wrong = lambda x: 2 / np.tan(x**3)
    for x in (1 / np.sqrt(3), (np.pi / 2) ** (1 / 3)):
        assert close(right(x), wrong(x), 1e-9)
    assert abs(1 / np.sqrt(3) - 0.577) < 5e-4 and abs((np.pi / 2) ** (1 / 3) - 1.162) < 5e-4
    x = np.linspace(0.35, 1.42, 2001)                                    # the plotted range: no other crossing
    sign = np.sign(right(x) - wrong(x))
    assert np.count_nonzero(np.diff(sign)) == 2
    assert np.all(np.abs(np.sin(x**3)) > 0)                              # defined on the whole plot


# -- 2. total derivative --------------------------------------------------------------------------
@pytest.mark.parametrize("x", [-2.0, -0.5, 0.0, 0.3, 1.7])
def test_x_plus_x_squared_two_paths(x):
    direct, through_u1 = 1.0, 1.0 * 2 * x
    assert close(mc.numerical_derivative(lambda t: t + t**2, x), direct + through_u1)
    assert close(direct + through_u1, 1 + 2 * x)


def f_paths(x):
    y1, y2 = x[0] * x[1], x[0] + x[1] ** 2
    return y1 * np.sin(y2)


def paths_points():
    rng = np.random.default_rng(RNG_SEED + 1)
    return [np.array([0.7, -1.2]), np.array([-0.3, 2.0]), np.array([1.5, 0.4]), *rng.normal(size=(5, 2))]


@pytest.mark.parametrize("x", paths_points())
def test_total_derivative_example_and_its_matrix_form(x):
    x1, x2 = x
    y1, y2 = x1 * x2, x1 + x2**2
    grad = np.array([np.sin(y2) * x2 + y1 * np.cos(y2) * 1, np.sin(y2) * x1 + y1 * np.cos(y2) * 2 * x2])
    assert close(mc.numerical_gradient(f_paths, x), grad)
    df_dy = np.array([np.sin(y2), y1 * np.cos(y2)])
    dy_dx = np.array([[x2, x1], [1.0, 2 * x2]])
    assert close(dy_dx, mc.numerical_jacobian(lambda v: np.array([v[0] * v[1], v[0] + v[1] ** 2]), x))
    assert close(df_dy @ dy_dx, grad)


def test_one_path_only_is_wrong_at_the_lecture_point():
    x = np.array([0.7, -1.2])
    one_path = np.sin(x[0] + x[1] ** 2) * x[::-1]
    assert not close(one_path, mc.numerical_gradient(f_paths, x), 1e-2)


# -- 3. vector chain rule -------------------------------------------------------------------------
@pytest.mark.parametrize("k, m, n", [(1, 1, 1), (2, 3, 4), (5, 2, 3), (3, 3, 3)])
def test_jacobian_of_composition_is_product_outer_first(k, m, n):
    rng = np.random.default_rng(RNG_SEED + 10 * k + m + n)
    A, B, x = rng.normal(size=(m, n)), rng.normal(size=(k, m)), rng.normal(size=n)
    g = lambda v: np.tanh(A @ v)
    f = lambda u: B @ np.sin(u)
    J_g = (1 - np.tanh(A @ x) ** 2)[:, None] * A
    J_f = B * np.cos(g(x))[None, :]
    assert close(mc.numerical_jacobian(g, x), J_g) and close(mc.numerical_jacobian(f, g(x)), J_f)
    J = J_f @ J_g
    assert J.shape == (k, n)
    assert close(mc.numerical_jacobian(lambda v: f(g(v)), x), J)
    assert close(J.T, J_g.T @ J_f.T)                                     # denominator layout: factors swap


@pytest.mark.parametrize("x", [0.8, -1.5, 2.2, 0.31, -2.9])
def test_parr_howard_vector_example(x):
    y = lambda t: np.array([np.log(t**2), np.sin(3 * t)])
    g = np.array([x**2, 3 * x])
    product = np.diag([1 / g[0], np.cos(g[1])]) @ np.array([2 * x, 3.0])
    assert close(product, np.array([2 * x / x**2, 3 * np.cos(3 * x)]))
    assert close(product, np.array([2 / x, 3 * np.cos(3 * x)]))
    assert close(mc.numerical_jacobian(y, x), product)
    assert mc.numerical_jacobian(y, x).shape == (2,)


def test_elementwise_function_has_diagonal_jacobian():
    u = np.random.default_rng(RNG_SEED + 2).normal(size=5)
    for fn, dfn in ((np.sin, np.cos), (np.tanh, lambda v: 1 - np.tanh(v) ** 2), (np.exp, np.exp)):
        assert close(mc.numerical_jacobian(fn, u), np.diag(dfn(u)))


@pytest.mark.parametrize("m, n", [(4, 3), (2, 5), (3, 3)])
def test_tanh_layer_jacobian_scales_rows(m, n):
    rng = np.random.default_rng(4) if (m, n) == (4, 3) else np.random.default_rng(RNG_SEED + m * n)
    W, c, x = rng.normal(size=(m, n)), rng.normal(size=m), rng.normal(size=n)
    s = 1 - np.tanh(W @ x + c) ** 2
    J = np.diag(s) @ W
    assert close(J, s[:, None] * W)
    assert close(mc.numerical_jacobian(lambda v: np.tanh(W @ v + c), x), J)
    if m != n:
        with pytest.raises(ValueError):
            W @ np.diag(s)                                               # the wrong order does not fit
    else:
        assert not close(W @ np.diag(s), J, 1e-3)                        # fits, but scales columns: wrong


# -- 4. the neuron --------------------------------------------------------------------------------
def test_lecture_neuron_points_and_bias_added_once():
    x = np.array([1.0, 2.0, -1.0])
    assert close(np.array([0.8, 0.3, -0.4]) @ x + 0.5, 2.3)
    assert close(np.array([-0.5, 0.2, 0.6]) @ x - 0.3, -1.0)
    w, b = np.array([0.8, 0.3, -0.4]), 0.5
    assert close(np.sum(w * x + b), w @ x + len(x) * b) and not close(np.sum(w * x + b), w @ x + b)


def neuron_points():
    """(w, b, x) with |w·x + b| >= 0.5, both signs; the two lecture points first."""
    x0 = np.array([1.0, 2.0, -1.0])
    pts = [(np.array([0.8, 0.3, -0.4]), 0.5, x0), (np.array([-0.5, 0.2, 0.6]), -0.3, x0)]
    rng = np.random.default_rng(RNG_SEED + 3)
    for k, n in enumerate((1, 2, 4, 7, 7, 10)):
        w, x = rng.normal(size=n), rng.normal(size=n)
        z = (1 if k % 2 else -1) * rng.uniform(0.5, 2.0)
        pts.append((w, z - w @ x, x))
    return pts


@pytest.mark.parametrize("w, b, x", neuron_points())
def test_neuron_gradients_away_from_the_kink(w, b, x):
    z = w @ x + b
    assert abs(z) >= 0.5 - 1e-12
    neuron = lambda w_, b_: max(0.0, w_ @ x + b_)
    grad_w = x if z > 0 else np.zeros_like(x)
    grad_b = 1.0 if z > 0 else 0.0
    assert close(mc.numerical_gradient(lambda w_: neuron(w_, b), w), grad_w)
    assert close(mc.numerical_derivative(lambda b_: neuron(w, b_), b), grad_b)
    # the chain rule: da/dz · ∂z/∂w and da/dz · ∂z/∂b
    da_dz = mc.numerical_derivative(lambda t: max(0.0, t), z)
    assert close(da_dz * mc.numerical_gradient(lambda w_: w_ @ x + b, w), grad_w)
    assert close(da_dz * mc.numerical_derivative(lambda b_: w @ x + b_, b), grad_b)


@pytest.mark.parametrize("h", [0.1, 1e-3, 1e-6])
def test_central_difference_at_the_kink_is_a_half_and_ramps(h):
    central = lambda z: (relu(z + h) - relu(z - h)) / (2 * h)
    assert close(central(0.0), 0.5, 1e-9)
    z = np.linspace(-h, h, 41)[1:-1]
    assert close(central(z), (z + h) / (2 * h), 1e-6)                   # linear from 0 to 1 inside (−h, h)
    assert close(central(np.array([-2 * h, 2 * h])), [0.0, 1.0], 1e-9)  # one-sided slopes outside


def test_gradient_check_near_kink_would_fail_a_correct_answer():
    x, w = np.array([1.0, 2.0, -1.0]), np.array([0.8, 0.3, -0.4])
    b = -(w @ x)                                                          # z = 0 exactly
    numeric = mc.numerical_gradient(lambda w_: max(0.0, w_ @ x + b), w)
    assert close(numeric, 0.5 * x, 1e-6)                                  # neither x nor 0


@pytest.mark.parametrize("w, b, x", neuron_points())
def test_squared_error_loss_gradient(w, b, x):
    t = 1.5
    z = w @ x + b
    a, da_dz = max(0.0, z), float(z > 0)
    grad = 2 * (a - t) * da_dz * np.append(x, 1.0)
    loss = lambda th: (max(0.0, th[:-1] @ x + th[-1]) - t) ** 2
    assert close(mc.numerical_gradient(loss, np.append(w, b)), grad)


def test_lecture_loss_gradient_value():
    x, w, b, t = np.array([1.0, 2.0, -1.0]), np.array([0.8, 0.3, -0.4]), 0.5, 1.5
    loss = lambda th: (max(0.0, th[:-1] @ x + th[-1]) - t) ** 2
    assert close(mc.numerical_gradient(loss, np.append(w, b)), [1.6, 3.2, -1.6, 1.6])
