"""Every formula stated in lectures 06_hessian and 07_optimality, checked against matcalc's numerical derivatives.

The lectures' own functions (read with tests/lecture.py: `position`, `g`, examples A and B with their gradients and
Hessians) are compared with central differences, eigenvalues or direct evaluation, at fixed points and at seeded
random ones; closed forms the lectures only state in words are written here.
"""
import numpy as np
import pytest

import matcalc as mc

from closed_forms import close
from lecture import lecture_namespace

HESSIAN, OPTIMALITY = "06_hessian", "07_optimality"

RNG_SEED = 6070


# ================================================================ lecture 06: the Hessian
# -- 1. position, velocity, acceleration ------------------------------------------------------
def position(t):
    """The lecture's `position`."""
    return lecture_namespace(HESSIAN)["position"](t)


@pytest.mark.parametrize("t", [0.0, 0.5, 1.0, 2.0, 3.5, 4.0])
def test_velocity_and_acceleration_of_the_cart(t):
    v = 3 * t**2 - 12 * t + 9
    a = 6 * t - 12
    assert close(mc.numerical_derivative(position, t), v)
    assert close(v, 3 * (t - 1) * (t - 3))
    assert close(mc.numerical_derivative(lambda s: 3 * s**2 - 12 * s + 9, t), a)
    assert abs(mc.numerical_hessian(position, t) - a) <= 1e-6 * max(1.0, abs(a))   # d²x/dt² directly


def test_cart_turns_at_1_and_3_and_bends_the_other_way_after_2():
    assert close([mc.numerical_derivative(position, 1.0), mc.numerical_derivative(position, 3.0)], [0, 0], 1e-8)
    assert mc.numerical_hessian(position, 1.9) < 0 < mc.numerical_hessian(position, 2.1)


@pytest.mark.parametrize("fn, second", [(lambda x: x**2, 2.0), (lambda x: -x**2, -2.0),
                                        (lambda x: x**4, 0.0), (lambda x: x**3, 0.0)])
def test_second_derivatives_at_a_flat_point(fn, second):
    assert abs(mc.numerical_derivative(fn, 0.0)) < 1e-8
    assert abs(mc.numerical_hessian(fn, 0.0, richardson=True) - second) < 1e-6


def test_x4_min_minus_x4_max_x3_neither_at_zero():
    t = np.array([-0.1, -0.01, 0.01, 0.1])
    assert np.all(t**4 > 0) and np.all(-t**4 < 0)
    assert np.any(t**3 < 0) and np.any(t**3 > 0)


# -- 2. the Hessian of the seed's function ----------------------------------------------------------
def seed_f(v):
    x, y = v
    return 2 * x**2 + 3 * y**2 - x * y


def seed_grad(v):
    x, y = v
    return np.array([4 * x - y, 6 * y - x])


SEED_H = np.array([[4.0, -1.0], [-1.0, 6.0]])


def test_seed_gradient_and_constant_hessian_at_random_points():
    rng = np.random.default_rng(RNG_SEED)
    for v in rng.uniform(-3, 3, size=(5, 2)):
        assert close(seed_grad(v), mc.numerical_gradient(seed_f, v))
        assert close(SEED_H, mc.numerical_hessian(seed_f, v), 1e-6)
        assert close(SEED_H, mc.numerical_jacobian(seed_grad, v))          # the Hessian is the Jacobian of ∇f


def test_hessian_of_half_frobenius_norm_is_the_identity_tensor():
    X = np.arange(6.0).reshape(2, 3)
    H = mc.numerical_hessian(lambda X: 0.5 * np.sum(X**2), X)
    assert H.shape == X.shape + X.shape
    delta = np.einsum("ik,jl->ijkl", np.eye(2), np.eye(3))                # H_ijkl = δ_ik δ_jl
    assert close(H, delta, 1e-6)
    assert close(H.reshape(6, 6), np.eye(6), 1e-6)


