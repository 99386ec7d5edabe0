"""Every formula and number stated in lecture 11_perceptron_classification, checked numerically.

The closed forms are written out here again (not imported from the lecture) and compared with matcalc's
numerical derivatives or direct evaluation, at fixed points and at seeded random ones.
"""
import numpy as np
import pytest

import matcalc as mc

from closed_forms import close, stable_sigmoid as sigmoid

RNG_SEED = 1111


def naive_sigmoid(z):
    return 1 / (1 + np.exp(-z))


def sigmoid_prime(z):
    s = sigmoid(z)
    return s * (1 - s)


def ell(a, y):
    return -(y * np.log(a) + (1 - y) * np.log(1 - a))


def log_loss(A, Y):
    return float(np.mean(ell(A, Y)))


def batch_loss(W, b, X, Y):
    return log_loss(sigmoid(W @ X + b), Y)


def gradients(W, b, X, Y):
    dZ = sigmoid(W @ X + b) - Y
    return dZ @ X.T / X.shape[1], np.sum(dZ, axis=1, keepdims=True) / X.shape[1]


def happy_sad_data(m=120, seed=11):
    rng = np.random.default_rng(seed)
    X = rng.uniform(0, 4, size=(2, m))
    Y = (rng.uniform(size=(1, m)) < sigmoid(3 * (0.5 * X[0] - X[1] + 1.0))).astype(float)
    return X, Y


def train(X, Y, learning_rate=0.5, steps=3000):
    W, b, losses = np.zeros((1, X.shape[0])), np.zeros((1, 1)), []
    for _ in range(steps):
        losses.append(batch_loss(W, b, X, Y))
        dW, db = gradients(W, b, X, Y)
        W, b = W - learning_rate * dW, b - learning_rate * db
    return W, b, np.array(losses)


ZS = [-8.0, -3.0, -0.5, 0.0, 0.7, 2.0, 3.0, 10.0]


# -- section 2: the sigmoid ------------------------------------------------------------------------
@pytest.mark.parametrize("z", ZS)
def test_sigmoid_symmetry_range_and_logit(z):
    s = float(sigmoid(z))
    assert 0 < s < 1
    assert close(sigmoid(-z), 1 - s, 1e-12)
    assert close(np.log(s / (1 - s)), z, 1e-9)                 # z is the log-odds (logit)
    assert close(s, naive_sigmoid(z), 1e-14)


def test_sigmoid_half_at_zero_and_limits():
    assert float(sigmoid(0.0)) == 0.5
    assert close(sigmoid(2.0) + sigmoid(-2.0), 1.0, 1e-15)
    assert float(sigmoid(40.0)) == 1.0 and float(sigmoid(-40.0)) < 1e-17


# -- section 3: the derivative ---------------------------------------------------------------------
@pytest.mark.parametrize("z", ZS)
def test_sigmoid_derivative_forms_agree_with_numerical(z):
    direct = np.exp(-z) / (1 + np.exp(-z)) ** 2                  # chain rule on (1 + e^{-z})^{-1}
    split = 1 / (1 + np.exp(-z)) - 1 / (1 + np.exp(-z)) ** 2     # the add-and-subtract-1 step
    assert close(direct, sigmoid_prime(z), 1e-12) and close(split, sigmoid_prime(z), 1e-9)
    assert close(mc.numerical_derivative(sigmoid, z), sigmoid_prime(z), 1e-7)


def test_quotient_rule_form():
    for z in ZS:
        u, du = 1 + np.exp(-z), -np.exp(-z)
        assert close((0 * u - 1 * du) / u**2, sigmoid_prime(z), 1e-12)


def test_sigmoid_derivative_is_at_most_a_quarter_and_saturates():
    z = np.linspace(-20, 20, 40001)
    assert float(sigmoid_prime(0.0)) == 0.25 and np.max(sigmoid_prime(z)) <= 0.25
    assert close(sigmoid_prime(10.0), 4.53958e-05, 1e-5)
    assert close(sigmoid_prime(-3.0), 0.0451767, 1e-6) and close(sigmoid_prime(0.7), 0.221713, 1e-6)


def test_derivative_at_a_is_not_derivative_at_z():
    assert f"{float(sigmoid_prime(sigmoid(3.0))):.4f}" == "0.2009"     # σ'(σ(3)), as the lecture prints
    assert f"{float(sigmoid_prime(3.0)):.4f}" == "0.0452"             # σ'(3)


