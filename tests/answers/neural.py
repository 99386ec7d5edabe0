"""Reference activations, losses and a small fully connected network (course part 3).

Data are stored one example per column: ``X`` has shape (features, m) and the
network's output has shape (n_L, m).  Layer l computes Z_l = W_l A_{l-1} + b_l
with W_l of shape (n_l, n_{l-1}) and b_l of shape (n_l, 1); hidden layers apply
sigmoid or ReLU, the output layer sigmoid.  Losses and gradients are averaged
over the m examples of the batch.
"""
import numpy as np

__all__ = ["backward", "forward", "init_network", "log_loss", "mse_loss", "relu", "relu_derivative",
           "sigmoid", "sigmoid_derivative"]


def _sigmoid(z):
    # 1 / (1 + e^(−z)) written as exp(−log(1 + e^(−z))): no overflow for large |z|.
    return np.exp(-np.logaddexp(0.0, -np.asarray(z, dtype=np.float64)))


def _sigmoid_derivative(z):
    s = _sigmoid(z)
    return s * (1.0 - s)


def _relu(z):
    return np.maximum(0.0, np.asarray(z, dtype=np.float64))


def _relu_derivative(z):
    return (np.asarray(z) > 0).astype(np.float64)


_ACTIVATIONS = {"sigmoid": (_sigmoid, _sigmoid_derivative), "relu": (_relu, _relu_derivative)}


def _batch_size(y):
    y = np.asarray(y)
    return y.shape[-1] if y.ndim else 1


def _layers(params):
    return len(params) // 2


def _forward(params, X, activation):
    if activation not in _ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(_ACTIVATIONS)}, not {activation!r}")
    hidden = _ACTIVATIONS[activation][0]
    L = _layers(params)
    A = np.asarray(X, dtype=np.float64)
    cache = {"activation": activation, "A0": A}
    for l in range(1, L + 1):
        Z = params[f"W{l}"] @ A + params[f"b{l}"]
        A = _sigmoid(Z) if l == L else hidden(Z)
        cache[f"Z{l}"], cache[f"A{l}"] = Z, A
    return A, cache


def sigmoid(z):
    """σ(z) = 1 / (1 + e^(−z)), element-wise and stable for large |z|."""
    return _sigmoid(z)


def sigmoid_derivative(z):
    """σ'(z) = σ(z)(1 − σ(z)), element-wise."""
    return _sigmoid_derivative(z)


def relu(z):
    """max(0, z), element-wise."""
    return _relu(z)


def relu_derivative(z):
    """1 where z > 0, else 0 (the value 0 is taken at the kink z = 0)."""
    return _relu_derivative(z)


def mse_loss(y_hat, y):
    """½ · (1/m) Σ (ŷ − y)² over the m examples (last axis; outputs are summed)."""
    diff = np.asarray(y_hat, dtype=np.float64) - np.asarray(y, dtype=np.float64)
    return 0.5 * float(np.sum(diff**2)) / _batch_size(y)


def log_loss(y_hat, y):
    """−(1/m) Σ [y log ŷ + (1 − y) log(1 − ŷ)] over the m examples (last axis; outputs are summed)."""
    y_hat, y = np.asarray(y_hat, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return -float(np.sum(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat))) / _batch_size(y)


def init_network(sizes, rng):
    """{"W1": (n1, n0), "b1": (n1, 1), ...} for layer sizes [n0, n1, ..., n_L]; W ~ N(0, 1/n_{l−1}), b = 0."""
    if len(sizes) < 2:
        raise ValueError(f"sizes needs the input size and at least one layer, got {sizes!r}")
    params = {}
    for l in range(1, len(sizes)):
        params[f"W{l}"] = rng.normal(scale=1.0 / np.sqrt(sizes[l - 1]), size=(sizes[l], sizes[l - 1]))
        params[f"b{l}"] = np.zeros((sizes[l], 1))
    return params


def forward(params, X, activation="sigmoid"):
    """Output (n_L, m) for X of shape (features, m), and the cache that :func:`backward` needs."""
    return _forward(params, X, activation)


def backward(params, cache, Y):
    """Gradients {"W1": ..., "b1": ...} (the parameters' shapes) of the batch-mean log-loss of the output."""
    derivative = _ACTIVATIONS[cache["activation"]][1]
    L = _layers(params)
    m = _batch_size(Y)
    dZ = (cache[f"A{L}"] - Y) / m           # sigmoid output with log-loss: ∂L/∂Z_L = (ŷ − y)/m
    grads = {}
    for l in range(L, 0, -1):
        grads[f"W{l}"] = dZ @ cache[f"A{l - 1}"].T
        grads[f"b{l}"] = np.sum(dZ, axis=1, keepdims=True)
        if l > 1:
            dZ = (params[f"W{l}"].T @ dZ) * derivative(cache[f"Z{l - 1}"])
    return {name: grads[name] for name in params}
