"""Every formula and number stated in lecture 08_gradient_descent (and its assignment), checked numerically.

The iteration is the lecture's own (`descend`, `first_small_gradient`, read with tests/lecture.py); closed forms
are compared with it and with matcalc's numerical derivatives, at fixed points and at seeded random ones.
"""
import numpy as np
import pytest

import matcalc as mc

from closed_forms import close
from lecture import lecture_namespace, lecture_text

RNG_SEED = 8080


LECTURE = "08_gradient_descent"


def descend(grad, x0, lr, steps):
    """The lecture's plain iteration x ← x − lr ∇f(x), `steps` times: all iterates (x0 first)."""
    return lecture_namespace(LECTURE)["descend"](grad, x0, lr, steps)


def stops_at(grad, x0, lr, tol=1e-8, max_iter=10_000):
    """Where the stopping rule ‖∇f‖ ≤ tol stops the lecture's iteration (None: not within max_iter)."""
    return lecture_namespace(LECTURE)["first_small_gradient"](grad, descend(grad, x0, lr, max_iter), tol)


def spd(rng, n, lo=0.5, hi=8.0):
    Q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    lam = np.sort(rng.uniform(lo, hi, size=n))
    lam[0], lam[-1] = lo, hi
    return (Q * lam) @ Q.T, lam


# -- 1. why the step goes downhill --------------------------------------------------------------
def f_demo(v):
    return v[0]**2 + 3 * v[1]**2


def test_demo_gradient_and_first_order_prediction():
    x = np.array([1.0, 1.0])
    g = np.array([2.0, 6.0])
    assert close(mc.numerical_gradient(f_demo, x), g)
    assert g @ g == 40
    H = np.diag([2.0, 6.0])
    assert close(mc.numerical_hessian(f_demo, x), H, 1e-5)
    assert g @ H @ g == 224
    for alpha, change in [(0.1, -2.88), (0.01, -0.3888), (1e-3, -0.039888)]:
        actual = f_demo(x - alpha * g) - f_demo(x)
        assert abs(actual - change) < 1e-12
        assert abs(actual - (-alpha * g @ g + 0.5 * alpha**2 * g @ H @ g)) < 1e-12   # exact for a quadratic
    assert abs(0.5 * 0.01 * 224 - 1.12) < 1e-12 and 1.12 / 4 > 0.25


def test_taylor_decrease_for_small_steps_and_steepest_direction():
    rng = np.random.default_rng(RNG_SEED)
    f = lambda v: np.sum(np.cos(v)) + 0.5 * v @ v + v[0] * v[1]
    for _ in range(5):
        x = rng.normal(size=3)
        g = mc.numerical_gradient(f, x)
        for alpha in [1e-3, 1e-4]:
            change = f(x - alpha * g) - f(x)
            assert change < 0
            assert abs(change + alpha * g @ g) <= 10 * alpha**2 * (g @ g) * 3   # O(α²) remainder
        d = rng.normal(size=(200, 3))
        d /= np.linalg.norm(d, axis=1, keepdims=True)
        assert np.all(d @ g >= -np.linalg.norm(g) - 1e-12)                       # Cauchy–Schwarz
        assert abs((-g / np.linalg.norm(g)) @ g + np.linalg.norm(g)) < 1e-12


# -- 2. f = x² ----------------------------------------------------------------------------------
@pytest.mark.parametrize("alpha", [0.05, 0.4, 0.5, 0.9, 1.0, 1.05, 1.3])
def test_x_squared_update_factor(alpha):
    xs = descend(lambda x: 2 * x, np.array([1.0]), alpha, 20)[:, 0]
    assert close(xs, (1 - 2 * alpha) ** np.arange(21), 1e-12)
    assert close(mc.numerical_derivative(lambda x: x**2, 0.7), 1.4)


def test_x_squared_regimes():
    run = lambda a, k=30: descend(lambda x: 2 * x, np.array([1.0]), a, k)[:, 0]
    assert np.all(np.diff(run(0.2)) < 0) and np.all(run(0.2) > 0)               # monotone
    assert run(0.5)[1] == 0.0                                                    # one step
    osc = run(0.9)
    assert np.all(np.sign(osc[1:]) == (-1.0) ** np.arange(1, 31)) and abs(osc[-1]) < 1e-2
    assert close(run(1.0), (-1.0) ** np.arange(31))                              # bounces between ±x0
    assert abs(run(1.05)[-1]) > 10 and abs(run(1.01, 2000)[-1]) > 1e6            # diverges
    assert abs(mc.numerical_hessian(lambda x: x**2, 0.3) - 2) < 1e-5             # thresholds 1/f'' and 2/f''
    assert abs(0.9**20 - 0.1216) < 1e-4 and abs(1.1**20 - 6.727) < 1e-3