def test_naive_sigmoid_overflows_and_stable_one_does_not():
    with np.errstate(over="raise", invalid="raise"):
        with pytest.raises(FloatingPointError):
            naive_sigmoid(np.array([-1000.0]))
        with pytest.raises(FloatingPointError):      # np.where evaluates both branches
            z = np.array([-1000.0, 1000.0])
            np.where(z >= 0, 1 / (1 + np.exp(-z)), np.exp(z) / (1 + np.exp(z)))
        assert np.array_equal(sigmoid(np.array([-1000.0, 1000.0])), [0.0, 1.0])
    with np.errstate(over="ignore", invalid="ignore"):
        assert naive_sigmoid(np.array([-1000.0]))[0] == 0.0                            # 1/inf happens to be right
        assert np.isnan(np.exp(1000.0) / (1 + np.exp(np.array([1000.0]))))[0]          # inf/inf = nan


@pytest.mark.parametrize("z", [-700.0, -30.0, -1.0, 0.5, 30.0, 700.0])
def test_both_branches_are_the_sigmoid(z):
    with np.errstate(over="ignore"):
        assert close(np.exp(z) / (1 + np.exp(z)) if z < 0 else 1 / (1 + np.exp(-z)), naive_sigmoid(z), 1e-12)


# -- section 4: the log-loss from maximum likelihood -------------------------------------------
@pytest.mark.parametrize("a", [0.1, 0.5, 0.93])
def test_bernoulli_probability_in_one_formula(a):
    assert close(a**1 * (1 - a) ** 0, a, 1e-15) and close(a**0 * (1 - a) ** 1, 1 - a, 1e-15)
    for y in (0.0, 1.0):
        assert close(-np.log(a**y * (1 - a) ** (1 - y)), ell(a, y), 1e-12)


def test_negative_log_likelihood_over_m_is_the_mean_log_loss():
    rng = np.random.default_rng(RNG_SEED)
    A = rng.uniform(0.05, 0.95, size=(1, 30))
    Y = (rng.uniform(size=(1, 30)) < 0.5).astype(float)
    likelihood = np.prod(A**Y * (1 - A) ** (1 - Y))
    assert close(-np.log(likelihood) / 30, log_loss(A, Y), 1e-10)
    assert np.prod(np.full(2000, 0.5)) == 0.0                   # products of many numbers < 1 underflow


def test_source_post_alien_loss():
    x, w, b = np.array([1.0, 3.0]), np.array([4.5, 1.5]), 0.0
    z = w @ x + b
    assert z == 9.0
    a = float(sigmoid(z))
    assert f"{a:.6f}" == "0.999877" and f"{a:.5f}" == "0.99988"
    assert close(ell(a, 0.0), np.log1p(np.exp(9.0)), 1e-9)     # −log(1 − σ(9)) = log(1 + e⁹)
    assert f"{ell(a, 0.0):.6f}" == "9.000123" and f"{ell(a, 0.0):.4f}" == "9.0001"
    assert f"{ell(a, 1.0):.6f}" == "0.000123"


def test_log_loss_zero_for_confident_correct_and_unbounded_for_confident_wrong():
    assert ell(1 - 1e-12, 1.0) < 1e-11 and ell(1e-12, 0.0) < 1e-11
    assert ell(1e-12, 1.0) > 27 and ell(1e-300, 1.0) > 690


# -- section 5: the gradient and the cancellation --------------------------------------------------
def dl_dyhat(a, y):
    return -y / a + (1 - y) / (1 - a)


@pytest.mark.parametrize("a, y", [(0.3, 1.0), (0.3, 0.0), (0.8, 1.0), (0.95, 0.0), (0.05, 1.0)])
def test_dl_dyhat_forms(a, y):
    assert close(mc.numerical_derivative(lambda t: ell(t, y), a), dl_dyhat(a, y), 1e-5)
    assert close(dl_dyhat(a, y), (a - y) / (a * (1 - a)), 1e-10)
    assert close(dl_dyhat(a, y), -(y - a) / (a * (1 - a)), 1e-10)


