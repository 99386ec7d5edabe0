"""Lecture 09_newton, checked: the functions it defines (its g, g', g'', the two-variable example and its variant
with 2y³, its Newton solvers) are run from the lecture itself and compared with matcalc's numerical derivatives;
the iteration counts, points and step-size limits its text states are asserted against what they compute.
"""
import re

import numpy as np
import pytest

import matcalc as mc

from closed_forms import close, newton_example
from lecture import lecture_namespace, lecture_text

NS = lecture_namespace("09_newton")
TEXT = lecture_text("09_newton")
gradient_descent, newton = NS["gradient_descent"], NS["newton"]   # the lecture's own solvers

RNG_SEED = 909
OMEGA = 0.5671432904097838          # W(1): the root of x eˣ = 1


# -- 1. roots: x² − 2 from 1 -------------------------------------------------------------------
newton_1d = NS["newton_root_1d"]              # the lecture's (f, df, x0, steps) iteration


def test_tangent_root_is_the_newton_step():
    rng = np.random.default_rng(RNG_SEED)
    for _ in range(5):
        a, b = rng.uniform(-2, 2, size=2)
        f = lambda x: np.sin(x) + a * x**3 + b
        df = lambda x: mc.numerical_derivative(f, x)
        x = rng.uniform(-1, 1)
        x_next = x - f(x) / df(x)
        assert abs(f(x) + df(x) * (x_next - x)) < 1e-12 * max(1, abs(f(x)))   # the tangent is 0 there


def test_sqrt2_errors_and_quadratic_convergence():
    xs = newton_1d(lambda x: x**2 - 2, lambda x: 2 * x, 1.0, 5)
    assert xs[1] == 1.5 and close(xs[2], 17 / 12, 1e-15)
    err = np.abs(xs - np.sqrt(2))
    assert [f"{e:.1e}" for e in err[1:5]] == ["8.6e-02", "2.5e-03", "2.1e-06", "1.6e-12"]
    assert err[5] == 0.0
    # e_{k+1} ≈ f''/(2 f') e_k² = e_k² / (2√2) near the root
    for k in (2, 3):
        assert abs(err[k + 1] / err[k]**2 - 1 / (2 * np.sqrt(2))) < 0.01


# -- 2. minimising g(x) = eˣ − ln x ------------------------------------------------------------
g, dg, d2g = NS["g"], NS["dg"], NS["d2g"]


def test_derivatives_of_g_and_convexity():
    rng = np.random.default_rng(RNG_SEED)
    for x in [0.05, 0.8, 1.6, *rng.uniform(0.1, 3, size=5)]:
        assert close(mc.numerical_derivative(g, x), dg(x), 1e-6)
        assert close(mc.numerical_derivative(dg, x), d2g(x), 1e-6)
    assert np.all(d2g(np.linspace(1e-3, 10, 1000)) > 0)
    assert close(d2g(0.05) - np.exp(0.05), 400, 1e-12)                  # the curvature 1/x² = 400 at 0.05


def test_omega_constant_is_the_minimum():
    assert abs(OMEGA * np.exp(OMEGA) - 1) < 1e-15 and abs(dg(OMEGA)) < 1e-14
    assert f"{OMEGA:.10f}" == "0.5671432904"


@pytest.mark.parametrize("x0, steps, shown", [
    (0.05, 8, [0.05, 0.0972, 0.1832, 0.3205, 0.4773, 0.5578, 0.5671]),
    (1.6, 5, [1.6, 0.7901, 0.5436, 0.5666]),
])
def test_newton_on_g_prime(x0, steps, shown):
    run = newton(dg, d2g, np.array([x0]))
    assert run.converged and run.iterations == steps
    assert abs(run.x[0] - OMEGA) < 1e-12
    assert np.allclose(run.path[:len(shown), 0], shown, atol=5e-5)
    assert all(abs(dg(p)) > 1e-10 for p in run.path[:-1, 0])


# -- 3. the Newton step minimises the quadratic model ---------------------------------------------
def test_newton_step_is_the_stationary_point_of_the_model():
    rng = np.random.default_rng(RNG_SEED)
    for n in (2, 4, 7):
        M = rng.normal(size=(n, n))
        H = M @ M.T + np.eye(n)
        gr = rng.normal(size=n)
        model = lambda p: gr @ p + 0.5 * p @ H @ p
        p = np.linalg.solve(H, -gr)
        assert close(mc.numerical_gradient(model, p), np.zeros(n), 1e-6)
        q = rng.normal(size=n)
        assert close(mc.numerical_gradient(model, q), gr + H @ q)
        assert close(p, -np.linalg.inv(H) @ gr, 1e-10)
        assert gr @ p < 0                                              # descent direction for positive definite H