# -- 3. stopping rule ---------------------------------------------------------------------------
def test_stopping_rule_on_x_squared():
    path = descend(lambda x: 2 * x, np.array([1.0]), 0.4, 30)
    assert stops_at(lambda x: 2 * x, [1.0], 0.4, max_iter=30) == 12 and "the path has 13 rows" in lecture_text(LECTURE)
    assert close(path[:4, 0], [1, 0.2, 0.04, 0.008], 1e-12)
    assert abs(2 * 0.2**12 - 8.192e-9) < 1e-15 and 2 * 0.2**11 > 1e-8
    bad = descend(lambda x: 2 * x, np.array([1.0]), 1.05, 50)
    assert stops_at(lambda x: 2 * x, [1.0], 1.05, max_iter=50) is None and abs(bad[-1, 0] - 117.39) < 0.01


def test_decrease_rule_stops_with_a_large_gradient():
    tol, alpha = 1e-8, 0.1
    x = 1.0
    while True:
        x_new = x - alpha * 2 * x
        if x**2 - x_new**2 <= tol:
            break
        x = x_new
    g = abs(2 * x)
    assert abs(x**2 - x_new**2 - alpha * (1 - alpha) * g**2) < 1e-15              # decrease = α(1 − α) g²
    assert 0.5 * np.sqrt(tol / alpha) < g < 2 * np.sqrt(tol / alpha) and g > 1e3 * tol
    assert 2.5e-4 < g < 3.5e-4 and g > 2e4 * tol                                     # "about 3·10⁻⁴"


def test_a_rule_on_f_fails_when_the_minimum_value_is_not_zero():
    f = lambda x: (x - 1) ** 2 + 5
    xs = descend(lambda x: 2 * (x - 1), np.array([3.0]), 0.3, 200)[:, 0]
    assert min(f(x) for x in xs) > 5 - 1e-12                                      # f ≤ tol never holds


# -- 4. the elongated valley --------------------------------------------------------------------
def test_gradient_of_quadratic_form_non_symmetric():
    A = np.array([[1.0, 2.0], [0.0, 10.0]])
    f = lambda x: 0.5 * x @ A @ x
    x = np.array([0.7, -0.3])
    assert close(A @ x, [0.1, -3.0]) and close(0.5 * (A + A.T) @ x, [0.4, -2.3])
    assert close(mc.numerical_gradient(f, x), [0.4, -2.3])
    assert not close(mc.numerical_gradient(f, x), A @ x, 1e-2)
    rng = np.random.default_rng(RNG_SEED + 1)
    for n in (2, 4, 7):
        B = rng.normal(size=(n, n))
        y = rng.normal(size=n)
        assert close(mc.numerical_gradient(lambda v: 0.5 * v @ B @ v, y), 0.5 * (B + B.T) @ y)
        assert close(mc.numerical_hessian(lambda v: 0.5 * v @ B @ v, y), 0.5 * (B + B.T), 1e-5)


A_VALLEY = np.diag([1.0, 10.0])
X0 = np.array([9.0, 1.5])


def grad_valley(x):
    return A_VALLEY @ x


def test_valley_component_factors():
    for lr, fx, fy in [(0.02, 0.98, 0.8), (2 / 11, 9 / 11, -9 / 11), (0.195, 0.805, -0.95), (0.205, 0.795, -1.05)]:
        path = descend(grad_valley, X0, lr, 40)
        assert close(path[:, 0], X0[0] * fx ** np.arange(41), 1e-10)
        assert close(path[:, 1], X0[1] * fy ** np.arange(41), 1e-10)
    assert abs(9 * 0.98**40 - 4.0) < 0.02
    assert close(mc.numerical_gradient(lambda x: 0.5 * x @ A_VALLEY @ x, X0), [9.0, 15.0])
    assert close(mc.numerical_hessian(lambda x: 0.5 * (x[0]**2 + 10 * x[1]**2), X0), A_VALLEY, 1e-5)
    assert 2 / 10 == 0.2 and 2 / 1 == 2


