"""Every formula and numeric fact stated in lecture 03_jacobian, checked against matcalc's numerical Jacobian.

The lecture's own functions and tables (read with tests/lecture.py) are compared with central differences or direct
evaluation, at fixed points and at seeded random ones; closed forms the lecture only states in words are written here
and checked for several sizes n.
"""
import numpy as np
import pytest

import matcalc as mc

from closed_forms import close
from lecture import lecture_namespace

LECTURE = "03_jacobian"

RNG_SEED = 303
SIZES = [1, 2, 5, 8]


def jac(f, x):
    return mc.numerical_jacobian(f, x)


# -- 1. four cases: shape f(x).shape + x.shape ---------------------------------------------------
W24 = np.array([[1.0, 2.0, 0.0, -1.0], [0.5, 0.0, 3.0, 1.0]])
X4 = np.array([1.0, -2.0, 0.5, 3.0])


@pytest.mark.parametrize("f, x, shape, exact", [
    (lambda x: x**2, 1.5, (), 3.0),
    (lambda x: np.array([np.cos(x), np.sin(x), x**2]), 1.5, (3,), [-np.sin(1.5), np.cos(1.5), 3.0]),
    (lambda x: np.sum(x**2), X4, (4,), 2 * X4),
    (lambda x: W24 @ x, X4, (2, 4), W24),
])
def test_four_cases_have_shape_output_plus_input(f, x, shape, exact):
    J = jac(f, x)
    assert np.shape(J) == shape == np.shape(f(x)) + np.shape(x)
    assert close(J, exact)


# -- 2. Parr & Howard's example and the rows-are-gradients rule ----------------------------------
def f_parr(v):
    """The lecture's `f_parr`."""
    return lecture_namespace(LECTURE)["f_parr"](v)


def jacobian_parr(v):
    """The lecture's `jacobian_parr`."""
    return lecture_namespace(LECTURE)["jacobian_parr"](v)


def test_parr_jacobian_at_1_2_is_12_3_2_1024():
    J = jacobian_parr(np.array([1.0, 2.0]))
    assert np.array_equal(J, [[12.0, 3.0], [2.0, 1024.0]])
    assert close(jac(f_parr, np.array([1.0, 2.0])), J)


def test_parr_jacobian_at_random_points_and_rows_are_gradients():
    rng = np.random.default_rng(RNG_SEED)
    for v in rng.uniform(-1.5, 1.5, size=(6, 2)):
        J = jacobian_parr(v)
        assert close(jac(f_parr, v), J)
        for i in range(2):
            assert close(mc.numerical_gradient(lambda u: f_parr(u)[i], v), J[i])
        mc.check_jacobian(jacobian_parr, f_parr, v)


def g_square(v):
    """The lecture's `g`."""
    return lecture_namespace(LECTURE)["g"](v)


def test_linearisation_of_g_at_p():
    p = np.array([1.0, 0.5])
    J = np.array([[2 * p[0], -2 * p[1]], [2 * p[1], 2 * p[0]]])
    assert np.array_equal(J, [[2.0, -1.0], [1.0, 2.0]])
    assert close(jac(g_square, p), J)
    rng = np.random.default_rng(RNG_SEED)
    d = rng.normal(size=2)
    errors = [np.linalg.norm(g_square(p + t * d) - g_square(p) - J @ (t * d)) / t for t in (1e-1, 1e-2, 1e-3)]
    assert errors[0] > errors[1] > errors[2] and errors[2] < 1e-2      # error / |d| -> 0


def test_negated_row_is_steepest_descent_of_that_output_only():
    v = np.array([1.0, 2.0])
    J = jacobian_parr(v)
    rng = np.random.default_rng(RNG_SEED)
    for i in range(2):
        best = -J[i] / np.linalg.norm(J[i])
        for u in rng.normal(size=(50, 2)):
            u /= np.linalg.norm(u)
            assert J[i] @ u >= J[i] @ best - 1e-12
    directions = J / np.linalg.norm(J, axis=1, keepdims=True)
    assert abs(directions[0] @ directions[1]) < 0.99                 # the two outputs disagree