# -- 3. symmetry (Schwarz) and its counterexample --------------------------------------------------
def g(v):
    """The lecture's `g`."""
    return lecture_namespace(HESSIAN)["g"](v)


def test_mixed_partials_of_x2_siny_plus_exp_xy_agree():
    rng = np.random.default_rng(RNG_SEED + 1)
    for x, y in rng.uniform(-1.5, 1.5, size=(5, 2)):
        v = np.array([x, y])
        g_x = 2 * x * np.sin(y) + y * np.exp(x * y)
        g_y = x**2 * np.cos(y) + x * np.exp(x * y)
        g_xy = 2 * x * np.cos(y) + (1 + x * y) * np.exp(x * y)
        assert close([g_x, g_y], mc.numerical_gradient(g, v))
        H = mc.numerical_hessian(g, v)
        assert close(H[0, 1], g_xy, 1e-6) and close(H[1, 0], g_xy, 1e-6)


def counterexample(v):
    x, y = v
    r2 = x * x + y * y
    return 0.0 if r2 == 0 else x * y * (x * x - y * y) / r2


def test_counterexample_has_different_mixed_partials_at_the_origin():
    f_x_on_y_axis = lambda y: mc.numerical_gradient(counterexample, np.array([0.0, y]))[0]
    f_y_on_x_axis = lambda x: mc.numerical_gradient(counterexample, np.array([x, 0.0]))[1]
    for s in (0.3, -0.7, 1.2):
        assert close(f_x_on_y_axis(s), -s, 1e-6)                              # f_x(0, y) = −y
        assert close(f_y_on_x_axis(s), s, 1e-6)                               # f_y(x, 0) = x
    s = 1e-2   # outer step much larger than the inner one (equal steps would sample the lines x = ±y, where f = 0)
    assert abs((f_x_on_y_axis(s) - f_x_on_y_axis(-s)) / (2 * s) - (-1.0)) < 1e-5   # x first, then y: −1
    assert abs((f_y_on_x_axis(s) - f_y_on_x_axis(-s)) / (2 * s) - 1.0) < 1e-5      # y first, then x: +1


# -- 4. quadratic forms ------------------------------------------------------------------------------
@pytest.mark.parametrize("n", [2, 3, 6])
def test_quadratic_form_gradient_and_hessian(n):
    rng = np.random.default_rng(RNG_SEED + n)
    A = rng.normal(size=(n, n))
    x = rng.normal(size=n)
    q = lambda x: x @ A @ x
    assert close((A + A.T) @ x, mc.numerical_gradient(q, x))
    H = mc.numerical_hessian(q, x)
    assert close(A + A.T, H, 1e-6)
    assert not close(2 * A, H, 1e-3)                                          # 2A is wrong for this A
    assert close(q(x), x @ (0.5 * (A + A.T)) @ x, 1e-12)                      # only the symmetric part counts
    S = A + A.T
    assert close(2 * S, mc.numerical_hessian(lambda x: x @ S @ x, x), 1e-6)   # 2A is right for symmetric A


def test_seed_function_is_half_v_H_v():
    rng = np.random.default_rng(RNG_SEED + 2)
    for v in rng.normal(size=(4, 2)):
        assert close(seed_f(v), 0.5 * v @ SEED_H @ v, 1e-12)


# -- 5. curvature and eigenvalues ------------------------------------------------------------------
def test_quadratic_taylor_model_has_third_order_error():
    x0, d = np.array([0.8, -0.6]), np.array([0.3, 0.2])
    grad = np.array([2 * x0[0] * np.sin(x0[1]) + x0[1] * np.exp(x0[0] * x0[1]),
                     x0[0]**2 * np.cos(x0[1]) + x0[0] * np.exp(x0[0] * x0[1])])
    H = mc.numerical_hessian(g, x0)

    def error(s):
        step = s * d
        return abs(g(x0 + step) - (g(x0) + grad @ step + 0.5 * step @ H @ step))

    ratios = [error(s) / error(s / 2) for s in (0.5, 0.25)]
    assert all(6.5 < r < 9.5 for r in ratios), ratios                       # halving d divides it by about 8


