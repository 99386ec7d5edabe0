"""Every formula and number stated in lecture 05_matrix_derivatives, checked numerically.

Each closed form is written out here again (not imported from the lecture) and compared with matcalc's
central differences or direct evaluation, at fixed points and at seeded random points of several
(non-square) shapes.
"""
import numpy as np
import pytest

import matcalc as mc

from closed_forms import close

RNG_SEED = 5050
SHAPES = [(1, 1, 1), (2, 3, 4), (3, 2, 1), (4, 4, 2), (5, 1, 3)]   # (m, n, k)


def directional(f, X, V, t=1e-6):
    """(f(X + tV) − f(X − tV)) / 2t: the first-order change of f along V, for checking df formulas."""
    return (np.asarray(f(X + t * V)) - np.asarray(f(X - t * V))) / (2 * t)


def invertible(rng, n):
    X = n * np.eye(n) + rng.normal(size=(n, n))
    if np.linalg.det(X) < 0:
        X[0] = -X[0]
    return X


def logdet(X):
    return np.linalg.slogdet(X)[1]


# -- 1. entry by entry ----------------------------------------------------------------------------
A23 = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
X32 = np.array([[0.5, -1.0], [2.0, 0.3], [-0.7, 1.1]])


def test_trace_example_gradient_is_A_transposed_of_shape_3_by_2():
    G = mc.numerical_gradient(lambda X: np.trace(A23 @ X), X32)
    assert G.shape == (3, 2) == X32.shape != A23.shape
    assert close(G, [[1, 4], [2, 5], [3, 6]]) and close(G, A23.T)


def test_trace_of_product_as_a_double_sum():
    rng = np.random.default_rng(RNG_SEED)
    A, X = rng.normal(size=(3, 5)), rng.normal(size=(5, 3))
    assert close(np.trace(A @ X), sum(A[i, j] * X[j, i] for i in range(3) for j in range(5)))


# -- 2. the differential --------------------------------------------------------------------------
@pytest.mark.parametrize("m, n, k", SHAPES)
def test_trace_identities_used_by_the_recipe(m, n, k):
    rng = np.random.default_rng([RNG_SEED, m, n, k])
    G, dX = rng.normal(size=(m, n)), rng.normal(size=(m, n))
    assert close(np.trace(G.T @ dX), np.sum(G * dX))                      # tr(Gᵀ dX) = Σ G_ij dX_ij
    P, Q = rng.normal(size=(m, n)), rng.normal(size=(n, m))
    assert close(np.trace(P @ Q), np.trace(Q @ P))                        # cyclic
    S = rng.normal(size=(n, n))
    assert close(np.trace(S.T), np.trace(S))


@pytest.mark.parametrize("m, n, k", SHAPES)
def test_product_rules_keep_the_order(m, n, k):
    rng = np.random.default_rng([RNG_SEED, 1, m, n, k])
    X, Y = rng.normal(size=(m, n)), rng.normal(size=(n, k))
    dX, dY = rng.normal(size=(m, n)), rng.normal(size=(n, k))
    d_xy = (((X + 1e-6 * dX) @ (Y + 1e-6 * dY)) - ((X - 1e-6 * dX) @ (Y - 1e-6 * dY))) / 2e-6
    assert close(d_xy, dX @ Y + X @ dY)                                   # d(XY) = dX Y + X dY
    A, B = rng.normal(size=(k, m)), rng.normal(size=(n, 2))
    assert close(directional(lambda X_: A @ X_ @ B, X, dX), A @ dX @ B)   # d(AXB) = A dX B