# -- 3. identity and affine maps ------------------------------------------------------------------
@pytest.mark.parametrize("m, n", [(1, 1), (2, 3), (4, 4), (5, 2)])
def test_identity_and_affine_jacobians(m, n):
    rng = np.random.default_rng(RNG_SEED + 10 * m + n)
    W, b, x = rng.normal(size=(m, n)), rng.normal(size=m), rng.normal(size=n)
    assert close(jac(lambda x_: x_, x), np.eye(n))
    J = jac(lambda x_: W @ x_ + b, x)
    assert J.shape == (m, n) and close(J, W)


def test_lecture_affine_example_shape():
    rng = np.random.default_rng(3)
    W, b, x = rng.normal(size=(2, 3)), rng.normal(size=2), rng.normal(size=3)
    assert jac(lambda x_: W @ x_ + b, x).shape == (2, 3)


# -- 4. element-wise binary operations -----------------------------------------------------------
RULES = {   # y(w, x), ∂y/∂w, ∂y/∂x
    "add": (lambda w, x: w + x, lambda w, x: np.eye(w.size), lambda w, x: np.eye(w.size)),
    "sub": (lambda w, x: w - x, lambda w, x: np.eye(w.size), lambda w, x: -np.eye(w.size)),
    "mul": (lambda w, x: w * x, lambda w, x: np.diag(x), lambda w, x: np.diag(w)),
    "div": (lambda w, x: w / x, lambda w, x: np.diag(1 / x), lambda w, x: np.diag(-w / x**2)),
}


def test_the_lectures_table_of_elementwise_rules():
    """The lecture's `rules` (at its own w, x): every stated Jacobian is the numerical one, and diagonal."""
    rules = lecture_namespace(LECTURE)["rules"]
    _, diag_x, diag_w = rules["w ⊙ x"]           # the point the lecture used: ∂(w ⊙ x)/∂w = diag(x), /∂x = diag(w)
    w, x = np.diag(diag_w).copy(), np.diag(diag_x).copy()
    assert len(rules) == 4
    for name, (y, Jw, Jx) in rules.items():
        for got, want in ((jac(lambda w_: y(w_, x), w), Jw), (jac(lambda x_: y(w, x_), x), Jx)):
            assert close(got, want), name      # (for w ⊙ x this also confirms the point read back)
            assert np.allclose(want - np.diag(np.diag(want)), 0), name


@pytest.mark.parametrize("op", sorted(RULES))
@pytest.mark.parametrize("n", SIZES)
def test_elementwise_rules_are_diagonal(op, n):
    y, Jw, Jx = RULES[op]
    rng = np.random.default_rng(RNG_SEED + n)
    w = rng.normal(size=n)
    x = rng.uniform(0.5, 2.0, size=n) * rng.choice([-1.0, 1.0], size=n)
    for got, want in ((jac(lambda w_: y(w_, x), w), Jw(w, x)), (jac(lambda x_: y(w, x_), x), Jx(w, x))):
        assert close(got, want)
        assert np.allclose(got - np.diag(np.diag(got)), 0, atol=1e-8)     # off-diagonal entries vanish
        assert close(got, got.T)                                          # both layouts agree


def test_quotient_derivative_has_a_minus_sign():
    w, x = np.array([2.0]), np.array([0.5])
    assert close(jac(lambda x_: w / x_, x), [[-8.0]])                      # −w/x² = −2/0.25


@pytest.mark.parametrize("n", SIZES)
def test_general_elementwise_rule_sin_w_times_x_squared(n):
    rng = np.random.default_rng(RNG_SEED + 100 + n)
    w, x = rng.normal(size=n), rng.normal(size=n)
    assert close(jac(lambda w_: np.sin(w_) * x**2, w), np.diag(np.cos(w) * x**2))
    assert close(jac(lambda x_: np.sin(w) * x_**2, x), np.diag(2 * np.sin(w) * x))


def test_vector_times_diagonal_is_elementwise_product():
    rng = np.random.default_rng(RNG_SEED)
    v, d = rng.normal(size=6), rng.normal(size=6)
    assert close(v @ np.diag(d), v * d)


