"""The instructor-side reference activations, losses and network (tests/answers), checked against numerical derivatives.

They are complete answers of graded items, so they live in the test suite, never in what students import.
The planted-mistake tests show the same checks catch the classic wrong variants.
"""
import numpy as np
import pytest

import matcalc as mc
from answers import (backward, forward, init_network, log_loss, mse_loss, relu, relu_derivative, sigmoid,
                     sigmoid_derivative)

SHAPES = [(2, 1), (3, 4, 1), (4, 5, 3, 1), (2, 3, 2), (1, 6, 6, 1)]   # layer sizes: widths and depths
BATCHES = [1, 7]


def flatten(arrays, names=None):
    return np.concatenate([arrays[name].ravel() for name in names or arrays])


def unflatten(theta, like):
    out, start = {}, 0
    for name, value in like.items():
        out[name] = theta[start:start + value.size].reshape(value.shape)
        start += value.size
    return out


def problem(sizes, m, seed):
    rng = np.random.default_rng(seed)
    params = init_network(sizes, rng)
    for name in params:
        if name.startswith("b"):
            params[name] = rng.normal(scale=0.5, size=params[name].shape)   # nonzero biases are checked too
    X = rng.normal(size=(sizes[0], m))
    Y = (rng.random((sizes[-1], m)) < 0.5).astype(float)
    return params, X, Y


def loss_of(params, X, Y, activation):
    return log_loss(forward(params, X, activation)[0], Y)


def check_backward(backward_fn, params, X, Y, activation, **kwargs):
    """check_gradient of backward_fn on all parameters flattened into one vector."""
    def f(theta):
        return loss_of(unflatten(theta, params), X, Y, activation)

    def grad(theta):
        p = unflatten(theta, params)
        _, cache = forward(p, X, activation)
        return flatten(backward_fn(p, cache, Y), names=list(params))

    return mc.check_gradient(grad, f, flatten(params), **kwargs)


def check_one_parameter(backward_fn, params, X, Y, activation, name, **kwargs):
    """check_gradient of backward_fn(...)[name] alone, so that its shape is compared with the parameter's."""
    def with_value(value):
        return {**params, name: value}

    def grad(value):
        p = with_value(value)
        return backward_fn(p, forward(p, X, activation)[1], Y)[name]

    return mc.check_gradient(grad, lambda value: loss_of(with_value(value), X, Y, activation), params[name],
                             **kwargs)


# ------------------------------------------------------------------ activations
def test_sigmoid_values_and_stability():
    assert sigmoid(0.0) == 0.5
    z = np.array([-3.0, -0.5, 0.0, 2.0, 7.0])
    assert np.allclose(sigmoid(z), 1 / (1 + np.exp(-z)), rtol=1e-15)
    assert np.allclose(sigmoid(z) + sigmoid(-z), 1.0)
    with np.errstate(over="raise", invalid="raise", divide="raise"):   # e^(±1000) must not overflow
        big = sigmoid(np.array([-1000.0, 1000.0]))
    assert np.array_equal(big, [0.0, 1.0])


@pytest.mark.parametrize("shape", [(), (5,), (3, 4)])
def test_sigmoid_derivative_matches_numerical(shape):
    rng = np.random.default_rng(1)
    points = [rng.normal(scale=3, size=shape) for _ in range(3)]
    mc.check_gradient(sigmoid_derivative, lambda z: np.sum(sigmoid(z)), *points)
    assert np.isclose(sigmoid_derivative(0.0), 0.25)


def test_relu_and_its_derivative():
    z = np.array([[-2.0, -1e-3, 0.0], [1e-3, 0.5, 4.0]])
    assert np.array_equal(relu(z), [[0, 0, 0], [1e-3, 0.5, 4.0]])
    assert np.array_equal(relu_derivative(z), [[0, 0, 0], [1, 1, 1]])   # the kink z = 0 takes 0
    rng = np.random.default_rng(2)
    points = [rng.normal(size=(4, 3)) for _ in range(3)]
    points = [p + 0.1 * np.sign(p) for p in points]                     # away from the kink
    mc.check_gradient(relu_derivative, lambda z: np.sum(relu(z)), *points)