def test_valley_at_the_best_rate():
    path = descend(grad_valley, X0, 2 / 11, 200)
    norms = np.linalg.norm(path, axis=1)
    assert close(norms[1:] / norms[:-1], np.full(len(norms) - 1, 9 / 11), 1e-9)
    f = lambda x: 0.5 * x @ A_VALLEY @ x
    assert close(f(path[5]), (9 / 11) ** 10 * f(X0), 1e-9)
    assert stops_at(grad_valley, X0, 2 / 11) == 107 and "after 107 steps" in lecture_text(LECTURE)
    assert abs(np.linalg.norm([9, 15]) - np.sqrt(306)) < 1e-12 and abs(np.sqrt(306) - 17.5) < 0.01
    k = int(np.ceil(np.log(1e-8 / np.sqrt(306)) / np.log(9 / 11)))
    assert k == 107


def test_edge_and_beyond():
    edge = descend(grad_valley, X0, 0.2, 2000)
    assert stops_at(grad_valley, X0, 0.2, max_iter=2000) is None and abs(abs(edge[-1, 1]) - 1.5) < 1e-9
    bad = descend(grad_valley, X0, 0.205, 2000)
    assert stops_at(grad_valley, X0, 0.205, max_iter=2000) is None and abs(bad[-1, 1]) > 1e40
    assert stops_at(grad_valley, X0, 0.195, max_iter=2000) is not None


# -- 5. rate on a quadratic ---------------------------------------------------------------------
@pytest.mark.parametrize("n", [2, 4, 7])
def test_error_recursion_and_eigen_factors(n):
    rng = np.random.default_rng(RNG_SEED + n)
    A, lam = spd(rng, n)
    b = rng.normal(size=n)
    x_star = np.linalg.solve(A, b)
    grad = lambda x: A @ x - b
    assert close(mc.numerical_gradient(lambda x: 0.5 * x @ A @ x - b @ x, x_star), np.zeros(n), 1e-6)
    alpha = rng.uniform(0.05, 0.24)
    xs = descend(grad, rng.normal(size=n), alpha, 10)
    E = xs - x_star
    M = np.eye(n) - alpha * A
    assert close(E[1:], E[:-1] @ M.T, 1e-9)                                       # e_{k+1} = (I − αA) e_k
    assert close(np.sort(np.linalg.eigvalsh(M)), np.sort(1 - alpha * lam), 1e-9)
    rho = np.max(np.abs(1 - alpha * lam))
    assert np.all(np.linalg.norm(E, axis=1) <= rho ** np.arange(11) * np.linalg.norm(E[0]) * (1 + 1e-9))


@pytest.mark.parametrize("n", [2, 3, 6])
def test_stability_threshold_two_over_lambda_max(n):
    rng = np.random.default_rng(RNG_SEED + 10 + n)
    A, lam = spd(rng, n)
    grad = lambda x: A @ x
    x0 = rng.normal(size=n)
    assert stops_at(grad, x0, 0.98 * 2 / lam[-1], max_iter=20_000) is not None
    far = descend(grad, x0, 1.02 * 2 / lam[-1], 3000)
    assert np.linalg.norm(far[-1]) > 1e6 * np.linalg.norm(x0)
    for wrong in (1 / lam[0], 2 / lam[0]):                                        # rules on λ_min diverge
        assert np.max(np.abs(1 - wrong * lam)) > 1


@pytest.mark.parametrize("lo, hi", [(1.0, 10.0), (0.5, 3.0), (0.01, 100.0), (2.0, 2.5)])
def test_best_fixed_rate_by_grid_search(lo, hi):
    alphas = np.linspace(1e-6, 2 / hi, 200_001)
    rho = np.maximum(np.abs(1 - alphas * lo), np.abs(1 - alphas * hi))
    kappa = hi / lo
    best = alphas[np.argmin(rho)]
    assert abs(best - 2 / (lo + hi)) <= 2 * (alphas[1] - alphas[0])
    assert abs(rho.min() - (kappa - 1) / (kappa + 1)) < 1e-4
    assert abs((hi - lo) / (hi + lo) - (kappa - 1) / (kappa + 1)) < 1e-14
    assert abs(max(abs(1 - lam / hi) for lam in (lo, hi)) - (1 - 1 / kappa)) < 1e-14           # α = 1/λ_max


def test_numbers_for_kappa_ten():
    assert abs(2 / 11 - 0.182) < 5e-4 and abs(9 / 11 - 0.818) < 5e-4
    assert abs(1 - 1 / 10 - 0.9) < 1e-15
    assert 1 - 1 * 10 == -9 and 1 - 2 * 10 == -19