# -- 5. scalar expansion --------------------------------------------------------------------------
@pytest.mark.parametrize("n", SIZES)
def test_scalar_expansion(n):
    rng = np.random.default_rng(RNG_SEED + 200 + n)
    x, z = rng.normal(size=n), float(rng.uniform(-3, 3))
    assert close(jac(lambda x_: x_ + z, x), np.eye(n))
    assert close(jac(lambda z_: x + z_, z), np.ones(n))                     # shape (n,) + () = (n,)
    assert close(jac(lambda x_: x_ * z, x), z * np.eye(n))
    assert close(jac(lambda z_: x * z_, z), x)


def test_lecture_scalar_expansion_numbers():
    x, z = np.array([1.0, -2.0, 0.5]), 2.5
    assert close(jac(lambda z_: x + z_, z), [1.0, 1.0, 1.0])
    assert close(jac(lambda z_: x * z_, z), [1.0, -2.0, 0.5])


# -- 6. sum reduction -----------------------------------------------------------------------------
@pytest.mark.parametrize("n", SIZES)
def test_sum_reduction(n):
    rng = np.random.default_rng(RNG_SEED + 300 + n)
    x, z = rng.normal(size=n), float(rng.uniform(-3, 3))
    assert close(jac(np.sum, x), np.ones(n))                               # 1ᵀ, shape (n,)
    assert close(jac(lambda x_: np.sum(x_**2), x), 2 * x)
    assert close(jac(lambda x_: np.sum(np.tanh(x_)), x), 1 - np.tanh(x)**2)  # sum(f(x)) -> f'(x)
    assert close(jac(lambda x_: np.sum(x_ * z), x), z * np.ones(n))
    assert close(jac(lambda z_: np.sum(x * z_), z), np.sum(x))


def test_lecture_sum_numbers():
    x, z = np.array([1.0, -2.0, 0.5, 3.0]), 2.5
    assert close(jac(lambda x_: np.sum(x_**2), x), [2.0, -4.0, 1.0, 6.0])
    assert close(jac(lambda z_: np.sum(x * z_), z), 2.5) and np.sum(x) == 2.5


def test_broadcast_parameter_gets_the_sum_over_its_copies():
    rng = np.random.default_rng(RNG_SEED)
    x, c, z = rng.normal(size=5), rng.normal(size=5), 0.7
    loss = lambda z_: np.sum(c * (x + z_))                                  # z copied into 5 places
    assert close(mc.numerical_derivative(loss, z), np.sum(c))
    assert close(c @ np.ones(5), np.sum(c))                                 # vᵀ (column of ones)


# -- 7. layouts -----------------------------------------------------------------------------------
def test_numerator_and_denominator_layout_of_ax():
    A = np.array([[1.0, 2.0, 0.0], [-1.0, 3.0, 4.0]])
    x = np.array([0.5, -1.0, 2.0])
    J = jac(lambda x_: A @ x_, x)
    assert J.shape == (2, 3) and close(J, A)
    assert J.T.shape == (3, 2) and close(J.T, A.T)


def test_chain_rule_order_in_numerator_layout():
    rng = np.random.default_rng(RNG_SEED)
    A, B, x = rng.normal(size=(3, 4)), rng.normal(size=(2, 3)), rng.normal(size=4)
    u = lambda x_: np.tanh(A @ x_)
    y = lambda x_: B @ u(x_)
    assert close(jac(y, x), jac(lambda u_: B @ u_, u(x)) @ jac(u, x))      # ∂y/∂u · ∂u/∂x
    assert close(jac(y, x).T, jac(u, x).T @ jac(lambda u_: B @ u_, u(x)).T)  # denominator: reversed order


def test_seed_neuron_bias_is_added_once():
    rng = np.random.default_rng(RNG_SEED)
    w, x, b = rng.normal(size=4), rng.normal(size=4), 0.9
    assert close(np.sum(w * x) + b, w @ x + b)
    assert not close(np.sum(w * x + b), w @ x + b)                          # bias inside the sum: n·b


# -- the assignment's vector field ----------------------------------------------------------------
def test_assignment_field_jacobian():
    def field(v):
        x, y, z = v
        return np.array([x**2 * y + np.sin(3 * z), x * z - y**3])
    rng = np.random.default_rng(RNG_SEED)
    for v in rng.uniform(-2, 2, size=(5, 3)):
        x, y, z = v
        J = np.array([[2 * x * y, x**2, 3 * np.cos(3 * z)], [z, -3 * y**2, x]])
        assert J.shape == (2, 3) and close(jac(field, v), J)