def rules(rng, m, n, k):
    """(name, f, differential df(dX), gradient, point) for each row of the lecture's table."""
    A, X, B = rng.normal(size=(m, n)), rng.normal(size=(n, k)), rng.normal(size=(m, k))
    a, b = rng.normal(size=n), rng.normal(size=k)
    S, x = rng.normal(size=(n, n)), rng.normal(size=n)
    C = rng.normal(size=(k, n))                     # drawn in the lecture's order
    Xsq = invertible(rng, n)
    R = A @ X - B
    return [
        ("tr(CX)", lambda X_: np.trace(C @ X_), lambda dX: np.trace(C @ dX), C.T, X),
        ("aᵀXb", lambda X_: a @ X_ @ b, lambda dX: np.trace(np.outer(b, a) @ dX), np.outer(a, b), X),
        ("‖X‖_F²", lambda X_: np.trace(X_.T @ X_), lambda dX: 2 * np.trace(X.T @ dX), 2 * X, X),
        ("xᵀSx", lambda x_: x_ @ S @ x_, lambda dx: x @ (S + S.T) @ dx, (S + S.T) @ x, x),
        ("‖AX − B‖_F²", lambda X_: np.sum((A @ X_ - B) ** 2), lambda dX: 2 * np.trace(R.T @ A @ dX),
         2 * A.T @ R, X),
        ("log det X", logdet, lambda dX: np.trace(np.linalg.inv(Xsq) @ dX), np.linalg.inv(Xsq).T, Xsq),
    ]


@pytest.mark.parametrize("m, n, k", SHAPES)
def test_table_of_rules_gradients_and_differentials(m, n, k):
    rng = np.random.default_rng([RNG_SEED, 2, m, n, k])
    for name, f, df, grad, point in rules(rng, m, n, k):
        assert grad.shape == point.shape, name
        assert close(grad, mc.numerical_gradient(f, point)), name
        V = rng.normal(size=point.shape)
        assert close(df(V), directional(f, point, V)), name
        assert close(df(V), np.sum(grad * V)), name                       # df = ⟨G, dX⟩


def test_lecture_rule_table_cell_seed_5():
    """The lecture's check cell (seed 5, m, n, k = 3, 4, 2): every formula within 1e-9 of the numerical one."""
    for name, f, _, grad, point in rules(np.random.default_rng(5), 3, 4, 2):
        assert np.max(mc.rel_error(grad, mc.numerical_gradient(f, point))) < 1e-9, name


def test_bilinear_gradient_is_rank_one():
    rng = np.random.default_rng(RNG_SEED + 3)
    assert np.linalg.matrix_rank(np.outer(rng.normal(size=4), rng.normal(size=3))) == 1


def test_least_squares_gradient_shape_n_by_k():
    A, R = np.ones((5, 3)), np.ones((5, 2))
    assert (A.T @ R).shape == (3, 2)


def test_jacobi_formula_for_the_determinant():
    rng = np.random.default_rng(RNG_SEED + 4)
    for n in (1, 2, 4):
        X, V = invertible(rng, n), rng.normal(size=(n, n))
        assert close(directional(np.linalg.det, X, V), np.linalg.det(X) * np.trace(np.linalg.inv(X) @ V))


# -- two rules often copied wrong -----------------------------------------------------------------
def test_quadratic_form_example_4_8_not_6_6_or_3_3():
    A, x = np.array([[1.0, 2.0], [0.0, 3.0]]), np.array([1.0, 1.0])
    num = mc.numerical_gradient(lambda x_: x_ @ A @ x_, x)
    assert close(num, [4, 8]) and close((A + A.T) @ x, [4, 8])
    assert close(2 * A @ x, [6, 6]) and close(A @ x, [3, 3]) and not close(num, 2 * A @ x)


def test_only_the_symmetric_part_matters_for_the_quadratic_form():
    rng = np.random.default_rng(RNG_SEED + 5)
    A, x = rng.normal(size=(4, 4)), rng.normal(size=4)
    assert close(x @ A @ x, x @ ((A + A.T) / 2) @ x)
    assert close(mc.numerical_gradient(lambda x_: x_ @ A @ x_, x), 2 * ((A + A.T) / 2) @ x)


def test_logdet_example():
    X = np.array([[2.0, 1.0], [0.0, 1.0]])
    assert close(np.linalg.det(X), 2)
    G = mc.numerical_gradient(logdet, X)
    assert close(G, [[0.5, 0.0], [-0.5, 1.0]]) and close(G, np.linalg.inv(X).T)
    assert close(G[1, 0], -X[0, 1] / 2) and close(G[0, 1], -X[1, 0] / 2)
    assert close(np.linalg.inv(X), [[0.5, -0.5], [0.0, 1.0]]) and not close(G, np.linalg.inv(X))


