"""Every formula and number stated in lecture 12_two_layer_network, checked numerically.

The forward pass, the nine scalar partial derivatives, the batch formulas and the training run are written out
again here (not imported from the lecture) and compared with matcalc's central differences or with direct
evaluation, at the lecture's points and at seeded random ones (other widths, a batch of one).
"""
import numpy as np
import pytest

import matcalc as mc

from closed_forms import close, stable_sigmoid as sigmoid

RNG_SEED = 1212
ORDER = ("W1", "b1", "W2", "b2")


def forward(X, p):
    Z1 = p["W1"] @ X + p["b1"]
    A1 = sigmoid(Z1)
    Z2 = p["W2"] @ A1 + p["b2"]
    return {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": sigmoid(Z2)}


def log_loss(Y_hat, Y):
    return float(-np.mean(Y * np.log(Y_hat) + (1 - Y) * np.log(1 - Y_hat)))


def loss(X, Y, p):
    return log_loss(forward(X, p)["A2"], Y)


def backward(X, Y, p):
    """The batch formulas of section 4."""
    m = X.shape[1]
    c = forward(X, p)
    dZ2 = (c["A2"] - Y) / m
    dZ1 = (p["W2"].T @ dZ2) * c["A1"] * (1 - c["A1"])
    return {"dW1": dZ1 @ X.T, "db1": np.sum(dZ1, axis=1, keepdims=True),
            "dW2": dZ2 @ c["A1"].T, "db2": np.sum(dZ2, axis=1, keepdims=True)}


def random_problem(rng, n0, n1, m):
    p = {"W1": rng.normal(size=(n1, n0)), "b1": rng.normal(size=(n1, 1)),
         "W2": rng.normal(size=(1, n1)), "b2": rng.normal(size=(1, 1))}
    return rng.normal(size=(n0, m)), (rng.uniform(size=(1, m)) < 0.5).astype(float), p


# ------------------------------------------------------------------ the lecture's alien (sections 1-2)
X0 = np.array([[1.0], [3.0]])
Y0 = np.array([[0.0]])
P0 = {"W1": np.array([[0.5, -0.5], [-1.0, 0.5]]), "b1": np.array([[0.0], [0.5]]),
      "W2": np.array([[1.0, -2.0]]), "b2": np.array([[0.5]])}


def test_shapes_and_nine_parameters():
    assert [P0[k].shape for k in ORDER] == [(2, 2), (2, 1), (1, 2), (1, 1)]
    assert sum(P0[k].size for k in ORDER) == 9
    assert sum(n for n in (4 * 3, 4, 4, 1)) == 21           # the 3 -> 4 -> 1 network of section 5


def test_row_i_of_W1_holds_the_weights_of_unit_i_and_the_seed_indexes_the_transpose():
    z1 = (P0["W1"] @ X0 + P0["b1"]).ravel()
    W, x, b = P0["W1"], X0.ravel(), P0["b1"].ravel()
    assert close(z1, [W[0, 0] * x[0] + W[0, 1] * x[1] + b[0], W[1, 0] * x[0] + W[1, 1] * x[1] + b[1]], 1e-15)
    V = W.T                                                  # the seed's w_ij: from input i to unit j
    assert close(z1, [x[0] * V[0, 0] + x[1] * V[1, 0] + b[0], x[0] * V[0, 1] + x[1] * V[1, 1] + b[1]], 1e-15)


def test_forward_numbers_of_the_alien():
    c = forward(X0, P0)
    assert close(c["Z1"].ravel(), [-1.0, 1.0], 1e-15)
    assert close(c["A1"].ravel(), [sigmoid(-1.0), sigmoid(1.0)], 1e-15)
    assert np.round(c["A1"].ravel(), 3).tolist() == [0.269, 0.731]
    assert round(float(c["Z2"][0, 0]), 3) == -0.693
    assert round(float(c["A2"][0, 0]), 3) == 0.333
    L = loss(X0, Y0, P0)
    assert close(L, -np.log(1 - c["A2"][0, 0]), 1e-14) and round(L, 3) == 0.405


def test_output_layer_chain_factors():
    rng = np.random.default_rng(RNG_SEED)
    for y in (0.0, 1.0):
        for y_hat in rng.uniform(0.05, 0.95, size=4):
            ell = lambda t: -(y * np.log(t) + (1 - y) * np.log(1 - t))
            dL = mc.numerical_derivative(ell, y_hat)
            assert close(dL, -y / y_hat + (1 - y) / (1 - y_hat)) and close(dL, (y_hat - y) / (y_hat * (1 - y_hat)))
    for z in (-3.0, -0.4, 0.0, 1.7):                          # d y_hat / d z2 = y_hat (1 - y_hat), max 1/4 at 0
        assert close(mc.numerical_derivative(lambda t: float(sigmoid(t)), z), sigmoid(z) * (1 - sigmoid(z)))
    assert sigmoid(0.0) * (1 - sigmoid(0.0)) == 0.25
    for z2 in (-2.0, 0.3):                                    # delta2 = dL/dz2 = y_hat - y
        for y in (0.0, 1.0):
            f = lambda t: -(y * np.log(sigmoid(t)) + (1 - y) * np.log(1 - sigmoid(t)))
            assert close(mc.numerical_derivative(lambda t: float(f(t)), z2), sigmoid(z2) - y)


def nine_partials(x, y, p):
    """The nine scalar formulas of section 2 (2 -> 2 -> 1 network, one example)."""
    c = forward(x, p)
    a, w2, xs = c["A1"].ravel(), p["W2"].ravel(), x.ravel()
    e = float(c["A2"][0, 0] - y[0, 0])
    d1 = [e * w2[i] * a[i] * (1 - a[i]) for i in range(2)]
    return {"W2": np.array([[e * a[0], e * a[1]]]), "b2": np.array([[e]]),
            "W1": np.array([[d1[0] * xs[0], d1[0] * xs[1]], [d1[1] * xs[0], d1[1] * xs[1]]]),
            "b1": np.array([[d1[0]], [d1[1]]])}


def numerical(x, y, p, name):
    return mc.numerical_gradient(lambda P: loss(x, y, {**p, name: P}), p[name])


def test_nine_partials_at_the_alien_and_at_random_points():
    rng = np.random.default_rng(RNG_SEED + 1)
    problems = [(X0, Y0, P0)] + [random_problem(rng, 2, 2, 1) for _ in range(5)]
    for x, y, p in problems:
        hand = nine_partials(x, y, p)
        for name in ORDER:
            assert close(hand[name], numerical(x, y, p, name), 1e-8), name
    hand = nine_partials(X0, Y0, P0)
    assert max(float(np.max(np.abs(hand[k] - numerical(X0, Y0, P0, k)))) for k in ORDER) < 1e-10


def test_the_signs_discussed_for_the_alien():
    hand = nine_partials(X0, Y0, P0)
    assert np.all(hand["W2"] > 0) and hand["W2"][0, 1] > hand["W2"][0, 0]     # both down, unit 2 more
    assert P0["W2"][0, 1] == -2 and np.all(hand["W1"][1] < 0) and hand["b1"][1, 0] < 0
    assert np.all(hand["W1"][0] > 0)


def test_seed_slip_stray_y_hat_and_its_correction():
    c = forward(X0, P0)
    y_hat, a1, w1, x1 = c["A2"][0, 0], c["A1"][0, 0], P0["W2"][0, 0], X0[0, 0]
    y = Y0[0, 0]
    seed = -x1 * w1 * a1 * (1 - a1) * y_hat * (y - y_hat)
    corrected = -x1 * w1 * a1 * (1 - a1) * (y - y_hat)
    right = numerical(X0, Y0, P0, "W1")[0, 0]
    assert close(corrected, right, 1e-8) and not close(seed, right, 1e-2)
    seed_b = -w1 * a1 * (1 - a1) * y_hat * (y - y_hat)
    assert close(-w1 * a1 * (1 - a1) * (y - y_hat), numerical(X0, Y0, P0, "b1")[0, 0], 1e-8)
    assert not close(seed_b, numerical(X0, Y0, P0, "b1")[0, 0], 1e-2)
    # the seed's second-layer result -a1 (y - y_hat) is right
    assert close(-a1 * (y - y_hat), numerical(X0, Y0, P0, "W2")[0, 0], 1e-8)


def test_wrong_activation_derivatives_differ():
    c = forward(X0, P0)
    Z1, A1 = c["Z1"], c["A1"]
    right = A1 * (1 - A1)
    assert close(right.ravel(), [mc.numerical_derivative(lambda t: float(sigmoid(t)), z) for z in Z1.ravel()])
    assert not close(Z1 * (1 - Z1), right, 1e-2) and not close(sigmoid(A1) * (1 - sigmoid(A1)), right, 1e-2)


# ------------------------------------------------------------------ errors and matrix form (sections 3-4)
def test_errors_times_inputs_and_W2T_delta2_is_dL_da1():
    rng = np.random.default_rng(RNG_SEED + 2)
    for x, y, p in [(X0, Y0, P0)] + [random_problem(rng, n0, n1, 1) for n0, n1 in [(2, 2), (3, 5), (1, 4)]]:
        c = forward(x, p)
        d2 = c["A2"] - y
        d1 = (p["W2"].T @ d2) * c["A1"] * (1 - c["A1"])
        assert close(d1, mc.numerical_gradient(lambda Z: log_loss(sigmoid(p["W2"] @ sigmoid(Z) + p["b2"]), y),
                                               c["Z1"]), 1e-7)
        dA1 = mc.numerical_gradient(lambda A: log_loss(sigmoid(p["W2"] @ A + p["b2"]), y), c["A1"])
        assert close(p["W2"].T @ d2, dA1, 1e-7)
        assert close(d2 @ c["A1"].T, numerical(x, y, p, "W2"), 1e-7)             # dW2 = delta2 a1^T
        assert close(d1 @ x.T, numerical(x, y, p, "W1"), 1e-7)                   # dW1 = delta1 x^T
        assert close(d1, numerical(x, y, p, "b1"), 1e-7) and close(d2, numerical(x, y, p, "b2"), 1e-7)


@pytest.mark.parametrize("n0, n1, m", [(2, 2, 10), (3, 5, 7), (3, 4, 10), (2, 3, 1), (4, 2, 30), (1, 1, 2)])
def test_batch_formulas_against_numerical_gradients(n0, n1, m):
    rng = np.random.default_rng(RNG_SEED + 10 * n0 + n1 + 100 * m)
    X, Y, p = random_problem(rng, n0, n1, m)
    g = backward(X, Y, p)
    for name in ORDER:
        assert g["d" + name].shape == p[name].shape
        mc.check_gradient(lambda P, name=name: backward(X, Y, {**p, name: P})["d" + name],
                          lambda P, name=name: loss(X, Y, {**p, name: P}), p[name])


def test_batch_of_one_equals_the_scalar_formulas():
    g, hand = backward(X0, Y0, P0), nine_partials(X0, Y0, P0)
    for name in ORDER:
        assert close(g["d" + name], hand[name], 1e-14)


def test_matrix_product_sums_the_per_example_outer_products():
    rng = np.random.default_rng(RNG_SEED + 3)
    X, Y, p = random_problem(rng, 3, 4, 6)
    c, m = forward(X, p), X.shape[1]
    dZ2 = (c["A2"] - Y) / m
    dZ1 = (p["W2"].T @ dZ2) * c["A1"] * (1 - c["A1"])
    assert close(dZ1 @ X.T, sum(np.outer(dZ1[:, k], X[:, k]) for k in range(m)), 1e-14)
    assert close(dZ2 @ c["A1"].T, sum(np.outer(dZ2[:, k], c["A1"][:, k]) for k in range(m)), 1e-14)
    # the mean loss is the mean of the per-example losses, so each example's gradient carries 1/m
    per_example = [backward(X[:, [k]], Y[:, [k]], p) for k in range(m)]
    for name in ORDER:
        assert close(backward(X, Y, p)["d" + name], sum(g["d" + name] for g in per_example) / m, 1e-13)
    # the bias is broadcast: the same column for every example
    assert close((p["W1"] @ X + p["b1"])[:, 0] - p["W1"] @ X[:, 0], p["b1"].ravel(), 1e-14)


# ------------------------------------------------------------------ section 5: flattened check
def test_flattened_check_of_the_whole_backward_pass():
    rng = np.random.default_rng(12)
    n0, n1, m = 3, 4, 10
    X = rng.normal(size=(n0, m))
    Y = (rng.uniform(size=(1, m)) < 0.5).astype(float)
    p = {"W1": rng.normal(size=(n1, n0)), "b1": rng.normal(size=(n1, 1)),
         "W2": rng.normal(size=(1, n1)), "b2": rng.normal(size=(1, 1))}

    def unflatten(theta):
        out, start = {}, 0
        for k in ORDER:
            out[k] = theta[start:start + p[k].size].reshape(p[k].shape)
            start += p[k].size
        return out

    theta = np.concatenate([p[k].ravel() for k in ORDER])
    assert theta.size == 21
    result = mc.check_gradient(lambda t: np.concatenate([backward(X, Y, unflatten(t))["d" + k].ravel()
                                                         for k in ORDER]),
                               lambda t: loss(X, Y, unflatten(t)), theta, rng.normal(size=theta.size))
    assert result.max_rel_error < 1e-8
    # a transposed dW1 flattens to a different vector: the flattened check fails
    def transposed(t):
        g = backward(X, Y, unflatten(t))
        g["dW1"] = g["dW1"].T.reshape(g["dW1"].shape)
        return np.concatenate([g["d" + k].ravel() for k in ORDER])
    with pytest.raises(mc.GradientCheckError):
        mc.check_gradient(transposed, lambda t: loss(X, Y, unflatten(t)), theta)


# ------------------------------------------------------------------ section 6: the classic mistakes
def test_classic_mistakes_have_the_shapes_and_values_the_table_says():
    rng = np.random.default_rng(RNG_SEED + 4)
    n0, n1, m = 3, 4, 10
    X, Y, p = random_problem(rng, n0, n1, m)
    c, g = forward(X, p), backward(X, Y, p)
    dZ2 = (c["A2"] - Y) / m
    dZ1 = (p["W2"].T @ dZ2) * c["A1"] * (1 - c["A1"])
    assert dZ1.shape == (n1, m)                                           # db1 = dZ1 not summed
    assert np.sum(dZ1, axis=1).shape == (n1,)                             # no keepdims
    assert (p["b1"] - 0.1 * np.sum(dZ1, axis=1)).shape == (n1, n1)        # ... and b1 becomes a matrix
    assert (dZ2 * c["A1"]).shape == (n1, m)                               # * instead of @
    assert close((-(Y - c["A2"]) / m) @ c["A1"].T, g["dW2"], 1e-14)      # sign: Y - A2 flips every gradient
    assert close(((Y - c["A2"]) / m) @ c["A1"].T, -g["dW2"], 1e-14)
    assert close((c["A2"] - Y) @ c["A1"].T, m * g["dW2"], 1e-13)         # missing 1/m: m times too big
    assert close(X @ dZ1.T, g["dW1"].T, 1e-14) and (X @ dZ1.T).shape == (n0, n1)   # transposed dW1
    # w2^T * dZ2 (outer product by broadcasting) equals W2^T @ dZ2 only because the output has one unit
    assert close(p["W2"].T * dZ2, p["W2"].T @ dZ2, 1e-15)


# ------------------------------------------------------------------ section 7: training on two blobs
def two_blobs(m=200, seed=12):
    rng = np.random.default_rng(seed)
    k = m // 2
    X0_ = rng.normal([-1.0, -1.0], 0.9, size=(k, 2))
    X1_ = rng.normal([1.5, 1.2], 0.9, size=(m - k, 2))
    return np.vstack([X0_, X1_]).T, np.r_[np.zeros(k), np.ones(m - k)][None, :]


def init_params(n0, n1, seed=0, scale=0.5):
    rng = np.random.default_rng(seed)
    return {"W1": rng.normal(scale=scale, size=(n1, n0)), "b1": np.zeros((n1, 1)),
            "W2": rng.normal(scale=scale, size=(1, n1)), "b2": np.zeros((1, 1))}


def test_training_on_two_blobs_numbers():
    X, Y = two_blobs()
    assert X.shape == (2, 200) and Y.sum() == 100
    p, losses = init_params(2, 2), []
    for _ in range(2000):
        losses.append(loss(X, Y, p))
        g = backward(X, Y, p)
        p = {k: p[k] - 1.0 * g["d" + k] for k in p}
    accuracy = float(np.mean((forward(X, p)["A2"] >= 0.5) == Y))
    assert round(losses[0], 2) == 0.68 and round(np.log(2), 3) == 0.693
    assert round(losses[-1], 2) == 0.04
    assert round(accuracy, 2) == 0.98
    assert all(b <= a + 1e-12 for a, b in zip(losses, losses[1:]))       # the curve goes down


def test_zero_initialisation_keeps_hidden_units_identical():
    """The symmetry argument of the assignment's written question (a)."""
    X, Y = two_blobs()
    p = {k: np.zeros_like(v) for k, v in init_params(2, 3).items()}
    g = backward(X, Y, p)                       # balanced classes: every gradient is 0, a stationary point
    assert Y.mean() == 0.5 and all(np.allclose(v, 0, rtol=0, atol=1e-15) for v in g.values())
    X, Y = X[:, :150], Y[:, :150]               # 100 of label 0, 50 of label 1
    g = backward(X, Y, p)
    assert not np.any(g["dW1"]) and not np.any(g["db1"]) and np.ptp(g["dW2"]) < 1e-15 and np.any(g["dW2"])
    assert close(g["dW2"], np.full((1, 3), 0.5 * (0.5 - Y.mean())), 1e-14)
    for _ in range(50):
        g = backward(X, Y, p)
        p = {k: p[k] - 1.0 * g["d" + k] for k in p}
    assert np.any(p["W1"]) and np.any(p["W2"])
    assert np.allclose(p["W1"], p["W1"][0]) and np.allclose(p["b1"], p["b1"][0]) and np.allclose(p["W2"], p["W2"][0, 0])