def test_directional_second_derivative_is_u_H_u():
    rng = np.random.default_rng(RNG_SEED + 3)
    x0 = np.array([0.8, -0.6])
    H = mc.numerical_hessian(g, x0)
    for _ in range(3):
        u = rng.normal(size=2)
        u /= np.linalg.norm(u)
        assert close(mc.numerical_hessian(lambda t: g(x0 + t * u), 0.0, richardson=True), u @ H @ u, 1e-6)


def test_seed_eigenvalues_and_eigen_expansion():
    lam, Q = np.linalg.eigh(SEED_H)
    assert close(lam, [5 - np.sqrt(2), 5 + np.sqrt(2)], 1e-12)
    rng = np.random.default_rng(RNG_SEED + 4)
    for d in rng.normal(size=(4, 2)):
        assert close(d @ SEED_H @ d, np.sum(lam * (Q.T @ d)**2), 1e-12)     # dᵀHd = Σ λᵢ (qᵢᵀd)²
    theta = np.linspace(0, np.pi, 721)
    U = np.stack([np.cos(theta), np.sin(theta)])
    curvature = np.einsum("in,ij,jn->n", U, SEED_H, U)
    assert close([curvature.min(), curvature.max()], lam, 1e-5)            # the range is [λmin, λmax]


GALLERY = [  # function, Hessian at 0 as stated in the lecture
    (lambda v: v[0]**2 + v[1]**2, np.diag([2.0, 2.0])),
    (lambda v: -v[0]**2 - v[1]**2, np.diag([-2.0, -2.0])),
    (lambda v: v[0]**2 - v[1]**2, np.diag([2.0, -2.0])),
    (lambda v: v[0]**4 + v[1]**2, np.diag([0.0, 2.0])),
    (lambda v: v[0]**3 + v[1]**2, np.diag([0.0, 2.0])),
]


@pytest.mark.parametrize("k", range(len(GALLERY)))
def test_gallery_is_stationary_at_zero_with_the_stated_hessian(k):
    fn, H = GALLERY[k]
    assert np.max(np.abs(mc.numerical_gradient(fn, np.zeros(2)))) < 1e-8
    assert np.max(np.abs(mc.numerical_hessian(fn, np.zeros(2), richardson=True) - H)) < 1e-6


def test_same_hessian_different_behaviour_x4_vs_x3():
    t = np.linspace(-0.5, 0.5, 101)
    t = t[t != 0]
    assert np.all(t**4 + 0.0 > 0)                         # x⁴ + y² > 0 = f(0) on the x-axis: a minimum
    assert np.any(t**3 < 0) and np.any(t**3 > 0)          # x³ + y² takes both signs: no extremum


def test_positive_diagonal_saddle():
    f = lambda v: 0.5 * v[0]**2 + 0.5 * v[1]**2 + 3 * v[0] * v[1]
    H = np.array([[1.0, 3.0], [3.0, 1.0]])
    assert close(H, mc.numerical_hessian(f, np.array([0.4, -0.2])), 1e-6)
    assert close(np.linalg.eigvalsh(H), [-2.0, 4.0], 1e-12)
    for t in (0.1, 0.2, 1.5):
        assert close(f(np.array([t, -t])), -2 * t**2, 1e-12)


def test_determinant_rule_holds_in_2d_and_fails_in_3d():
    rng = np.random.default_rng(RNG_SEED + 5)
    for _ in range(5):
        S = rng.normal(size=(2, 2))
        H = S + S.T
        lam = np.linalg.eigvalsh(H)
        assert close(np.linalg.det(H), lam[0] * lam[1], 1e-9) and close(np.trace(H), lam.sum(), 1e-12)
    H3 = np.diag([2.0, -1.0, -3.0])
    assert close(np.linalg.det(H3), 6.0, 1e-12) and H3[0, 0] > 0
    lam3 = np.linalg.eigvalsh(H3)
    assert lam3.min() < 0 < lam3.max()