@pytest.mark.parametrize("z, y", [(-10.0, 1.0), (-2.0, 0.0), (0.0, 1.0), (1.5, 0.0), (4.0, 1.0)])
def test_cancellation_dl_dz_is_yhat_minus_y(z, y):
    a = float(sigmoid(z))
    assert close(dl_dyhat(a, y) * sigmoid_prime(z), a - y, 1e-9)
    assert close(mc.numerical_derivative(lambda t: ell(sigmoid(t), y), z), a - y, 1e-6)
    # squared error with the same sigmoid output keeps the factor σ'(z)
    assert close(mc.numerical_derivative(lambda t: 0.5 * (y - sigmoid(t)) ** 2, z), (a - y) * a * (1 - a), 1e-6)


def test_per_example_gradient_at_seeded_points():
    rng = np.random.default_rng(RNG_SEED + 1)
    for _ in range(5):
        x, w, b = rng.normal(size=3), rng.normal(size=3), rng.normal()
        for y in (0.0, 1.0):
            f = lambda v: float(ell(sigmoid(v[:3] @ x + v[3]), y))
            a = float(sigmoid(w @ x + b))
            want = np.append(-(y - a) * x, -(y - a))
            assert close(mc.numerical_gradient(f, np.append(w, b)), want, 1e-6)


def test_source_post_alien_gradient():
    x, a = np.array([1.0, 3.0]), float(sigmoid(9.0))
    dw, db = (a - 0.0) * x, a - 0.0
    assert close(dw, [0.99988, 2.99963], 1e-5) and close(db, 0.99988, 1e-5)
    f = lambda v: float(ell(sigmoid(v[:2] @ x + v[2]), 0.0))
    assert close(mc.numerical_gradient(f, np.array([4.5, 1.5, 0.0])), np.append(dw, db), 1e-6)
    assert close(dl_dyhat(a, 0.0), 8104.08, 1e-5)


def test_update_rules_match_the_source_post():
    x, y, a, alpha = np.array([1.0, 3.0]), 0.0, float(sigmoid(9.0)), 0.1
    w = np.array([4.5, 1.5])
    assert close(w - alpha * (-(x * (y - a))), w - alpha * (a - y) * x, 1e-15)


# -- section 6: the batch form -----------------------------------------------------------------
@pytest.mark.parametrize("n, m", [(2, 120), (3, 7), (5, 1), (1, 4)])
def test_batch_gradient_matches_numerical_and_has_parameter_shapes(n, m):
    rng = np.random.default_rng(RNG_SEED + 10 * n + m)
    X = rng.normal(size=(n, m))
    Y = (rng.uniform(size=(1, m)) < 0.5).astype(float)
    W, b = rng.normal(size=(1, n)), rng.normal(size=(1, 1))
    dW, db = gradients(W, b, X, Y)
    assert dW.shape == (1, n) and db.shape == (1, 1)
    assert close(mc.numerical_gradient(lambda V: batch_loss(V, b, X, Y), W), dW, 1e-6)
    assert close(mc.numerical_gradient(lambda c: batch_loss(W, c, X, Y), b), db, 1e-6)
    # the matrix product is the sum of the per-example contributions (1/m)(a_j − y_j) x_jᵀ
    A = sigmoid(W @ X + b)
    per_example = sum((A[0, j] - Y[0, j]) * X[:, j] for j in range(m)) / m
    assert close(dW[0], per_example, 1e-12)
    assert close(db, np.mean(A - Y, axis=1, keepdims=True), 1e-12)


def test_lecture_batch_gradient_at_w0():
    X, Y = happy_sad_data()
    dW, db = gradients(np.array([[0.3, -0.8]]), np.array([[0.5]]), X, Y)
    assert close(dW, [[-0.32868274, -0.08152326]], 1e-7) and close(db, [[-0.13160893]], 1e-7)


