"""Every formula and numeric fact of lecture 13 (backpropagation), checked numerically."""
import numpy as np
import pytest

import matcalc as mc


def sigmoid(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def log_loss(AL, Y):
    return float(-np.mean(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)))


def init_params(dims, seed):
    rng = np.random.default_rng(seed)
    return {k: v for l in range(1, len(dims)) for k, v in
            ((f"W{l}", rng.normal(size=(dims[l], dims[l - 1])) / np.sqrt(dims[l - 1])),
             (f"b{l}", 0.3 * rng.normal(size=(dims[l], 1))))}


def count_parameters(dims):
    return sum(dims[l] * (dims[l - 1] + 1) for l in range(1, len(dims)))


def forward_from(l0, Z, params):
    """Run the network from the pre-activation Z of layer l0 to the output."""
    L = len(params) // 2
    A = sigmoid(Z)
    for l in range(l0 + 1, L + 1):
        A = sigmoid(params[f"W{l}"] @ A + params[f"b{l}"])
    return A


def forward(X, params):
    L = len(params) // 2
    A, caches = X, []
    for l in range(1, L + 1):
        Z = params[f"W{l}"] @ A + params[f"b{l}"]
        caches.append((A, params[f"W{l}"], Z, sigmoid(Z)))
        A = caches[-1][3]
    return A, caches


def deltas(AL, Y, caches):
    """delta^L = (AL - Y)/m; delta^l = (W^{l+1})^T delta^{l+1} * A^l (1 - A^l)."""
    L, m = len(caches), Y.shape[1]
    d = {L: (AL - Y) / m}
    for l in range(L - 1, 0, -1):
        A = caches[l - 1][3]
        d[l] = (caches[l][1].T @ d[l + 1]) * A * (1 - A)
    return d


CASES = [([2, 4, 3, 1], 5, 13), ([3, 5, 5, 5, 5, 1], 1, 7), ([4, 4, 4, 1], 6, 3), ([6, 2, 7, 1], 3, 99)]


def data(n0, m, seed):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n0, m)), (rng.uniform(size=(1, m)) < 0.5).astype(float)


def test_parameter_count_of_the_lecture_network():
    assert count_parameters([2, 4, 3, 1]) == 4 * 3 + 3 * 5 + 1 * 4 == 31
    # central differences: 2 forward passes per parameter -> 62 for the 31-parameter network
    assert 2 * count_parameters([2, 4, 3, 1]) == 62


def test_parameter_counts_of_the_timing_networks():
    counts = [count_parameters([20, h, h, 1]) for h in (8, 16, 24, 32, 40, 48)]
    assert counts == [249, 625, 1129, 1761, 2521, 3409]
    assert all(c == h * h + 23 * h + 1 for c, h in zip(counts, (8, 16, 24, 32, 40, 48)))


def test_sigmoid_derivative_is_a_times_one_minus_a():
    for z in (-3.0, 0.0, 0.7, 5.0):
        a = float(sigmoid(z))
        assert np.isclose(a * (1 - a), mc.numerical_derivative(lambda t: float(sigmoid(t)), z), rtol=1e-7)


@pytest.mark.parametrize("dims, m, seed", CASES)
def test_every_delta_is_the_gradient_with_respect_to_Z(dims, m, seed):
    params = init_params(dims, seed)
    X, Y = data(dims[0], m, seed + 1)
    AL, caches = forward(X, params)
    d = deltas(AL, Y, caches)
    assert np.allclose(d[len(caches)], (AL - Y) / m)
    for l, (A_prev, W, Z, A) in enumerate(caches, start=1):
        num = mc.numerical_gradient(lambda Z_: log_loss(forward_from(l, Z_, params), Y), Z)
        assert d[l].shape == Z.shape
        assert mc.rel_error(d[l], num) < 1e-6, l


@pytest.mark.parametrize("dims, m, seed", CASES)
def test_gradient_with_respect_to_A_is_W_transposed_delta(dims, m, seed):
    params = init_params(dims, seed)
    X, Y = data(dims[0], m, seed + 2)
    AL, caches = forward(X, params)
    d = deltas(AL, Y, caches)
    for l in range(1, len(caches)):                         # dJ/dA^l = (W^{l+1})^T delta^{l+1}
        A = caches[l - 1][3]

        def J_of_A(A_):
            return log_loss(forward_from(l + 1, params[f"W{l + 1}"] @ A_ + params[f"b{l + 1}"], params), Y)
        assert mc.rel_error(params[f"W{l + 1}"].T @ d[l + 1], mc.numerical_gradient(J_of_A, A)) < 1e-6


@pytest.mark.parametrize("dims, m, seed", CASES)
def test_parameter_gradients_dW_and_db(dims, m, seed):
    params = init_params(dims, seed)
    X, Y = data(dims[0], m, seed + 3)
    AL, caches = forward(X, params)
    d = deltas(AL, Y, caches)
    for l, (A_prev, W, Z, A) in enumerate(caches, start=1):
        for key, analytic in ((f"W{l}", d[l] @ A_prev.T), (f"b{l}", np.sum(d[l], axis=1, keepdims=True))):
            def J(P):
                p = dict(params)
                p[key] = P
                return log_loss(forward(X, p)[0], Y)
            assert analytic.shape == params[key].shape
            assert mc.rel_error(analytic, mc.numerical_gradient(J, params[key])) < 1e-6, key