# ------------------------------------------------------------------ losses
@pytest.mark.parametrize("n, m", [(1, 1), (1, 6), (3, 4)])
def test_mse_loss_value_and_gradient(n, m):
    rng = np.random.default_rng(10 * n + m)
    y, y_hat = rng.normal(size=(n, m)), rng.normal(size=(n, m))
    assert np.isclose(mse_loss(y_hat, y), 0.5 * np.sum((y_hat - y) ** 2) / m)
    mc.check_gradient(lambda v: (v - y) / m, lambda v: mse_loss(v, y), y_hat)


def test_mse_loss_is_half_the_mean_squared_error():
    assert mse_loss(np.array([[1.0, 2.0, 3.0, 4.0]]), np.array([[1.0, 0.0, 3.0, 0.0]])) == 0.5 * (4 + 16) / 4
    assert mse_loss(3.0, 1.0) == 2.0


@pytest.mark.parametrize("n, m", [(1, 1), (1, 6), (2, 5)])
def test_log_loss_value_and_gradient(n, m):
    rng = np.random.default_rng(20 * n + m)
    y = (rng.random((n, m)) < 0.5).astype(float)
    y_hat = rng.uniform(0.05, 0.95, size=(n, m))
    expected = -np.sum(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat)) / m
    assert np.isclose(log_loss(y_hat, y), expected)
    mc.check_gradient(lambda v: (v - y) / (v * (1 - v)) / m, lambda v: log_loss(v, y), y_hat)


def test_log_loss_of_a_coin_flip_is_log_2():
    assert np.isclose(log_loss(np.full((1, 4), 0.5), np.array([[0.0, 1.0, 1.0, 0.0]])), np.log(2))


# ------------------------------------------------------------------ network
@pytest.mark.parametrize("sizes", SHAPES)
def test_init_network_shapes_and_reproducibility(sizes):
    params = init_network(sizes, np.random.default_rng(5))
    assert list(params) == [f"{k}{l}" for l in range(1, len(sizes)) for k in "Wb"]
    for l in range(1, len(sizes)):
        assert params[f"W{l}"].shape == (sizes[l], sizes[l - 1])
        assert params[f"b{l}"].shape == (sizes[l], 1) and not np.any(params[f"b{l}"])
    again = init_network(sizes, np.random.default_rng(5))
    assert all(np.array_equal(params[k], again[k]) for k in params)


def test_init_network_scale_and_bad_sizes():
    W = init_network([400, 300], np.random.default_rng(0))["W1"]
    assert abs(W.std() - 1 / np.sqrt(400)) < 0.002
    with pytest.raises(ValueError):
        init_network([3], np.random.default_rng(0))


@pytest.mark.parametrize("activation", ["sigmoid", "relu"])
def test_forward_shapes_and_a_two_layer_network_by_hand(activation):
    params, X, _ = problem([3, 4, 2], 5, seed=7)
    out, cache = forward(params, X, activation)
    hidden = np.maximum(0, params["W1"] @ X + params["b1"]) if activation == "relu" else \
        1 / (1 + np.exp(-(params["W1"] @ X + params["b1"])))
    expected = 1 / (1 + np.exp(-(params["W2"] @ hidden + params["b2"])))
    assert out.shape == (2, 5) and np.allclose(out, expected, rtol=1e-13)
    assert np.allclose(cache["A1"], hidden, rtol=1e-13) and cache["A0"] is not None


def test_forward_rejects_an_unknown_activation():
    params, X, _ = problem([2, 1], 3, seed=0)
    with pytest.raises(ValueError, match="activation"):
        forward(params, X, "tanh")


@pytest.mark.parametrize("m", BATCHES)
@pytest.mark.parametrize("activation", ["sigmoid", "relu"])
@pytest.mark.parametrize("sizes", SHAPES)
def test_backward_matches_the_numerical_gradient(sizes, activation, m):
    params, X, Y = problem(sizes, m, seed=len(sizes) * 100 + sum(sizes) + m)
    grads = backward(params, forward(params, X, activation)[1], Y)
    assert list(grads) == list(params)
    assert all(grads[k].shape == params[k].shape for k in params)
    check_backward(backward, params, X, Y, activation)


