"""Every formula and numeric fact stated in lectures 01_derivative and 02_gradient, checked numerically.

Lecture 01 is run (``lecture_namespace``): its functions (f, df, gradient_descent_1d, dg) and its measured
finite-difference errors are compared with matcalc's numerical derivatives and with direct evaluation, at fixed
points and at seeded random ones.
"""
import numpy as np
import pytest

import matcalc as mc
from matcalc import numerical

from closed_forms import close
from lecture import lecture_namespace

L01 = lecture_namespace("01_derivative")

RNG_SEED = 102
EPS = np.finfo(np.float64).eps


# ================================================================ lecture 01: the derivative
f01, df01 = L01["f"], L01["df"]          # lecture 01's running example and its derivative


def test_the_running_example_is_2x2():
    for x in np.random.default_rng(RNG_SEED + 9).uniform(-5, 5, size=5):
        assert close(f01(x), 2 * x**2, 1e-12)


# -- 1. slope of 2x² ----------------------------------------------------------------------------
def test_slope_of_2x2_is_8_at_2_and_minus_16_at_minus_4():
    assert df01(2.0) == 8 and df01(-4.0) == -16
    assert close(mc.numerical_derivative(f01, 2.0), 8.0, 1e-9)
    assert close(mc.numerical_derivative(f01, -4.0), -16.0, 1e-9)


def test_derivative_4x_at_random_points():
    rng = np.random.default_rng(RNG_SEED)
    for x in rng.uniform(-10, 10, size=8):
        assert close(df01(x), mc.numerical_derivative(f01, x))


def test_derivative_is_the_limit_of_secant_slopes_and_the_linear_approximation():
    x = 1.7
    secants = [(f01(x + h) - f01(x)) / h for h in (1e-1, 1e-2, 1e-3)]
    assert all(abs(s - df01(x)) == pytest.approx(2 * h) for s, h in zip(secants, (1e-1, 1e-2, 1e-3)))
    for h in (1e-2, 1e-3, 1e-4):            # f(x+h) − f(x) − f'(x)h = o(h)   (here exactly 2h²)
        assert abs(f01(x + h) - f01(x) - df01(x) * h) / h == pytest.approx(2 * h, rel=1e-4)


# -- 2. the sign points uphill --------------------------------------------------------------------
def test_values_left_of_minus_4_increase():
    assert [f01(x) for x in (-4, -5, -6, -7)] == [32, 50, 72, 98]


@pytest.mark.parametrize("x0, up, down", [(2.0, 8.82, 7.22), (-4.0, 33.62, 30.42)])
def test_a_step_along_the_sign_of_the_slope_goes_up(x0, up, down):
    h = 0.1 * np.sign(df01(x0))
    assert f01(x0 + h) == pytest.approx(up) and f01(x0 - h) == pytest.approx(down)
    assert f01(x0 + h) > f01(x0) > f01(x0 - h)


# -- 3. gradient descent ------------------------------------------------------------------------------
descent = L01["gradient_descent_1d"]     # the lecture's (df, x0, lr, n_steps)


@pytest.mark.parametrize("x0", [2.0, -4.0])
def test_descent_on_2x2_multiplies_by_0_6(x0):
    path = descent(df01, x0, 0.1, 8)
    assert close(path, x0 * 0.6 ** np.arange(9), 1e-12)
    assert np.all(np.diff(f01(path)) < 0)


def test_descent_factor_is_1_minus_4_lr_and_diverges_above_one_half():
    rng = np.random.default_rng(RNG_SEED)
    for lr in rng.uniform(0.01, 1.0, size=6):
        path = descent(df01, 3.0, lr, 5)
        assert close(path, 3.0 * (1 - 4 * lr) ** np.arange(6), 1e-10)
        assert (abs(path[-1]) > 3.0) == (lr > 0.5)


def test_a_descent_step_lowers_f_by_about_lr_times_slope_squared():
    rng = np.random.default_rng(RNG_SEED + 1)
    for x in rng.uniform(-5, 5, size=5):
        for lr in (1e-3, 1e-4):
            change = f01(x - lr * df01(x)) - f01(x)
            assert change < 0
            assert change == pytest.approx(-lr * df01(x) ** 2, rel=10 * lr * 4)   # next term: 2·lr²f'^2


