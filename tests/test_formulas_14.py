"""Every formula and number stated in lecture 14_relu_neuron, checked numerically.

The formulas are written out again here (not imported from the lecture) and compared with matcalc's
central differences or with direct evaluation, at the lecture's points and at seeded random points that are
safely away from the ReLU's kink.
"""
import numpy as np
import pytest

import matcalc as mc

from closed_forms import close

RNG_SEED = 1414
H = mc.numerical.CENTRAL_STEP


def relu(z):
    return np.maximum(0.0, z)


def relu_prime(z):
    return (np.asarray(z) > 0).astype(float)


def forward(w, b, X):
    return relu(X @ w + b)


def loss(w, b, X, y):
    return float(np.mean((y - forward(w, b, X)) ** 2))


def gradient_sum_form(w, b, X, y):
    """(2/N) Σ over active samples of e_i x_i and of e_i, by an explicit loop (the boxed formula)."""
    N = X.shape[0]
    dw, db = np.zeros_like(w), 0.0
    for x_i, y_i in zip(X, y):
        z_i = w @ x_i + b
        if z_i > 0:
            e_i = z_i - y_i
            dw += 2 / N * e_i * x_i
            db += 2 / N * e_i
    return dw, db


def gradient_matrix_form(w, b, X, y):
    N = X.shape[0]
    z = X @ w + b
    m = (z > 0).astype(float)
    e = z - y
    return 2 / N * X.T @ (e * m), 2 / N * np.sum(e * m)


def safe(w, b, X, h):
    return bool(np.all(np.abs(X @ w + b) > h * np.maximum(1.0, np.max(np.abs(X), axis=1))))


def random_safe_point(rng, N, n, margin=0.2):
    while True:
        X, y = rng.normal(size=(N, n)), rng.normal(size=N)
        w, b = rng.normal(size=n), float(rng.normal(scale=0.5))
        z = X @ w + b
        if np.all(np.abs(z) > margin * np.maximum(1.0, np.max(np.abs(X), axis=1))) and (N == 1 or 0 < np.sum(z > 0) < N):
            return X, y, w, b


X0 = np.array([[1.0, 2.0], [2.0, -1.0], [-1.0, 1.0], [0.5, 0.5], [-2.0, -1.0]])
Y0 = np.array([0.0, 3.0, 1.0, 2.0, 0.5])
W0, B0 = np.array([1.0, -1.0]), 0.5


# ------------------------------------------------------------------ 1. relu
def test_relu_and_its_derivative_away_from_the_kink():
    rng = np.random.default_rng(RNG_SEED)
    z = rng.normal(size=20)
    z = z[np.abs(z) > 0.05]
    assert close(relu(z), np.where(z > 0, z, 0.0))
    assert close(mc.numerical_gradient(lambda t: np.sum(relu(t)), z), relu_prime(z))
    assert relu_prime(np.array([0.0]))[0] == 0.0                 # the course's convention relu'(0) = 0


def test_one_sided_slopes_at_the_kink_are_0_and_1():
    h = 1e-8
    assert (relu(0.0) - relu(-h)) / h == 0.0
    assert close((relu(h) - relu(0.0)) / h, 1.0)


# ------------------------------------------------------------------ 2. the example
def test_the_lecture_example_forward_and_loss():
    z = X0 @ W0 + B0
    assert np.array_equal(z, [-0.5, 3.5, -1.5, 0.5, -0.5])
    assert list(np.flatnonzero(z > 0) + 1) == [2, 4]              # samples 2 and 4 are active
    assert np.array_equal(forward(W0, B0, X0), [0.0, 3.5, 0.0, 0.5, 0.0])
    assert close(loss(W0, B0, X0, Y0), (0 + 0.5**2 + 1**2 + 1.5**2 + 0.5**2) / 5)
    assert close(loss(W0, B0, X0, Y0), 0.75)
    assert (X0 * W0).shape == (5, 2) and (X0 @ W0).shape == (5,)  # * is element-wise, @ takes dot products
    assert close(X0 @ W0 + B0, [W0 @ x + B0 for x in X0])         # z_i = w·x_i + b, b added to every entry