# -- 4. the two-variable example -------------------------------------------------------------
f, grad_f, hess_f = NS["f"], NS["grad_f"], NS["hess_f"]


def test_the_lecture_uses_the_corrected_example_with_2y2():
    rng = np.random.default_rng(RNG_SEED + 7)
    for v in rng.uniform(-3, 3, size=(6, 2)):
        assert close(f(v), newton_example(v), 1e-12)


def test_gradient_and_hessian_of_the_example():
    rng = np.random.default_rng(RNG_SEED)
    for v in [np.array([4.0, 4.0]), np.array([0.7, -1.3]), np.array([-2.0, 0.5]), *rng.uniform(-3, 3, size=(5, 2))]:
        assert close(grad_f(v), mc.numerical_gradient(f, v))
        assert close(hess_f(v), mc.numerical_hessian(f, v), 1e-5)
        assert close(hess_f(v), mc.numerical_jacobian(grad_f, v))
        cross = -1 - 0.4 * v[0]                                        # from −xy and −0.2x²y
        assert close(mc.numerical_derivative(lambda y: grad_f((v[0], y))[0], v[1]), cross)   # d/dy of f_x
        assert close(mc.numerical_derivative(lambda x: grad_f((x, v[1]))[1], v[0]), cross)   # d/dx of f_y


def test_first_step_from_4_4():
    x0 = np.array([4.0, 4.0])
    assert close(grad_f(x0), [277.6, 213.6], 1e-12)
    assert close(hess_f(x0), [[198.4, -2.6], [-2.6, 157.6]], 1e-12)
    x1 = x0 + np.linalg.solve(hess_f(x0), -grad_f(x0))
    assert np.allclose(x1, [2.5827, 2.6213], atol=5e-5)
    assert np.allclose(x1 - x0, [-1.417261, -1.378711], atol=5e-7)
    assert round(x1[1], 2) == 2.62 and np.floor(x1[1] * 100) / 100 == 2.62   # the seed's 2.61 is neither


def test_newton_reaches_origin_in_8_steps():
    run = newton(grad_f, hess_f, np.array([4.0, 4.0]))
    assert run.converged and run.iterations == 8
    gnorm = [np.linalg.norm(grad_f(p)) for p in run.path]
    xnorm = np.linalg.norm(run.path, axis=1)
    # "reaches" = first iterate with ‖∇f‖ <= 1e-10; it is also the first with ‖x‖ < 1e-8
    assert min(k for k, v in enumerate(gnorm) if v <= 1e-10) == 8
    assert min(k for k, v in enumerate(xnorm) if v < 1e-8) == 8
    assert gnorm[8] < 1e-15 and xnorm[8] < 1e-16
    assert [f"{v:.1e}" for v in xnorm[3:9]] == ["1.3e+00", "6.0e-01", "1.3e-01", "3.0e-03", "4.3e-08", "4.6e-17"]
    assert f"{gnorm[8]:.1e}" == "3.7e-16" and f"{xnorm[8]:.1e}" == "4.6e-17"


def test_origin_is_a_strict_local_minimum():
    H0 = hess_f(np.zeros(2))
    assert close(H0, [[8, -1], [-1, 4]], 0)
    assert close(np.linalg.eigvalsh(H0), [6 - np.sqrt(5), 6 + np.sqrt(5)], 1e-12)
    assert f(np.zeros(2)) == 0 and np.all(grad_f(np.zeros(2)) == 0)


@pytest.mark.parametrize("lr, converged, steps", [(0.01, True, 517), (0.02, True, 244), (0.03, False, None)])
def test_gradient_descent_needs_hundreds_of_steps(lr, converged, steps):
    with np.errstate(all="ignore"):
        gd = gradient_descent(grad_f, np.array([4.0, 4.0]), lr)
    assert gd.converged is converged
    if steps is not None:
        assert gd.iterations == steps and np.linalg.norm(gd.x) < 1e-8
    else:
        with np.errstate(all="ignore"):
            assert not np.all(np.isfinite(gd.path[-1])) or np.linalg.norm(gd.path[-1]) > 1e6   # diverged