def test_logdet_symmetric_x_inverse_and_inverse_transpose_agree():
    rng = np.random.default_rng(RNG_SEED + 6)
    M = rng.normal(size=(4, 4))
    X = M @ M.T + np.eye(4)
    assert close(np.linalg.inv(X), np.linalg.inv(X).T)
    assert close(mc.numerical_gradient(logdet, X), np.linalg.inv(X))


def test_logdet_picture_matrix_is_non_symmetric_with_positive_det():
    X6 = 6 * np.eye(6) + 2 * np.random.default_rng(56).normal(size=(6, 6))
    assert np.linalg.det(X6) > 0
    Xi = np.linalg.inv(X6)
    assert close(mc.numerical_gradient(logdet, X6), Xi.T) and not close(Xi, Xi.T, 1e-2)


# -- linear layer ---------------------------------------------------------------------------------
def test_linear_layer_gradient_and_normal_equations():
    rng = np.random.default_rng(7)
    Xb, T = rng.normal(size=(8, 3)), rng.normal(size=(8, 2))
    W = rng.normal(size=(3, 2))
    loss = lambda W_: np.sum((Xb @ W_ - T) ** 2)
    dY = 2 * (Xb @ W - T)
    assert close(mc.numerical_gradient(loss, W), Xb.T @ dY)
    W_star = np.linalg.solve(Xb.T @ Xb, Xb.T @ T)
    assert np.abs(2 * Xb.T @ (Xb @ W_star - T)).max() < 1e-10


# -- 3. d(X²) ---------------------------------------------------------------------------------------
X_EX = np.array([[1.0, 2.0], [0.0, 1.0]])
V_EX = np.array([[1.0, 0.0], [1.0, 0.0]])


@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_differential_of_the_square(n):
    rng = np.random.default_rng([RNG_SEED, 7, n])
    X, V = rng.normal(size=(n, n)), rng.normal(size=(n, n))
    assert close(directional(lambda X_: X_ @ X_, X, V), X @ V + V @ X)
    for e in (0.5, 1e-3):                                                  # Q(ε) = XV + VX + εV² exactly
        assert close(((X + e * V) @ (X + e * V) - X @ X) / e, X @ V + V @ X + e * V @ V, 1e-8)
    if n > 1:
        assert not close(2 * X @ V, X @ V + V @ X)


def test_square_example_numbers():
    X, V = X_EX, V_EX
    assert close(np.linalg.norm(V @ V), np.sqrt(2))
    assert close(np.linalg.norm(X @ V - V @ X), 2 * np.sqrt(3)) and abs(2 * np.sqrt(3) - 3.46) < 0.005
    for e in 10.0 ** -np.arange(1, 8):
        Q = ((X + e * V) @ (X + e * V) - X @ X) / e
        assert abs(np.linalg.norm(Q - (X @ V + V @ X)) - np.sqrt(2) * e) < 0.02 * e      # √2 ε
        assert 3.4 < np.linalg.norm(Q - 2 * X @ V) < 3.47                                 # stalls near 2√3
    Q = ((X + 1e-7 * V) @ (X + 1e-7 * V) - X @ X) / 1e-7
    assert abs(np.linalg.norm(Q - 2 * X @ V) - 2 * np.sqrt(3)) < 1e-5


def test_check_jacobian_accepts_the_right_rule_and_rejects_2X_dX():
    X, V = X_EX, V_EX
    path = lambda t: (X + t * V) @ (X + t * V)
    mc.check_jacobian(lambda t: (X + t * V) @ V + V @ (X + t * V), path, 0.0, 0.5)
    with pytest.raises(mc.GradientCheckError) as info:
        mc.check_jacobian(lambda t: 2 * (X + t * V) @ V, path, 0.0, name="2X dX")
    assert str(info.value).startswith("[wrong entries]") and "3 of 4 entries" in str(info.value)


@pytest.mark.parametrize("X, V", [(2 * np.eye(2), V_EX), (np.diag([1.0, 3.0]), np.diag([2.0, -1.0])),
                                  (X_EX, X_EX)])