# ================================================================ lecture 07: optimality conditions
def test_step_against_the_gradient_decreases_f_at_first_order():
    x0 = np.array([1.0, 1.0])
    g0 = seed_grad(x0)
    assert close(g0, [3.0, 5.0], 1e-12) and close(g0, mc.numerical_gradient(seed_f, x0))
    for t in (1e-2, 1e-3, 1e-4):
        change = seed_f(x0 - t * g0) - seed_f(x0)
        assert change < 0
        assert abs(change / (-t * g0 @ g0) - 1) < 30 * t                     # f(x − tg) = f(x) − t‖g‖² + O(t²)


def quintic(x):
    return 3 * x**5 - 5 * x**3


def test_quintic_stationary_points_and_second_derivatives():
    for x in (-1.3, -0.4, 0.7, 1.2):
        assert close(mc.numerical_derivative(quintic, x), 15 * x**4 - 15 * x**2)
        assert close(15 * x**4 - 15 * x**2, 15 * x**2 * (x**2 - 1), 1e-12)
        assert close(mc.numerical_hessian(quintic, x), 60 * x**3 - 30 * x, 1e-5)
    for x, second in ((-1.0, -30.0), (0.0, 0.0), (1.0, 30.0)):
        assert abs(mc.numerical_derivative(quintic, x)) < 1e-8
        assert abs(mc.numerical_hessian(quintic, x, richardson=True) - second) < 1e-6
    assert quintic(-0.1) > quintic(0.0) > quintic(0.1)                         # decreasing through 0: neither


def test_second_order_arguments():
    # necessary: along an eigenvector with λ < 0, f(x* + tq) − f(x*) ≈ ½ λ t²  (saddle (−1, 0) of example A, λ = −6)
    x_star, q = np.array([-1.0, 0.0]), np.array([1.0, 0.0])
    for t in (1e-2, 1e-3):
        assert abs((fA(x_star + t * q) - fA(x_star)) / t**2 - (-3.0)) < 10 * t
    # sufficient: dᵀHd ≥ λ_min ‖d‖²
    rng = np.random.default_rng(RNG_SEED + 6)
    H = hess_B(np.array([1.0, 1.0]))
    lam_min = np.linalg.eigvalsh(H)[0]
    for d in rng.normal(size=(20, 2)):
        assert d @ H @ d >= lam_min * d @ d - 1e-12


def test_the_table_of_gaps():
    nd, nh = mc.numerical_derivative, lambda fn, x: mc.numerical_hessian(fn, x, richardson=True)
    assert abs(nd(lambda x: -x**2, 0.0)) < 1e-8 and nh(lambda x: -x**2, 0.0) < 0               # a maximum
    assert abs(nh(lambda x: x**3, 0.0)) < 1e-6 and (-0.1)**3 < 0                              # PSD, no min
    assert abs(nh(lambda x: -x**4, 0.0)) < 1e-6 and -(0.1**4) < 0 and -((-0.1)**4) < 0      # PSD, a max
    assert abs(nh(lambda x: x**4, 0.0)) < 1e-6                                                # a min, H = 0
    assert close(nd(lambda x: x**2, 1.0), 2.0) and close(nh(lambda x: x**2, 1.0), 2.0, 1e-6)  # f'' > 0, f' ≠ 0


# -- examples A and B ------------------------------------------------------------------------------
def fA(v):
    """The lecture's `fA`."""
    return lecture_namespace(OPTIMALITY)["fA"](v)


def grad_A(v):
    """The lecture's `grad_A`."""
    return lecture_namespace(OPTIMALITY)["grad_A"](v)


def hess_A(v):
    """The lecture's `hess_A`."""
    return lecture_namespace(OPTIMALITY)["hess_A"](v)


def fB(v):
    """The lecture's `fB`."""
    return lecture_namespace(OPTIMALITY)["fB"](v)


def grad_B(v):
    """The lecture's `grad_B`."""
    return lecture_namespace(OPTIMALITY)["grad_B"](v)