def test_overshoot_above_one_over_lambda_and_instability_above_two_over_lambda():
    lam = np.linalg.eigvalsh(hess_f(np.array([4.0, 4.0]))).max()
    said = re.search(r"\\lambda \\approx (\d+\.\d)\$.*?\\eta > 1/\\lambda \\approx (0\.\d+)\$.*?"
                     r"\\eta > 2/\\lambda \\approx (0\.\d+)\$", TEXT, re.S)
    assert said, "lecture 9 no longer states the curvature and the two step-size limits"
    assert abs(float(said.group(1)) - lam) < 0.05
    assert abs(float(said.group(2)) - 1 / lam) < 5e-4 and abs(float(said.group(3)) - 2 / lam) < 5e-4
    # on the quadratic model along the top eigenvector a step multiplies the distance by 1 − ηλ
    for eta, overshoots, grows in ((0.004, False, False), (0.0075, True, False), (0.01, True, False),
                                   (0.02, True, True), (0.03, True, True)):
        factor = 1 - eta * lam
        assert bool(factor < 0) is overshoots and bool(abs(factor) > 1) is grows
    assert 1 / lam < 0.01 < 2 / lam                    # "η = 0.01 lies just below 2/λ: it overshoots but shrinks"


def test_first_gradient_steps_explain_why_002_recovers_and_003_diverges():
    x0 = np.array([4.0, 4.0])
    x1_002 = x0 - 0.02 * grad_f(x0)                      # past the minimum, but closer to it
    assert np.allclose(x1_002, [-1.55, -0.27], atol=0.005) and np.linalg.norm(x1_002) < np.linalg.norm(x0)
    assert 12 * x1_002[0]**2 + 8 < 198.4
    x1_003 = x0 - 0.03 * grad_f(x0)                      # x: 4 − 0.03·277.6 ≈ −4.33, farther out
    assert abs(grad_f(x0)[0] - 277.6) < 1e-9 and abs(x1_003[0] - (-4.33)) < 0.005 and abs(x1_003[0]) > 4
    assert 12 * x1_003[0]**2 + 8 > 12 * 4.0**2 + 8


# -- 5. the seed's typo 2y³ -------------------------------------------------------------------
f_typo, grad_typo, hess_typo = NS["f_typo"], NS["grad_typo"], NS["hess_typo"]


def test_typo_derivatives():
    rng = np.random.default_rng(RNG_SEED + 1)
    for v in [np.array([0.3, -0.7]), np.array([4.0, 4.0]), *rng.uniform(-3, 3, size=5).reshape(-1, 1) * [1, -1]]:
        assert close(grad_typo(v), mc.numerical_gradient(f_typo, v))
        assert close(hess_typo(v), mc.numerical_hessian(f_typo, v), 1e-5)


def test_typo_origin_is_a_saddle():
    H0 = hess_typo(np.zeros(2))
    assert np.all(grad_typo(np.zeros(2)) == 0)
    assert close(H0, [[8, -1], [-1, 0]], 0) and close(np.linalg.det(H0), -1, 1e-12)
    lam = np.linalg.eigvalsh(H0)
    assert close(lam, [4 - np.sqrt(17), 4 + np.sqrt(17)], 1e-12)
    assert f"{lam[0]:.2f}" == "-0.12" and f"{lam[1]:.2f}" == "8.12"
    # along the negative-curvature eigenvector f decreases, along the other it increases
    _, Q = np.linalg.eigh(H0)
    assert f_typo(1e-3 * Q[:, 0]) < 0 < f_typo(1e-3 * Q[:, 1])
    # an indefinite H: the Newton direction can point uphill
    gr = np.array([0.0, 1.0])
    assert gr @ np.linalg.solve(H0, -gr) > 0


def test_typo_newton_converges_to_the_saddle_from_half_minus_half():
    run = newton(grad_typo, hess_typo, np.array([0.5, -0.5]))
    assert run.converged and run.iterations == 9 and np.linalg.norm(run.x) < 1e-8


def test_typo_newton_from_4_4_finds_the_shallow_minimum():
    run = newton(grad_typo, hess_typo, np.array([4.0, 4.0]))
    assert run.converged and run.iterations == 14
    assert np.allclose(run.x, [0.002582, 0.020638], atol=5e-7)
    assert f"{f_typo(run.x):.1e}" == "-8.9e-06"
    assert np.all(np.linalg.eigvalsh(hess_typo(run.x)) > 0)
    assert np.allclose(run.path[1], [2.5815, 2.5254], atol=1e-4)       # not the seed's (2.58, 2.61) either


def test_typo_global_minimum():
    run = newton(grad_typo, hess_typo, np.array([1.0, -1.0]))
    assert run.converged and np.allclose(run.x, [-0.2118, -1.8927], atol=5e-5)
    assert np.all(np.linalg.eigvalsh(hess_typo(run.x)) > 0)
    s = np.linspace(-3, 3, 601)
    X, Y = np.meshgrid(s, s)
    assert f_typo((X, Y)).min() >= f_typo(run.x) - 1e-12
    assert f"{f_typo(run.x):.3e}" == "-3.497e+00"


# -- 6. systems ---------------------------------------------------------------------------------
F, J = NS["F"], NS["J"]