def test_commuting_pairs_make_the_scalar_rule_right(X, V):
    assert close(X @ V, V @ X) and close(2 * X @ V, X @ V + V @ X)
    assert close(directional(lambda X_: X_ @ X_, X, V), 2 * X @ V)


def test_square_along_the_ray_is_2_x_squared():
    assert close(X_EX @ X_EX + X_EX @ X_EX, 2 * X_EX @ X_EX)


# -- 4. d(X⁻¹) --------------------------------------------------------------------------------------
@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_differential_of_the_inverse(n):
    rng = np.random.default_rng([RNG_SEED, 8, n])
    X, V = invertible(rng, n), rng.normal(size=(n, n))
    Xi = np.linalg.inv(X)
    assert close(directional(np.linalg.inv, X, V), -Xi @ V @ Xi)
    assert close(V @ Xi + X @ (-Xi @ V @ Xi), np.zeros((n, n)))           # dX X⁻¹ + X d(X⁻¹) = 0
    if n > 1:
        assert not close(-Xi @ Xi @ V, -Xi @ V @ Xi)


def test_inverse_of_1_by_1_is_the_scalar_rule():
    x, dx = np.array([[2.5]]), np.array([[0.3]])
    xi = np.linalg.inv(x)
    assert close(-xi @ dx @ xi, -dx / x**2)


def test_inverse_example_table():
    X, V = np.array([[2.0, 1.0], [0.0, 1.0]]), np.array([[0.0, 1.0], [1.0, 0.5]])
    Xi = np.linalg.inv(X)
    for e in 10.0 ** -np.arange(1, 8, 2):
        Q = (np.linalg.inv(X + e * V) - Xi) / e
        assert np.linalg.norm(Q + Xi @ V @ Xi) < e                        # right rule: error O(ε)
        assert np.linalg.norm(Q + Xi @ Xi @ V) > 1.0                      # scalar rule: stalls


@pytest.mark.parametrize("n", [1, 2, 4])
def test_gradient_of_trace_of_inverse(n):
    rng = np.random.default_rng([RNG_SEED, 9, n])
    X = invertible(rng, n)
    Xi = np.linalg.inv(X)
    assert close(mc.numerical_gradient(lambda X_: np.trace(np.linalg.inv(X_)), X), -(Xi @ Xi).T)
    V = rng.normal(size=(n, n))
    assert close(-np.trace(Xi @ V @ Xi), -np.trace(Xi @ Xi @ V))          # cyclic step of the derivation


# -- the lecture's own table and numbers (read with tests/lecture.py) -------------------------------
from lecture import lecture_namespace  # noqa: E402

LECTURE = "05_matrix_derivatives"


def test_the_lectures_table_of_matrix_gradients():
    """Each (function, formula, point) row of the lecture's `rules` agrees with the numerical gradient there."""
    rules = lecture_namespace(LECTURE)["rules"]
    assert [name for name, *_ in rules] == ["tr(CX)", "aᵀXb", "‖X‖_F²", "xᵀSx", "‖AX − B‖_F²", "log det X"]
    for name, f, formula, point in rules:
        assert np.shape(formula) == np.shape(point), name
        assert close(mc.numerical_gradient(f, point), formula, 1e-6), name


def test_the_lectures_difference_quotients_of_x_squared():
    """The right rule's error shrinks like √2 ε; the scalar rule stalls at ‖XV − VX‖_F = 2√3 (as the lecture prints)."""
    ns = lecture_namespace(LECTURE)
    eps, right, wrong = ns["eps"], np.array(ns["err_right"]), np.array(ns["err_wrong"])
    assert np.all(np.abs(wrong - 2 * np.sqrt(3)) < 0.5) and abs(wrong[-1] - 2 * np.sqrt(3)) < 1e-5
    assert np.all(right[:4] < 2 * eps[:4]) and np.all(np.diff(right[:5]) < 0)


def test_the_lectures_gradient_of_the_trace_of_the_inverse():
    ns = lecture_namespace(LECTURE)
    assert close(ns["g_formula"], mc.numerical_gradient(lambda X_: np.trace(np.linalg.inv(X_)), ns["X"]), 1e-6)
    assert close(ns["g_formula"], -(ns["Xi"] @ ns["Xi"]).T)