def hess_B(v):
    """The lecture's `hess_B`."""
    return lecture_namespace(OPTIMALITY)["hess_B"](v)


@pytest.mark.parametrize("fn, grad, hess", [(fA, grad_A, hess_A), (fB, grad_B, hess_B)])
def test_example_gradients_and_hessians(fn, grad, hess):
    rng = np.random.default_rng(RNG_SEED + 7)
    points = rng.uniform(-2, 2, size=(5, 2))
    mc.check_gradient(grad, fn, *points)
    mc.check_hessian(hess, fn, *points)


@pytest.mark.parametrize("fn, grad, hess, point, eigenvalues, value", [
    (fA, grad_A, hess_A, (1, 0), (2, 6), -2), (fA, grad_A, hess_A, (-1, 0), (-6, 2), 2),
    (fB, grad_B, hess_B, (0, 0), (-4, 4), 0), (fB, grad_B, hess_B, (1, 1), (8, 16), -2),
    (fB, grad_B, hess_B, (-1, -1), (8, 16), -2)])
def test_example_stationary_points(fn, grad, hess, point, eigenvalues, value):
    p = np.array(point, dtype=float)
    assert np.max(np.abs(mc.numerical_gradient(fn, p))) < 1e-8
    assert close(np.linalg.eigvalsh(mc.numerical_hessian(fn, p)), eigenvalues, 1e-6)
    assert close(np.linalg.eigvalsh(hess(p)), eigenvalues, 1e-12)
    assert fn(p) == value


def test_examples_have_no_other_stationary_points():
    # A: 3x² − 3 = 0 and 2y = 0; B: y = x³ and x = y³ = x⁹, whose real roots are 0, ±1.
    assert sorted(np.roots([3, 0, -3]).real) == [-1.0, 1.0]
    roots = np.roots([1, 0, 0, 0, 0, 0, 0, 0, -1, 0])                           # x⁹ − x
    real = np.sort(roots[np.abs(roots.imag) < 1e-9].real)
    assert close(real, [-1, 0, 1], 1e-9)
    # A's local minimum is not global; B's minima are global (checked on a grid).
    assert fA(np.array([-10.0, 0.0])) < -2
    s = np.linspace(-3, 3, 241)
    X, Y = np.meshgrid(s, s)
    assert fB(np.stack([X, Y])).min() >= -2 - 1e-12


def test_gradient_descent_near_the_saddle_of_example_B():
    def descend(start, steps=60, lr=0.05):
        x = np.array(start, dtype=float)
        for _ in range(steps):
            x = x - lr * grad_B(x)
        return x
    for t in (0.3, -0.8):                                         # on y = −x the gradient is parallel to (1, −1)
        gv = grad_B(np.array([t, -t]))
        assert abs(gv[0] + gv[1]) < 1e-12
    assert np.max(np.abs(descend([0.3, -0.3]))) < 1e-5
    assert close(descend([0.3, -0.31]), [-1, -1], 1e-5)
    assert close(descend([-0.3, 0.31]), [1, 1], 1e-5)


# -- quadratics and least squares ------------------------------------------------------------------
@pytest.mark.parametrize("n", [2, 4, 7])
def test_quadratic_gradient_hessian_and_exact_expansion(n):
    rng = np.random.default_rng(RNG_SEED + 10 + n)
    S = rng.normal(size=(n, n))
    A, b = S + S.T + 0.5 * np.eye(n), rng.normal(size=n)                    # symmetric
    f = lambda x: 0.5 * x @ A @ x - b @ x
    x = rng.normal(size=n)
    assert close(A @ x - b, mc.numerical_gradient(f, x))
    assert close(A, mc.numerical_hessian(f, x), 1e-6)
    M = rng.normal(size=(n, n))                                              # not symmetric
    fM = lambda x: 0.5 * x @ M @ x - b @ x
    assert close(0.5 * (M + M.T) @ x - b, mc.numerical_gradient(fM, x))
    x_star = np.linalg.solve(A, b)
    assert np.max(np.abs(mc.numerical_gradient(f, x_star))) < 1e-8
    assert close(f(x_star), -0.5 * b @ x_star, 1e-12)
    d = rng.normal(size=n)
    assert close(f(x_star + d) - f(x_star), 0.5 * d @ A @ d, 1e-10)          # exact: no higher-order terms