@pytest.mark.parametrize("m", BATCHES)
def test_gradient_of_a_single_layer_is_the_logistic_regression_formula(m):
    params, X, Y = problem([3, 1], m, seed=3)
    y_hat = 1 / (1 + np.exp(-(params["W1"] @ X + params["b1"])))
    grads = backward(params, forward(params, X)[1], Y)
    assert np.allclose(grads["W1"], (y_hat - Y) @ X.T / m)
    assert np.allclose(grads["b1"], np.mean(y_hat - Y, axis=1, keepdims=True))


# ------------------------------------------------------------------ planted mistakes
def planted_backward(mistake):
    """A copy of the reference backward with one classic mistake."""
    def backward_wrong(params, cache, Y):
        L, m = len(params) // 2, Y.shape[1]
        act_prime = sigmoid_derivative if cache["activation"] == "sigmoid" else relu_derivative
        if mistake == "hidden derivative of sigmoid with relu":
            act_prime = sigmoid_derivative
        dZ = cache[f"A{L}"] - Y if mistake == "no 1/m" else (cache[f"A{L}"] - Y) / m
        if mistake == "y - y_hat":
            dZ = -dZ
        grads = {}
        for l in range(L, 0, -1):
            A = cache[f"A{l - 1}"]
            grads[f"W{l}"] = A @ dZ.T if mistake == "transposed dW" else dZ @ A.T
            grads[f"b{l}"] = {"db not summed": dZ, "no keepdims": np.sum(dZ, axis=1)}.get(
                mistake, np.sum(dZ, axis=1, keepdims=True))
            if l > 1:
                back = params[f"W{l}"].T @ dZ
                dZ = back if mistake == "no activation derivative" else back * act_prime(cache[f"Z{l - 1}"])
        return grads
    return backward_wrong


@pytest.mark.parametrize("mistake, activation, check, label", [
    ("no 1/m", "sigmoid", "all", "[factor ×5]"),
    ("y - y_hat", "relu", "all", "[sign flipped]"),
    ("transposed dW", "sigmoid", "W1", "[transposed]"),
    ("db not summed", "sigmoid", "b2", "[missing batch sum]"),
    ("no keepdims", "relu", "b1", "[missing keepdims]"),
    ("no activation derivative", "sigmoid", "W1", "[wrong value]"),          # every entry off, by varying ratios
    ("hidden derivative of sigmoid with relu", "relu", "W1", "[wrong "),     # value or entries: relu zeroes some
])
def test_checks_catch_planted_backward_mistakes(mistake, activation, check, label):
    params, X, Y = problem([3, 4, 2], 5, seed=11)
    def run(backward_fn):
        if check == "all":
            return check_backward(backward_fn, params, X, Y, activation)
        return check_one_parameter(backward_fn, params, X, Y, activation, check)

    run(planted_backward("none"))      # the mistake-free copy passes the same check: only the mistake fails it
    with pytest.raises(mc.GradientCheckError) as error:
        run(planted_backward(mistake))
    assert str(error.value).startswith(label), str(error.value)


def test_checks_catch_a_wrong_sigmoid_derivative():
    z = np.random.default_rng(4).normal(size=6)
    with pytest.raises(mc.GradientCheckError, match=r"(?s)\[wrong value\].*not one constant factor"):
        mc.check_gradient(lambda v: sigmoid(v), lambda v: np.sum(sigmoid(v)), z)   # σ, not σ(1 − σ)


def test_checks_catch_log_loss_gradient_without_1_over_m():
    y = np.array([[1.0, 0.0, 1.0]])
    with pytest.raises(mc.GradientCheckError, match=r"\[factor ×3\]"):
        mc.check_gradient(lambda v: (v - y) / (v * (1 - v)), lambda v: log_loss(v, y), np.array([[0.3, 0.6, 0.8]]))