# ------------------------------------------------------------------ 3. the gradient
def test_chain_rule_for_one_sample():
    rng = np.random.default_rng(RNG_SEED + 1)
    for _ in range(5):
        X, y, w, b = random_safe_point(rng, 1, 3)
        x, t = X[0], y[0]
        z = w @ x + b
        a = relu(z)
        want = 2 * (t - a) * (-relu_prime(z) * x)                 # d/dw (y − a)² = 2(y − a)(−relu'(z) x)
        assert close(mc.numerical_gradient(lambda v: (t - relu(v @ x + b)) ** 2, w), want)
        if z > 0:
            assert close(want, 2 * (z - t) * x)                   # on an active sample: 2(z − y) x


@pytest.mark.parametrize("N,n", [(1, 1), (1, 3), (5, 2), (12, 4)])
def test_gradient_formula_against_numerical_gradient(N, n):
    rng = np.random.default_rng(RNG_SEED + N * 10 + n)
    for _ in range(3):
        X, y, w, b = random_safe_point(rng, N, n)
        dw, db = gradient_sum_form(w, b, X, y)
        assert close(dw, mc.numerical_gradient(lambda v: loss(v, b, X, y), w))
        assert close(db, mc.numerical_derivative(lambda v: loss(w, v, X, y), b))
        dw_m, db_m = gradient_matrix_form(w, b, X, y)
        assert close(dw_m, dw, 1e-12) and close(db_m, db, 1e-12)   # X^T (e ⊙ m) = Σ_i e_i m_i x_i
        assert dw.shape == w.shape and np.ndim(db_m) == 0


def test_gradient_numbers_at_the_lecture_example():
    z = X0 @ W0 + B0
    e = z - Y0
    assert e[1] == 0.5 and e[3] == -1.5                           # e_2 and e_4
    dw, db = gradient_matrix_form(W0, B0, X0, Y0)
    assert close(dw, [0.1, -0.5], 1e-12) and close(db, -0.4, 1e-12)
    assert close(dw, 2 / 5 * (0.5 * X0[1] - 1.5 * X0[3]), 1e-12)
    assert close(2 / 5 * X0.T @ e, [1.7, -1.5], 1e-12) and close(2 / 5 * np.sum(e), -2.0, 1e-12)   # all samples
    assert np.min(np.abs(z)) == 0.5                                # the closest z_i are at ±0.5
    mc.check_gradient(lambda v: gradient_matrix_form(v, B0, X0, Y0)[0], lambda v: loss(v, B0, X0, Y0), W0)
    mc.check_gradient(lambda v: gradient_matrix_form(W0, v, X0, Y0)[1], lambda v: loss(W0, v, X0, Y0), B0)


# ------------------------------------------------------------------ 4. the kink and a central difference
def f(b):
    return (1.0 - max(0.0, b)) ** 2


def f_prime(b):
    return 2 * (b - 1) if b > 0 else 0.0


def central(b, h):
    return (f(b + h) - f(b - h)) / (2 * h)


def test_central_difference_at_the_kink_is_the_average_of_the_one_sided_slopes():
    for h in (1e-2, 1e-4, H):
        assert close(central(0.0, h), -1 + h / 2, 1e-9)
        assert abs(central(0.0, h) - (0 + (-2)) / 2) <= h
    assert close(central(0.0, 1e-4), -0.99995, 1e-9)


@pytest.mark.parametrize("h", [1e-2, 1e-4, H])
def test_error_slides_linearly_inside_one_step_and_vanishes_outside(h):
    for d in np.linspace(0, h, 11)[1:-1]:          # 0 < d < h (at d = 0 itself relu'(0) = 0 is used)
        err = central(d, h) - f_prime(d)
        assert close(err, (h - d) * (h - d + 2) / (2 * h), 1e-6)  # exact for this quadratic
        assert abs(err - (1 - d / h)) <= 2 * h                     # about 1 − d/h
    for d in (1.5 * h, 10 * h, 0.1):
        assert abs(central(d, h) - f_prime(d)) < 1e-6              # quadratic on one side: exact up to rounding
        assert abs(central(-d, h) - f_prime(-d)) < 1e-12