def test_minimising_minus_f_maximises_f():
    xs = np.linspace(-3, 3, 601)
    g = lambda x: -(x - 1) ** 2 + 4                     # a function with a maximum
    assert xs[np.argmin(-g(xs))] == pytest.approx(xs[np.argmax(g(xs))])
    # descending on −f is ascending on f: x − η(−f') = x + η f'
    assert descent(lambda x: -df01(x), 1.0, 0.1, 3)[-1] > 1.0


# -- 4. rules ---------------------------------------------------------------------------------------------
TABLE = [(lambda x: x**3, lambda x: 3 * x**2), (lambda x: x**5, lambda x: 5 * x**4), (np.exp, np.exp),
         (np.log, lambda x: 1 / x), (np.sin, np.cos), (np.cos, lambda x: -np.sin(x))]


@pytest.mark.parametrize("fn, dfn", TABLE)
def test_table_of_derivatives(fn, dfn):
    for x in np.random.default_rng(RNG_SEED).uniform(0.2, 3, size=5):
        assert close(dfn(x), mc.numerical_derivative(fn, x))


def test_sum_product_and_chain_rules():
    u, du = np.sin, np.cos
    v, dv = (lambda x: x**2 + 1), (lambda x: 2 * x)
    for x in np.random.default_rng(RNG_SEED).uniform(-2, 2, size=5):
        assert close(du(x) + dv(x), mc.numerical_derivative(lambda t: u(t) + v(t), x))
        assert close(du(x) * v(x) + u(x) * dv(x), mc.numerical_derivative(lambda t: u(t) * v(t), x))
        assert close(du(v(x)) * dv(x), mc.numerical_derivative(lambda t: u(v(t)), x))


def test_chain_rule_examples_and_their_classic_mistakes():
    for x in np.random.default_rng(RNG_SEED).uniform(-2, 2, size=5):
        assert close(L01["dg"](x), mc.numerical_derivative(L01["g"], x))           # the lecture's 3cos(3x)
        assert not close(L01["dg_no_chain"](x), mc.numerical_derivative(L01["g"], x), 1e-3)
        assert close(3 * np.cos(3 * x), mc.numerical_derivative(lambda t: np.sin(3 * t), x))
        assert close(-2 * x * np.exp(-x**2), mc.numerical_derivative(lambda t: np.exp(-t**2), x))
    x = 0.4
    assert close(mc.numerical_derivative(lambda t: np.sin(3 * t), x), 1.087073, 1e-6)
    assert close(np.cos(3 * x), 0.362358, 1e-6)
    with pytest.raises(mc.GradientCheckError, match=r"\[factor ×1/3\]"):
        mc.check_gradient(lambda t: np.cos(3 * t), lambda t: np.sin(3 * t), x)


# -- 5. finite differences ------------------------------------------------------------------------------
def forward(f, x, h):
    return (f(x + h) - f(x)) / h


def central(f, x, h):
    return (f(x + h) - f(x - h)) / (2 * h)


@pytest.mark.parametrize("fn, d1, d2, d3", [(np.exp, np.exp, np.exp, np.exp),
                                              (np.sin, np.cos, lambda x: -np.sin(x), lambda x: -np.cos(x))])
def test_truncation_errors_are_h_f2_over_2_and_h2_f3_over_6(fn, d1, d2, d3):
    for x in (0.3, 1.0, -1.2):
        for h in (1e-2, 3e-3):
            assert (forward(fn, x, h) - d1(x)) / h == pytest.approx(d2(x) / 2, rel=0.02, abs=1e-3)
            assert (central(fn, x, h) - d1(x)) / h**2 == pytest.approx(d3(x) / 6, rel=0.02, abs=1e-3)


def test_central_difference_is_exact_for_quadratics_and_3x2_plus_h2_for_cubes():
    rng = np.random.default_rng(RNG_SEED)
    for x, h in zip(rng.uniform(-3, 3, 5), rng.uniform(0.01, 0.5, 5)):
        assert central(lambda t: 2 * t**2 - t + 5, x, h) == pytest.approx(4 * x - 1, rel=1e-9, abs=1e-9)
        assert central(lambda t: t**3, x, h) == pytest.approx(3 * x**2 + h**2, rel=1e-9, abs=1e-9)
    assert central(lambda t: t**3, 2.0, 0.1) == pytest.approx(12.01) and forward(lambda t: t**3, 2.0, 0.1) == pytest.approx(12.61)