def test_rate_near_the_minimum_of_a_non_quadratic():
    rng = np.random.default_rng(RNG_SEED + 20)
    A, lam = spd(rng, 3, 1.0, 10.0)
    f = lambda x: 0.5 * x @ A @ x + 0.25 * np.sum(x**4)
    grad = lambda x: A @ x + x**3
    assert close(mc.numerical_gradient(f, np.array([0.3, -0.2, 0.5])), grad(np.array([0.3, -0.2, 0.5])))
    assert close(mc.numerical_hessian(f, np.zeros(3)), A, 1e-5)                    # H(x*) = A
    alpha = 2 / (lam[0] + lam[-1])
    xs = descend(grad, rng.normal(size=3) * 0.5, alpha, 200)
    norms = np.linalg.norm(xs, axis=1)
    assert np.all(norms[101:] <= norms[100:-1] * (9 / 11 + 1e-3))


# -- 6. condition number ------------------------------------------------------------------------
@pytest.mark.parametrize("kappa, predicted", [(1, 1), (10, 81), (100, 922), (1000, 10362)])
def test_iterations_grow_like_kappa(kappa, predicted):
    A = np.diag([1.0, kappa])
    rate = (kappa - 1) / (kappa + 1)
    g0 = np.linalg.norm(A @ np.ones(2))
    if kappa > 1:
        assert int(np.ceil(np.log(1e-6 / g0) / np.log(rate))) == predicted
    assert stops_at(lambda x: A @ x, np.ones(2), 2 / (1 + kappa), tol=1e-6, max_iter=2 * predicted + 10) == predicted
    if kappa >= 100:
        assert abs(np.log((kappa + 1) / (kappa - 1)) - 2 / kappa) < 1e-3 / kappa
        assert 0.9 < predicted / (kappa / 2 * np.log(g0 / 1e-6)) < 1.1


def test_f_decreases_at_every_step_below_the_threshold():
    rng = np.random.default_rng(RNG_SEED + 30)
    A, lam = spd(rng, 4)
    f = lambda x: 0.5 * x @ A @ x
    for alpha in (0.3 / lam[-1], 1.9 / lam[-1]):
        vals = [f(x) for x in descend(lambda x: A @ x, rng.normal(size=4), alpha, 100)]
        assert np.all(np.diff(vals) < 0)


# -- assignment and written answer ----------------------------------------------------------------
def test_assignment_numbers():
    A = np.diag([1.0, 10.0])
    assert close(np.array([9.0, 1.5]) - 0.1 * A @ np.array([9.0, 1.5]), [8.1, 0.0], 1e-12)
    B = np.array([[3.0, 2.0], [2.0, 3.0]])
    assert close(np.linalg.eigvalsh(B), [1.0, 5.0], 1e-12)
    assert abs(2 / 5 - 0.4) < 1e-15 and abs(2 / 6 - 1 / 3) < 1e-15 and abs(4 / 6 - 2 / 3) < 1e-15
    b = np.array([1.0, 5.0])
    assert close(np.linalg.solve(A, b), [1.0, 0.5])
    k = stops_at(lambda x: A @ x - b, np.array([9.0, 1.5]), 2 / 11)
    assert k == 105 and close(descend(lambda x: A @ x - b, np.array([9.0, 1.5]), 2 / 11, k)[-1], [1.0, 0.5], 1e-7)
    assert -0.5 * b @ np.linalg.solve(A, b) == -1.75                                # min f ≠ 0


def test_written_answer_numbers():
    lo, hi = 0.01, 100.0
    assert abs(1 - 0.025 * hi + 1.5) < 1e-12 and 2 / hi == 0.02
    assert 1 - (1 / lo) * hi == 1 - 1e4
    kappa = hi / lo
    assert abs(2 / (lo + hi) - 0.02) < 1e-5
    steps = np.log(1e6) / np.log((kappa + 1) / (kappa - 1))
    assert 6.5e4 < steps < 7.5e4 and abs(kappa / 2 * np.log(1e6) - 6.9e4) < 1e3


def test_regression_update_of_the_source_post_is_gradient_descent():
    rng = np.random.default_rng(RNG_SEED + 40)
    for _ in range(5):
        x1, x2, y = rng.normal(size=3)
        loss = lambda p: 0.5 * (y - (p[0] * x1 + p[1] * x2 + p[2])) ** 2
        p = rng.normal(size=3)
        y_hat = p[0] * x1 + p[1] * x2 + p[2]
        grad = np.array([-x1 * (y - y_hat), -x2 * (y - y_hat), -(y - y_hat)])
        assert close(mc.numerical_gradient(loss, p), grad)
        alpha = 0.1
        assert close(p - alpha * grad, [p[0] - alpha * (-x1 * (y - y_hat)), p[1] - alpha * (-x2 * (y - y_hat)),
                                        p[2] - alpha * (-(y - y_hat))], 1e-14)