def test_layer_step_surrogate_loss_of_the_assignment():
    """J = sum(dZ * (W A_prev + b)) has dJ/dW = dZ A_prev^T, dJ/db = row sums, dJ/dA_prev = W^T dZ."""
    rng = np.random.default_rng(5)
    A_prev, W, b, dZ = rng.normal(size=(4, 3)), rng.normal(size=(2, 4)), rng.normal(size=(2, 1)), rng.normal(size=(2, 3))
    assert mc.rel_error(dZ @ A_prev.T, mc.numerical_gradient(lambda W_: np.sum(dZ * (W_ @ A_prev + b)), W)) < 1e-8
    assert mc.rel_error(dZ.sum(axis=1, keepdims=True),
                        mc.numerical_gradient(lambda b_: np.sum(dZ * (W @ A_prev + b_)), b)) < 1e-8
    assert mc.rel_error(W.T @ dZ, mc.numerical_gradient(lambda A_: np.sum(dZ * (W @ A_ + b)), A_prev)) < 1e-8


def chain_loss(w, b, x, y):
    a = x
    for wl, bl in zip(w, b):
        a = float(sigmoid(wl * a + bl))
    return -(y * np.log(a) + (1 - y) * np.log(1 - a))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_three_layer_chain_formulas(seed):
    rng = np.random.default_rng(seed)
    w, b, x, y = rng.normal(size=3) * 1.5, rng.normal(size=3), float(rng.normal()), float(seed % 2)
    if seed == 0:
        w, b, x, y = np.array([0.8, -1.5, 2.0]), np.array([0.1, 0.4, -0.3]), 1.2, 1.0   # the lecture's numbers
    a = [x]
    for wl, bl in zip(w, b):
        a.append(float(sigmoid(wl * a[-1] + bl)))
    # dL/da3 = (a3 - y) / (a3 (1 - a3)), and times a3 (1 - a3) it is delta^3 = a3 - y
    dL_da3 = mc.numerical_derivative(lambda t: -(y * np.log(t) + (1 - y) * np.log(1 - t)), a[3])
    assert np.isclose(dL_da3, (a[3] - y) / (a[3] * (1 - a[3])), rtol=1e-6)
    delta = {3: a[3] - y}
    for l in (2, 1):
        delta[l] = delta[l + 1] * w[l] * a[l] * (1 - a[l])
    dw = np.array([delta[l] * a[l - 1] for l in (1, 2, 3)])
    db = np.array([delta[l] for l in (1, 2, 3)])
    assert mc.rel_error(dw, mc.numerical_gradient(lambda w_: chain_loss(w_, b, x, y), w)) < 1e-6
    assert mc.rel_error(db, mc.numerical_gradient(lambda b_: chain_loss(w, b_, x, y), b)) < 1e-6
    if seed == 0:   # the printed values
        assert np.allclose(dw, [0.062481, -0.134902, -0.135291], atol=1e-6)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_seed_two_layer_correction(seed):
    """dL/dw11 = -x1 w1 a1 (1 - a1) (y - yhat), dL/db1 = -w1 a1 (1 - a1)(y - yhat); the post's extra yhat is wrong."""
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=2)
    w11, w21, w12, w22, b1, b2, w1, w2, b = rng.normal(size=9)
    y = float(seed % 2)

    def parts(w11_, b1_):
        a1 = float(sigmoid(x1 * w11_ + x2 * w21 + b1_))     # z1 = x1 w11 + x2 w21 + b1
        a2 = float(sigmoid(x1 * w12 + x2 * w22 + b2))      # z2 = x1 w12 + x2 w22 + b2 (corrected)
        yhat = float(sigmoid(a1 * w1 + a2 * w2 + b))       # z = a1 w1 + a2 w2 + b, yhat = sigma(z)
        return a1, yhat

    def L(w11_, b1_):
        _, yhat = parts(w11_, b1_)
        return -(y * np.log(yhat) + (1 - y) * np.log(1 - yhat))

    a1, yhat = parts(w11, b1)
    ours_w = -x1 * w1 * a1 * (1 - a1) * (y - yhat)
    ours_b = -w1 * a1 * (1 - a1) * (y - yhat)
    assert np.isclose(ours_w, mc.numerical_derivative(lambda t: L(t, b1), w11), rtol=1e-6, atol=1e-10)
    assert np.isclose(ours_b, mc.numerical_derivative(lambda t: L(w11, t), b1), rtol=1e-6, atol=1e-10)
    assert not np.isclose(yhat * ours_w, ours_w)           # the post's version keeps a stray yhat


def test_backward_costs_two_forward_matmuls_per_layer():
    """Forward: one product W A (2 n_l n_{l-1} m flops); backward: dZ A^T and W^T dZ, the same size each."""
    for dims, m in (([20, 48, 48, 1], 32), ([2, 4, 3, 1], 5)):
        fwd = sum(2 * dims[l] * dims[l - 1] * m for l in range(1, len(dims)))
        bwd = sum(2 * (2 * dims[l] * dims[l - 1] * m) for l in range(1, len(dims)))
        assert bwd == 2 * fwd


def test_W_instead_of_WT_breaks_at_the_output_layer_of_4_4_4_1():
    params = init_params([4, 4, 4, 1], 3)
    with pytest.raises(ValueError):
        params["W3"] @ np.ones((1, 6))                      # W3 is (1, 4): W @ dZ does not fit
    assert params["W1"].shape == params["W2"].shape == (4, 4)   # the hidden layers are square