def wrong_side_iteration(F, J, x0, tol=1e-12, max_iter=50, wrong_side=True):
    """Newton's iteration with the classic mistake solve(J.T, F), to show that it fails."""
    path = [np.array(x0, dtype=float)]
    with np.errstate(all="ignore"):
        while np.linalg.norm(F(path[-1])) > tol and len(path) <= max_iter:
            x = path[-1]
            Jx = J(x).T if wrong_side else J(x)
            if not np.all(np.isfinite(Jx)):
                break
            path.append(x + np.linalg.solve(Jx, -F(x)))
    return np.array(path)


def test_jacobian_of_the_system():
    rng = np.random.default_rng(RNG_SEED)
    for v in [np.array([1.0, -1.0]), np.array([-1.0, 1.0]), *rng.uniform(-2, 2, size=(4, 2))]:
        assert close(J(v), mc.numerical_jacobian(F, v))


@pytest.mark.parametrize("x0, root, norms", [
    ([1.0, -1.0], [1.004169, -1.729637], ["1e-04", "8e-10"]),
    ([-1.0, 1.0], [-1.816264, 0.837368], ["2e-04", "2e-09"]),
])
def test_system_roots_in_5_steps(x0, root, norms):
    path = np.asarray(NS["newton_system"](F, J, np.array(x0, dtype=float)))
    assert len(path) - 1 == 5 and np.allclose(path[-1], root, atol=5e-7)
    assert np.linalg.norm(F(path[-1])) == 0.0
    assert [f"{np.linalg.norm(F(p)):.0e}" for p in path[3:5]] == norms
    assert close(path[-1][0]**2 + path[-1][1]**2, 4, 1e-14) and close(path[-1][1], 1 - np.exp(path[-1][0]), 1e-14)


def test_wrong_side_differs_and_fails():
    x = np.array([1.0, -1.0])
    assert np.allclose(np.linalg.solve(J(x), F(x)), [-0.07576569, 0.92423431], atol=1e-8)
    assert np.allclose(np.linalg.solve(J(x).T, F(x)), [-0.53149447, -0.34470711], atol=1e-8)
    assert close(F(x) @ np.linalg.inv(J(x)), np.linalg.solve(J(x).T, F(x)), 1e-12)   # Fᵀ J⁻¹ = solve(Jᵀ, F)
    path = wrong_side_iteration(F, J, x)
    with np.errstate(all="ignore"):
        assert not (np.all(np.isfinite(path[-1])) and np.linalg.norm(F(path[-1])) <= 1e-12)


# -- 7. cost --------------------------------------------------------------------------------------
def test_memory_and_flop_estimates():
    assert (1e8)**2 * 8 == 8e16                       # 80 PB for n = 10⁸ (lecture)
    assert (1e7)**2 * 8 == 8e14                       # 800 TB for n = 10⁷ (assignment)
    assert f"{2 / 3 * (1e7)**3:.0e}" == "7e+20"


# -- additions: far from the root, linear vs quadratic, gradient descent near the saddle --------------
def test_arctan_converges_from_1_3_and_diverges_from_1_5():
    step = lambda x0: newton_1d(np.arctan, lambda x: 1 / (1 + x**2), x0, 6)
    near, far = step(1.3), step(1.5)
    assert np.allclose(near[1:5], [-1.1616, 0.8589, -0.3742, 0.0340], atol=5e-5) and abs(near[-1]) < 1e-10
    assert np.allclose(far[1:5], [-1.6941, 2.3211, -5.1141, 32.2957], atol=5e-5)
    assert np.all(np.diff(np.abs(far)) > 0) and np.all(np.sign(far[1:]) == -np.sign(far[:-1]))
    # the step is x − (1 + x²) arctan x
    for x in (1.3, 1.5, -0.7):
        assert close(x - np.arctan(x) / mc.numerical_derivative(np.arctan, x), x - (1 + x**2) * np.arctan(x), 1e-8)


def test_gradient_descent_converges_linearly_with_factor_1_minus_lr_lambda_min():
    gd = gradient_descent(grad_f, np.array([4.0, 4.0]), 0.01)
    ratio = (np.linalg.norm(gd.path[-1]) / np.linalg.norm(gd.path[-101])) ** (1 / 100)
    assert abs(ratio - (1 - 0.01 * (6 - np.sqrt(5)))) < 1e-6 and f"{ratio:.3f}" == "0.962"


def test_typo_gradient_descent_from_half_minus_half_avoids_the_saddle():
    gd = gradient_descent(grad_typo, np.array([0.5, -0.5]), 0.01)
    assert gd.converged and gd.iterations == 253
    assert np.allclose(gd.x, [-0.2118, -1.8927], atol=5e-5) and f"{f_typo(gd.x):.3f}" == "-3.497"