def test_machine_epsilon_and_its_powers():
    assert EPS == 2.0**-52 and EPS == pytest.approx(2.2e-16, rel=0.01)
    assert EPS**0.5 == pytest.approx(1.5e-8, rel=0.01)
    assert EPS ** (1 / 3) == pytest.approx(6e-6, rel=0.02)
    assert EPS ** (2 / 3) == pytest.approx(3.7e-11, rel=0.02)           # "≈ 4 × 10⁻¹¹"


def test_best_steps_of_the_error_models():
    h = np.logspace(-12, -2, 20001)
    for fv, f2, f3 in ((np.e, np.e, np.e), (2.0, 0.5, 3.0)):
        e_forward = h / 2 * f2 + EPS * fv / h
        e_central = h**2 / 6 * f3 + EPS * fv / h
        assert h[np.argmin(e_forward)] == pytest.approx(np.sqrt(2 * EPS * fv / f2), rel=1e-3)
        assert h[np.argmin(e_central)] == pytest.approx((3 * EPS * fv / f3) ** (1 / 3), rel=1e-3)
        assert 0.1 < e_forward.min() / EPS**0.5 < 10 and 0.1 < e_central.min() / EPS ** (2 / 3) < 10


def test_measured_valleys_for_exp_at_1():
    h, exact = L01["h"], np.e                                  # the lecture's steps and its measured errors
    fw, ce = L01["forward"], L01["central"]
    assert close(fw, np.abs((np.exp(1 + h) - np.exp(1.0)) / h - exact), 1e-12)
    assert close(ce, np.abs((np.exp(1 + h) - np.exp(1 - h)) / (2 * h) - exact), 1e-12)

    def typical(err, lo, hi):
        return np.median(err[(h >= lo) & (h <= hi)])

    best_fw, best_ce = typical(fw, 5e-9, 5e-8), typical(ce, 2e-6, 2e-5)
    assert 1e-9 < best_fw < 1e-7                              # "of order 1e-8"
    assert 1e-11 < best_ce < 1e-10                            # "≈ eps^(2/3) ≈ 4e-11"
    assert 300 < best_fw / best_ce < 3000                     # "about a thousand times"
    # the valleys: a decade and more away on either side the typical error is larger
    for err, lo, hi, best in ((fw, 5e-9, 5e-8, best_fw), (ce, 2e-6, 2e-5, best_ce)):
        assert typical(err, lo / 1000, hi / 1000) > 10 * best and typical(err, lo * 100, hi * 100) > 10 * best
    # slopes right of the valleys: 1 (forward) and 2 (central)
    right = (h > 1e-4) & (h < 1e-2)
    assert np.polyfit(np.log(h[right]), np.log(fw[right]), 1)[0] == pytest.approx(1, abs=0.05)
    assert np.polyfit(np.log(h[right]), np.log(ce[right]), 1)[0] == pytest.approx(2, abs=0.05)
    # at h = 1e-3: forward ≈ 1.4e-3 (= h e / 2), central ≈ 5e-7 (h² e / 6 ≈ 4.5e-7)
    assert abs(forward(np.exp, 1.0, 1e-3) - exact) == pytest.approx(1.4e-3, rel=0.05)
    assert abs(central(np.exp, 1.0, 1e-3) - exact) == pytest.approx(4.5e-7, rel=0.05)
    # "at h = 1e-14 hardly a correct digit"
    assert typical(fw, 1e-14, 3e-14) > 1e-3 * exact and typical(ce, 1e-14, 3e-14) > 1e-3 * exact


def test_matcalc_uses_central_differences_with_step_eps_cube_root():
    assert numerical.CENTRAL_STEP == pytest.approx(EPS ** (1 / 3))
    x = 1.0
    assert abs(mc.numerical_derivative(np.exp, x) - np.e) < 1e-9


def test_exactly_representable_step():
    for x in (0.1, 1.0, 3.7, 1e3):
        h = 1e-5
        h_exact = (x + h) - x
        assert (x + h_exact) - x == h_exact and abs(h_exact - h) < 1e-10 * max(1, x)


# ================================================================ lecture 02: the gradient
def bowl(v):
    return np.sum(np.asarray(v) ** 2)


def grad_bowl(v):
    return 2 * np.asarray(v, dtype=float)


def q02(v):
    x, y = v
    return x**2 + 3 * x * y


P = np.array([5.0, -5.0])


def cross2(a, b):
    """z-component of the cross product of two plane vectors: 0 exactly when they are parallel."""
    return a[0] * b[1] - a[1] * b[0]