def test_matcalc_step_and_the_check_that_fails_near_the_kink():
    assert 6e-6 < H < 6.1e-6
    b_near = 1e-6
    z = X0 @ W0 + b_near
    assert close(z[3], 1e-6, 1e-9) and z[3] > 0 and np.sum(z > 0) == 2
    with pytest.raises(mc.GradientCheckError) as info:
        mc.check_gradient(lambda v: gradient_matrix_form(W0, v, X0, Y0)[1], lambda v: loss(W0, v, X0, Y0), b_near)
    assert info.value.diagnosis.startswith("factor ×1.7")          # "a factor of about 1.7"
    # ... although the analytic gradient is right there (one-sided differences staying on the active side)
    assert close(gradient_matrix_form(W0, b_near, X0, Y0)[1],
                 (loss(W0, b_near + 1e-9, X0, Y0) - loss(W0, b_near, X0, Y0)) / 1e-9, 1e-5)


# ------------------------------------------------------------------ 5. checking around the kink
def test_safe_condition_means_no_step_crosses_the_kink():
    rng = np.random.default_rng(RNG_SEED + 5)
    for N, n in ((1, 1), (4, 3), (10, 2)):
        X, y, w, b = random_safe_point(rng, N, n, margin=0.0)
        theta = np.append(w, b)
        X_hat = np.column_stack([X, np.ones(N)])
        margin = float(np.min(np.abs(X_hat @ theta) / np.max(np.abs(X_hat), axis=1)))
        for h, expect in ((0.9 * margin, True), (1.1 * margin, False)):
            assert safe(w, b, X, h) is expect
            crossed = False
            for j in range(n + 1):
                for s in (h, -h):
                    moved = theta.copy()
                    moved[j] += s
                    crossed |= bool(np.any(np.sign(X_hat @ moved) != np.sign(X_hat @ theta)))
            assert crossed is (not expect)


def test_safe_at_the_lecture_points():
    h = H * max(1.0, np.max(np.abs(W0)), abs(B0))
    assert safe(W0, B0, X0, h) is True
    assert safe(W0, 1e-6, X0, h) is False


@pytest.mark.parametrize("b_test", [1e-6, 0.0])
def test_active_set_quadratic_has_our_gradient_even_at_the_kink(b_test):
    mask = (X0 @ W0 + b_test) > 0
    C_m = lambda w_, b_: np.mean((Y0 - mask * (X0 @ w_ + b_)) ** 2)
    assert close(C_m(W0, b_test), loss(W0, b_test, X0, Y0), 1e-12)
    dw, db = gradient_matrix_form(W0, b_test, X0, Y0)
    assert close(mc.numerical_gradient(lambda v: C_m(v, b_test), W0), dw)
    assert close(mc.numerical_derivative(lambda v: C_m(W0, v), b_test), db)


def test_one_sided_differences_at_the_kink():
    h1 = 1e-7
    C_b = lambda v: loss(W0, v, X0, Y0)
    z = X0 @ W0
    assert z[3] == 0.0 and (z - Y0)[3] == -2.0                      # at b = 0 sample 4 sits on its kink, e_4 = −2
    assert close((C_b(h1) - C_b(0.0)) / h1, -0.8, 1e-5)             # right-hand: (2/5) e_4
    assert close((C_b(0.0) - C_b(-h1)) / h1, 0.0, 1e-5)             # left-hand
    assert close((C_b(h1) - C_b(-h1)) / (2 * h1), -0.4, 1e-5)       # central: the average
    assert gradient_matrix_form(W0, 0.0, X0, Y0)[1] == 0.0          # relu'(0) = 0: the left-hand one


def test_one_sided_difference_error_is_first_order():
    # a one-sided difference on one smooth piece: error proportional to h (O(h)), a central one O(h²)
    b = 0.5
    exact = gradient_matrix_form(W0, b, X0, Y0)[1]
    C_b = lambda v: loss(W0, v, X0, Y0)
    e1 = abs((C_b(b + 1e-3) - C_b(b)) / 1e-3 - exact)
    e2 = abs((C_b(b + 5e-4) - C_b(b)) / 5e-4 - exact)
    assert 1.9 < e1 / e2 < 2.1