def test_seed_quadratic_stationary_point():
    b = np.array([1.0, 2.0])
    f = lambda v: 2 * v[0]**2 + 3 * v[1]**2 - v[0] * v[1] - v[0] - 2 * v[1]
    assert close(f(np.array([0.3, -1.2])), 0.5 * np.array([0.3, -1.2]) @ SEED_H @ np.array([0.3, -1.2])
                 - b @ np.array([0.3, -1.2]), 1e-12)
    x_star = np.array([8.0, 9.0]) / 23
    assert close(np.linalg.solve(SEED_H, b), x_star, 1e-14)
    assert np.max(np.abs(mc.numerical_gradient(f, x_star))) < 1e-8
    assert np.all(np.linalg.eigvalsh(SEED_H) > 0)


def test_solve_leaves_a_smaller_gradient_than_the_inverse():
    n = 10
    hilbert = 1.0 / (np.arange(n)[:, None] + np.arange(n)[None, :] + 1)
    rhs = hilbert @ np.ones(n)
    by_solve = np.linalg.norm(hilbert @ np.linalg.solve(hilbert, rhs) - rhs)
    by_inverse = np.linalg.norm(hilbert @ (np.linalg.inv(hilbert) @ rhs) - rhs)
    assert by_solve < 1e-13 and by_inverse > 100 * by_solve


def test_least_squares_is_a_quadratic_with_normal_equations():
    rng = np.random.default_rng(7)
    size = rng.uniform(50, 200, size=20)
    rooms = np.round(size / 40 + rng.normal(0, 0.7, size=20))
    y = 3.0 * size + 20.0 * rooms + 50.0 + rng.normal(0, 15, size=20)
    X = np.column_stack([size, rooms, np.ones_like(size)])
    L = lambda w: 0.5 * np.sum((X @ w - y)**2)
    w = rng.normal(size=3)
    assert close(L(w), 0.5 * w @ X.T @ X @ w - (X.T @ y) @ w + 0.5 * y @ y, 1e-10)
    assert close(X.T @ (X @ w - y), mc.numerical_gradient(L, w), 1e-6)
    assert close(X.T @ X, mc.numerical_hessian(L, w), 1e-5)
    d = rng.normal(size=3)
    assert close(d @ X.T @ X @ d, np.sum((X @ d)**2), 1e-12)
    w_star = np.linalg.solve(X.T @ X, X.T @ y)
    assert close(w_star, np.linalg.lstsq(X, y, rcond=None)[0], 1e-8)
    assert np.all(np.linalg.eigvalsh(X.T @ X) > 0)
    dependent = np.column_stack([size, 2 * size, np.ones_like(size)])       # one feature a multiple of another
    assert np.linalg.eigvalsh(dependent.T @ dependent)[0] < 1e-8 * np.linalg.eigvalsh(dependent.T @ dependent)[-1]


def test_singular_quadratic_has_no_stationary_point_or_a_whole_line():
    A = np.diag([2.0, 0.0])
    grad = lambda x, b: A @ x - b
    b_inconsistent, b_consistent = np.array([1.0, 1.0]), np.array([1.0, 0.0])
    # the second gradient entry is −b₂ everywhere: never 0 when b₂ ≠ 0
    for x in np.random.default_rng(RNG_SEED + 20).normal(size=(5, 2)) * 10:
        assert grad(x, b_inconsistent)[1] == -1.0
    # with b₂ = 0 every point (½, t) is stationary
    f = lambda x: 0.5 * x @ A @ x - b_consistent @ x
    for t in (-3.0, 0.0, 2.5):
        assert np.max(np.abs(mc.numerical_gradient(f, np.array([0.5, t])))) < 1e-8