# -- 1. partial derivatives -----------------------------------------------------------------------
def test_partials_of_the_bowl_and_of_x2_plus_3xy():
    rng = np.random.default_rng(RNG_SEED + 2)
    for x, y in rng.uniform(-4, 4, size=(6, 2)):
        assert close(mc.numerical_derivative(lambda t: bowl([t, y]), x), 2 * x)
        assert close(mc.numerical_derivative(lambda t: bowl([x, t]), y), 2 * y)
        assert close(mc.numerical_gradient(q02, np.array([x, y])), [2 * x + 3 * y, 3 * x])
    assert close([2 * 1.5 + 3 * -2.0, 3 * 1.5], [-3.0, 4.5], 1e-12)
    assert close(mc.numerical_derivative(lambda t: q02([t, -2.0]), 1.5), -3.0)
    assert close(mc.numerical_derivative(lambda t: q02([1.5, t]), -2.0), 4.5)


# -- 2. the gradient ----------------------------------------------------------------------------------
def test_gradient_of_the_bowl_is_10_minus_10_at_5_minus_5():
    assert close(grad_bowl(P), [10.0, -10.0], 1e-12)
    assert close(mc.numerical_gradient(bowl, P), [10.0, -10.0], 1e-9)


def test_gradients_of_norm_squared_linear_and_matrix_sum_of_squares():
    rng = np.random.default_rng(RNG_SEED + 3)
    for n in (1, 3, 7):
        x, a = rng.normal(size=n), rng.normal(size=n)
        assert close(mc.numerical_gradient(bowl, x), 2 * x)
        assert close(mc.numerical_gradient(lambda z: a @ z, x), a)
    W = np.arange(6.0).reshape(2, 3)
    G = mc.numerical_gradient(lambda W: np.sum(W**2), W)
    assert G.shape == W.shape and close(G, 2 * W)


def test_a_list_is_not_a_vector_and_a_row_breaks_the_update():
    with pytest.raises(TypeError):
        [10, -10] * 0.1
    assert [10, -10] * 2 == [10, -10, 10, -10]
    row = grad_bowl(P).reshape(1, -1)
    with pytest.raises(mc.GradientCheckError, match=r"\[wrong shape\].*the gradient of a scalar has the shape of its input"):
        mc.check_gradient(lambda v: grad_bowl(v).reshape(1, -1), bowl, P)
    assert (P - 0.1 * row).shape == (1, 2)


# -- 3. the picture --------------------------------------------------------------------------------------
def test_gradient_is_perpendicular_to_circles_and_points_outwards_with_length_10_sqrt2():
    rng = np.random.default_rng(RNG_SEED + 4)
    for v in rng.uniform(-6, 6, size=(8, 2)):
        g = mc.numerical_gradient(bowl, v)
        tangent = np.array([-v[1], v[0]])                   # tangent of the circle through v
        assert abs(g @ tangent) <= 1e-6 * np.linalg.norm(g) * np.linalg.norm(tangent)
        assert g @ v > 0                                    # outwards, towards larger values
    assert np.linalg.norm(grad_bowl(P)) == pytest.approx(10 * np.sqrt(2)) == pytest.approx(14.14, abs=0.01)
    # the gradient at (5, −5) is parallel to the point itself (why the post's picture looks right)
    assert abs(cross2(grad_bowl(P), P)) < 1e-12


# -- 4. the directional derivative --------------------------------------------------------------------
def test_directional_derivative_is_grad_dot_u():
    rng = np.random.default_rng(RNG_SEED + 5)
    h = lambda z: np.log(1 + z @ z)
    for n in (2, 5):
        for _ in range(3):
            x, u = rng.normal(size=n), rng.normal(size=n)
            u /= np.linalg.norm(u)
            assert close(2 * x / (1 + x @ x), mc.numerical_gradient(h, x))
            assert close(mc.numerical_derivative(lambda t: h(x + t * u), 0.0), (2 * x / (1 + x @ x)) @ u)
    for i, e in enumerate(np.eye(2)):                       # partial derivatives are D_e_i
        assert close(mc.numerical_derivative(lambda t: q02(P + t * e), 0.0), mc.numerical_gradient(q02, P)[i])


def test_directional_derivative_at_5_minus_5_and_the_unnormalised_mistake():
    u, v = np.array([0.6, 0.8]), np.array([3.0, 4.0])
    assert grad_bowl(P) @ u == pytest.approx(-2.0)
    assert close(mc.numerical_derivative(lambda t: bowl(P + t * u), 0.0), -2.0)
    assert grad_bowl(P) @ v == pytest.approx(-10.0) and np.linalg.norm(v) == 5
    assert grad_bowl(P) @ v / np.linalg.norm(v) == pytest.approx(-2.0)
    # ∇f·v is the rate per unit of t when moving at speed ‖v‖
    assert close(mc.numerical_derivative(lambda t: bowl(P + t * v), 0.0), -10.0)