# ------------------------------------------------------------------ 6. folding
def test_folding_the_bias():
    rng = np.random.default_rng(RNG_SEED + 6)
    for N, n in ((1, 2), (6, 3)):
        X, y, w, b = random_safe_point(rng, N, n)
        X_hat, w_hat = np.column_stack([X, np.ones(N)]), np.append(w, b)
        assert close(X_hat @ w_hat, X @ w + b, 1e-12)               # ŵ·x̂ = w·x + b
        z = X_hat @ w_hat
        e, m = z - y, (z > 0)
        folded = 2 / N * X_hat.T @ (e * m)
        assert close(folded, np.append(*gradient_matrix_form(w, b, X, y)), 1e-12)
        assert close(folded[-1], 2 / N * np.sum(e * m), 1e-12)       # last entry: the sum over active samples
        assert close(folded, mc.numerical_gradient(lambda v: np.mean((y - relu(X_hat @ v)) ** 2), w_hat))
    X_hat0 = np.column_stack([X0, np.ones(5)])
    assert close(2 / 5 * X_hat0.T @ ((X_hat0 @ np.append(W0, B0) - Y0) * (X_hat0 @ np.append(W0, B0) > 0)),
                 [0.1, -0.5, -0.4], 1e-12)


# ------------------------------------------------------------------ 7. training
def test_training_recovers_the_teacher_and_the_dead_neuron_stays_dead():
    rng = np.random.default_rng(14)
    X = rng.normal(size=(200, 3))
    y = relu(X @ np.array([2.0, -1.0, 0.5]) + 0.3) + 0.05 * rng.normal(size=200)
    X_hat = np.column_stack([X, np.ones(200)])

    def grad(w_hat):
        z = X_hat @ w_hat
        return 2 / 200 * X_hat.T @ ((z - y) * (z > 0))

    def train(w_hat):
        losses = []
        for _ in range(300):
            losses.append(np.mean((y - relu(X_hat @ w_hat)) ** 2))
            w_hat = w_hat - 0.1 * grad(w_hat)
        return w_hat, losses

    w_fit, losses = train(np.random.default_rng(1).normal(scale=0.1, size=4))
    assert np.max(np.abs(w_fit - [2.0, -1.0, 0.5, 0.3])) < 0.02      # printed [2.01, −1.01, 0.51, 0.29]
    assert abs(losses[0] - 3.207) < 5e-4 and abs(losses[-1] - 0.00251) < 5e-6
    assert abs(losses[-1] - 0.05**2) < 0.1 * 0.05**2                # the noise level
    dead_start = np.array([0.1, 0.1, 0.1, -10.0])
    assert np.all(X_hat @ dead_start < 0) and np.array_equal(grad(dead_start), np.zeros(4))
    w_dead, losses_dead = train(dead_start)
    assert np.array_equal(w_dead, dead_start) and len(set(losses_dead)) == 1
    assert close(losses_dead[0], np.mean(y ** 2), 1e-12) and abs(losses_dead[0] - 3.211) < 5e-4


# ------------------------------------------------------------------ 8. the classic mistakes table
def test_what_the_classic_mistakes_give():
    rng = np.random.default_rng(RNG_SEED + 8)
    X, y, w, b = random_safe_point(rng, 7, 3)
    N = 7
    z = X @ w + b
    e = z - y
    dw, db = gradient_matrix_form(w, b, X, y)
    inactive = lambda v: np.sum((y[z < 0] - relu(X[z < 0] @ v + b)) ** 2) / N
    assert close(2 / N * X.T @ (e * (z < 0)), 2 / N * X[z < 0].T @ e[z < 0])          # the inactive samples' terms
    assert not close(2 / N * X.T @ (e * (z < 0)), mc.numerical_gradient(inactive, w))  # which truly contribute 0
    assert close(mc.numerical_gradient(inactive, w), np.zeros(3))
    linear = lambda v: np.mean((y - (X @ v + b)) ** 2)                                # no ReLU at all
    assert close(2 / N * X.T @ e, mc.numerical_gradient(linear, w))
    assert close(1 / N * X.T @ (e * (z > 0)), dw / 2, 1e-12)
    assert close(2 * X.T @ (e * (z > 0)), N * dw, 1e-12)
    assert close(2 / N * X.T @ ((y - z) * (z > 0)), -dw, 1e-12)
    assert (2 / N * e * (z > 0)).shape == (N,) and close(np.sum(2 / N * e * (z > 0)), db, 1e-12)
    assert (X * w).shape == (N, 3)