def test_the_classic_mistakes_of_the_table():
    rng = np.random.default_rng(RNG_SEED + 2)
    n, m = 3, 6
    X, Y = rng.normal(size=(n, m)), (rng.uniform(size=(1, m)) < 0.5).astype(float)
    W, b = rng.normal(size=(1, n)), rng.normal(size=(1, 1))
    A = sigmoid(W @ X + b)
    dZ = A - Y
    dW, db = gradients(W, b, X, Y)
    neg = mc.numerical_gradient(lambda V: -batch_loss(V, b, X, Y), W)
    assert close((Y - A) @ X.T / m, neg, 1e-6)                                  # sign error = gradient of −L
    assert close(dZ @ X.T, m * dW, 1e-12)                                         # missing 1/m: m times too large
    assert (dZ * X / m).shape == (n, m)                                           # * instead of @
    assert close((X @ dZ.T / m).T, dW, 1e-12) and (X @ dZ.T).shape == (n, 1)      # transposed
    assert (dZ / m).shape == (1, m) and close(np.sum(dZ / m, axis=1, keepdims=True), db, 1e-12)
    assert (np.sum(dZ, axis=1) / m).shape == (1,)
    dA = -Y / A + (1 - Y) / (1 - A)
    assert close(dA * A * (1 - A), dZ, 1e-9)                                      # σ'(Z) = A(1 − A): right
    assert not close(dA * sigmoid_prime(A), dZ, 1e-3)                             # σ'(σ(Z)): wrong


# -- section 1 and 7: the data and the training ------------------------------------------------
def test_data_set_shapes_and_count():
    X, Y = happy_sad_data()
    assert X.shape == (2, 120) and Y.shape == (1, 120) and int(Y.sum()) == 63
    happy, sad = X[:, Y[0] == 1], X[:, Y[0] == 0]
    assert happy[1].mean() < sad[1].mean()                   # happy aliens at the bottom (fewer beeps)


def test_training_numbers_of_the_lecture():
    X, Y = happy_sad_data()
    W, b, losses = train(X, Y)
    assert close(losses[0], np.log(2), 1e-15) and f"{losses[0]:.4f}" == "0.6931"
    assert f"{losses[-1]:.4f}" == "0.2863" and len(losses) == 3000
    assert np.array_equal(W.round(3), [[1.453, -3.124]]) and np.array_equal(b.round(3), [[3.974]])
    accuracy = np.mean((sigmoid(W @ X + b) >= 0.5) == Y)
    assert f"{accuracy:.1%}" == "89.2%"
    assert np.all(np.diff(losses) <= 1e-15)                  # the loss falls at every step
    assert losses[-1] > 0.25                                 # and does not reach 0


def test_log_loss_is_convex_in_w_and_b():
    X, Y = happy_sad_data()
    rng = np.random.default_rng(RNG_SEED + 3)
    for _ in range(4):
        v = rng.normal(scale=2.0, size=3)
        H = mc.numerical_hessian(lambda u: batch_loss(u[None, :2], u[2:].reshape(1, 1), X, Y), v)
        assert np.min(np.linalg.eigvalsh((H + H.T) / 2)) > -1e-6


# -- section 8: the decision boundary ---------------------------------------------------------
def test_decision_boundary_is_where_yhat_is_one_half():
    X, Y = happy_sad_data()
    W, b, _ = train(X, Y, steps=500)
    w1, w2, c = W[0, 0], W[0, 1], b[0, 0]
    for x1 in np.linspace(0, 4, 5):
        x2 = -(w1 * x1 + c) / w2
        point = np.array([[x1], [x2]])
        assert close(W @ point + b, [[0.0]], 1e-12) and close(sigmoid(W @ point + b), [[0.5]], 1e-12)
        step = W.T / np.linalg.norm(W)                       # w points to the happy side
        assert sigmoid(W @ (point + step) + b)[0, 0] > 0.5 > sigmoid(W @ (point - step) + b)[0, 0]


def test_scaling_w_and_b_keeps_the_boundary_and_sharpens_the_probabilities():
    rng = np.random.default_rng(RNG_SEED + 4)
    W, b, X = rng.normal(size=(1, 2)), rng.normal(size=(1, 1)), rng.normal(size=(2, 50))
    z = W @ X + b
    assert np.array_equal(np.sign(2 * z), np.sign(z))
    assert np.all(np.abs(sigmoid(2 * z) - 0.5) >= np.abs(sigmoid(z) - 0.5))


# -- the assignment's written answer (a) ------------------------------------------------------
def test_confidently_wrong_alien_numbers():
    a = float(sigmoid(-10.0))
    assert close(a, 4.5e-5, 1e-2)
    log_grad, sq_grad = a - 1.0, (a - 1.0) * a * (1 - a)
    assert close(log_grad, -0.99995, 1e-5) and close(sq_grad, -4.5e-5, 1e-2)
    assert 21000 < log_grad / sq_grad < 23000