# -- 5. steepest ascent ------------------------------------------------------------------------------------
def test_cauchy_schwarz_bounds_and_where_they_are_reached():
    rng = np.random.default_rng(RNG_SEED + 6)
    for n in (2, 4, 9):
        g = rng.normal(size=n)
        norm = np.linalg.norm(g)
        units = rng.normal(size=(500, n))
        units /= np.linalg.norm(units, axis=1, keepdims=True)
        rates = units @ g
        assert np.all(rates <= norm + 1e-12) and np.all(rates >= -norm - 1e-12)
        assert (g / norm) @ g == pytest.approx(norm) and (-g / norm) @ g == pytest.approx(-norm)
        perp = units[0] - (units[0] @ g) / norm**2 * g
        assert abs(perp @ g) < 1e-12


def test_rate_is_norm_cos_theta_minus_theta_g_with_max_at_minus_45_degrees():
    theta = np.linspace(-np.pi, np.pi, 721)
    U = np.stack([np.cos(theta), np.sin(theta)], axis=1)
    rates = U @ grad_bowl(P)
    theta_g = np.arctan2(-10.0, 10.0)
    assert np.degrees(theta_g) == pytest.approx(-45)
    assert close(rates, 10 * np.sqrt(2) * np.cos(theta - theta_g), 1e-12)
    assert np.degrees(theta[np.argmax(rates)]) == pytest.approx(-45)
    assert np.degrees(theta[np.argmin(rates)]) == pytest.approx(135)
    assert rates.max() == pytest.approx(14.1421, abs=1e-4)
    assert close(grad_bowl(P) / np.linalg.norm(grad_bowl(P)), [0.70710678, -0.70710678], 1e-8)


# -- 6. descent --------------------------------------------------------------------------------------------------
def descend(grad, x0, lr, n):
    path = [np.asarray(x0, dtype=float)]
    for _ in range(n):
        path.append(path[-1] - lr * grad(path[-1]))
    return np.array(path)


def test_descent_step_changes_f_by_minus_lr_grad_squared_to_first_order():
    rng = np.random.default_rng(RNG_SEED + 7)
    e = lambda v: v[0] ** 2 + 5 * v[1] ** 2 + np.sin(v[0] * v[1])
    for x in rng.normal(size=(4, 2)):
        g = mc.numerical_gradient(e, x)
        for lr in (1e-4, 1e-5):
            assert (e(x - lr * g) - e(x)) / lr == pytest.approx(-(g @ g), rel=1e-2)
        # among steps of the same length, −lr∇f decreases f most (to first order)
        for _ in range(10):
            u = rng.normal(size=2)
            u *= np.linalg.norm(g) / np.linalg.norm(u)
            assert g @ (-u) >= g @ (-g) - 1e-12


def test_descent_on_the_bowl_multiplies_by_0_8():
    path = descend(grad_bowl, P, 0.1, 15)
    assert close(path[:4], [[5, -5], [4, -4], [3.2, -3.2], [2.56, -2.56]], 1e-12)
    assert close(path, P * 0.8 ** np.arange(16)[:, None], 1e-12)
    for lr in np.random.default_rng(RNG_SEED).uniform(0.01, 0.4, 4):
        assert close(descend(grad_bowl, P, lr, 1)[1], (1 - 2 * lr) * P, 1e-12)


def test_elongated_bowl_gradient_and_factors():
    e = lambda v: v[0] ** 2 + 5 * v[1] ** 2
    grad_e = lambda v: np.array([2 * v[0], 10 * v[1]])
    rng = np.random.default_rng(RNG_SEED + 8)
    for v in rng.uniform(-5, 5, size=(5, 2)):
        assert close(grad_e(v), mc.numerical_gradient(e, v))
        assert abs(cross2(grad_e(v), v)) > 1e-6          # −∇e does not point at the minimum
    path = descend(grad_e, np.array([6.0, 3.0]), 0.08, 15)
    assert close(path[:, 0], 6.0 * 0.84 ** np.arange(16), 1e-12)
    assert close(path[:, 1], 3.0 * 0.2 ** np.arange(16), 1e-12)
