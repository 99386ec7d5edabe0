"""Planted students for assignment 12_two_layer_network (tanh hidden layer, logit output), by the real nbgrader loop.

One course copy, ONE autograde call. The backward pass is tested with the student's OWN forward cache (as the
text promises), so a student whose cache holds other keys or other arrays than the instructor's still gets every
point; a forward-pass mistake costs the forward item and exactly the items that read what it returns.
"""
import pytest

from planted import PlantedClass

ASSIGNMENT = "12_two_layer_network"


def backward(body):
    return ("def tanh_net_backward(params, X, Y, cache):\n    m = X.shape[1]\n    A1 = cache['A1']\n"
            "    Z2 = params['W2'] @ A1 + params['b2']\n" + body)


RIGHT_DZ2 = "    dZ2 = (1 / (1 + np.exp(-Z2)) - Y) / m\n"
RETURN = ("    return {'W1': dZ1 @ X.T, 'b1': np.sum(dZ1, axis=1, keepdims=True),\n"
          "            'W2': dZ2 @ A1.T, 'b2': np.sum(dZ2, axis=1, keepdims=True)}\n")

MISTAKES = {
    "sigmoid_derivative_for_tanh": ("tanh_net_backward", backward(
        RIGHT_DZ2 + "    dZ1 = (params['W2'].T @ dZ2) * A1 * (1 - A1)\n" + RETURN),
        "test_backward", ["[used the sigmoid's derivative A1(1 − A1) for the tanh layer"]),
    "tanh_prime_of_z": ("tanh_net_backward", backward(
        RIGHT_DZ2 + "    Z1 = params['W1'] @ X + params['b1']\n    dZ1 = (params['W2'].T @ dZ2) * (1 - Z1 ** 2)\n" + RETURN),
        "test_backward", ["[tanh' evaluated with Z1 in place of A1"]),
    "missing_one_over_m": ("tanh_net_backward", backward(
        "    dZ2 = 1 / (1 + np.exp(-Z2)) - Y\n    dZ1 = (params['W2'].T @ dZ2) * (1 - A1 ** 2)\n" + RETURN),
        "test_backward", ["[missing 1/m"]),
    "sign_error": ("tanh_net_backward", backward(
        "    dZ2 = (Y - 1 / (1 + np.exp(-Z2))) / m\n    dZ1 = (params['W2'].T @ dZ2) * (1 - A1 ** 2)\n" + RETURN),
        "test_backward", ["[sign error"]),
    "extra_sigmoid_prime_at_output": ("tanh_net_backward", backward(
        "    s = 1 / (1 + np.exp(-Z2))\n    dZ2 = (s - Y) * s * (1 - s) / m\n"
        "    dZ1 = (params['W2'].T @ dZ2) * (1 - A1 ** 2)\n" + RETURN),
        "test_backward", ["[the output error is not σ(Z2) − Y"]),
    "bias_averaged": ("tanh_net_backward", backward(
        RIGHT_DZ2 + "    dZ1 = (params['W2'].T @ dZ2) * (1 - A1 ** 2)\n"
        "    return {'W1': dZ1 @ X.T, 'b1': np.mean(dZ1, axis=1, keepdims=True),\n"
        "            'W2': dZ2 @ A1.T, 'b2': np.sum(dZ2, axis=1, keepdims=True)}\n"),
        "test_backward", ["[averaged the bias gradient"]),
    "transposed_dW1": ("tanh_net_backward", backward(
        RIGHT_DZ2 + "    dZ1 = (params['W2'].T @ dZ2) * (1 - A1 ** 2)\n"
        "    return {'W1': X @ dZ1.T, 'b1': np.sum(dZ1, axis=1, keepdims=True),\n"
        "            'W2': dZ2 @ A1.T, 'b2': np.sum(dZ2, axis=1, keepdims=True)}\n"),
        "test_backward", ["[transposed", "['W1']"]),
    "squares_the_cache_in_place": ("tanh_net_backward", backward(
        RIGHT_DZ2 + "    dA1 = params['W2'].T @ dZ2\n    A1 **= 2                      # the cache's own array\n"
        "    dZ1 = dA1 * (1 - A1)\n    A1 = np.sqrt(A1)\n" + RETURN),
        "test_backward", ["[modifies its input]"]),
    "jacobian_transposed": ("hidden_jacobian", """
def hidden_jacobian(params, x):
    a = np.tanh(params["W1"] @ x + params["b1"][:, 0])
    return ((1 - a ** 2)[:, None] * params["W1"]).T
""", "test_hidden_jacobian", ["[transposed: numerator layout"]),
    "jacobian_no_activation": ("hidden_jacobian", """
def hidden_jacobian(params, x):
    return params["W1"].copy()
""", "test_hidden_jacobian", ["[the activation derivative is missing"]),
    "train_ascent": ("train_tanh_net", """
def train_tanh_net(params, X, Y, learning_rate, steps):
    p = dict(params)
    Z2, cache = tanh_net_forward(p, X)
    losses = [bce_from_logits(Z2, Y)]
    for _ in range(steps):
        g = tanh_net_backward(p, X, Y, cache)
        p = {k: p[k] + learning_rate * g[k] for k in p}
        Z2, cache = tanh_net_forward(p, X)
        losses.append(bce_from_logits(Z2, Y))
    return p, np.array(losses)
""", "test_train", ["[gradient ascent]"]),
    "train_updates_params_in_place": ("train_tanh_net", """
def train_tanh_net(params, X, Y, learning_rate, steps):
    Z2, cache = tanh_net_forward(params, X)
    losses = [bce_from_logits(Z2, Y)]
    for _ in range(steps):
        g = tanh_net_backward(params, X, Y, cache)
        for k in params:
            params[k] -= learning_rate * g[k]       # writes into the caller's arrays
        Z2, cache = tanh_net_forward(params, X)
        losses.append(bce_from_logits(Z2, Y))
    return params, np.array(losses)
""", "test_train", ["[modifies its input]", "train_tanh_net"]),
}

FORWARD_MISTAKES = {   # (cell, source, the items it costs, words): a forward pass is what later items build on
    "forward_without_tanh": ("tanh_net_forward", """
def tanh_net_forward(params, X):
    Z1 = params["W1"] @ X + params["b1"]
    return params["W2"] @ Z1 + params["b2"], {"A1": Z1}
""", ["test_forward", "test_backward"], ["[no activation on the hidden layer"]),
    "forward_returns_probability": ("tanh_net_forward", """
def tanh_net_forward(params, X):
    A1 = np.tanh(params["W1"] @ X + params["b1"])
    return 1 / (1 + np.exp(-(params["W2"] @ A1 + params["b2"]))), {"A1": A1}
""", ["test_forward"], ["[returned σ(Z2), a probability"]),
}

ALTERNATIVES = {
    "other_cache_and_einsum": ("tanh_net_backward", """
def tanh_net_backward(params, X, Y, cache):
    Z1 = cache["pre"]                                # this student's forward keeps Z1 and the logits
    A1 = np.tanh(Z1)
    p = 0.5 * (1 + np.tanh(cache["logits"] / 2))     # σ via tanh
    dZ2 = (p - Y) / X.shape[1]
    dZ1 = np.einsum("ih,hm->im", params["W2"].T, dZ2) / np.cosh(Z1) ** 2
    return {"W2": np.einsum("om,hm->oh", dZ2, A1), "b2": dZ2.sum(axis=1, keepdims=True),
            "W1": np.einsum("hm,im->hi", dZ1, X), "b1": dZ1.sum(axis=1)[:, None]}


def tanh_net_forward(params, X):
    Z1 = params["W1"] @ X + params["b1"]
    logits = params["W2"] @ np.tanh(Z1) + params["b2"]
    print("forward:", logits.shape)
    return logits, {"pre": Z1, "logits": logits, "note": np.array([1.0])}
"""),
    "jacobian_diag": ("hidden_jacobian", """
def hidden_jacobian(params, x):
    z = params["W1"] @ x.reshape(-1, 1) + params["b1"]
    return np.diag(1 - np.tanh(z[:, 0]) ** 2) @ params["W1"]
"""),
    "train_loop_with_copies": ("train_tanh_net", """
def train_tanh_net(params, X, Y, learning_rate, steps):
    current = {name: value.copy() for name, value in params.items()}
    history = np.empty(steps + 1)
    for k in range(steps + 1):
        logits, cache = tanh_net_forward(current, X)
        history[k] = bce_from_logits(logits, Y)
        if k == steps:
            break
        grads = tanh_net_backward(current, X, Y, cache)
        for name in current:
            current[name] = current[name] - learning_rate * grads[name]
    return current, history
"""),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    everyone = {**MISTAKES, **{k: (c, s, items[0], w) for k, (c, s, items, w) in FORWARD_MISTAKES.items()}}
    planted = PlantedClass(tmp_path_factory, ASSIGNMENT, everyone, ALTERNATIVES)
    planted.mistakes = MISTAKES
    return planted


def test_correct_student_gets_every_point(graded):
    graded.assert_correct_student_gets_every_point(
        {"test_forward": 2, "test_backward": 6, "test_hidden_jacobian": 2, "test_train": 2})


@pytest.mark.parametrize("student", sorted(ALTERNATIVES))
def test_correct_but_different_gets_every_point(graded, student):
    graded.assert_full_marks(student)


@pytest.mark.parametrize("student", sorted(MISTAKES))
def test_mistake_costs_its_item_and_is_named(graded, student):
    graded.assert_only_item_lost(student)


@pytest.mark.parametrize("student", sorted(FORWARD_MISTAKES))
def test_forward_mistake_costs_what_is_built_on_it(graded, student):
    _, _, items, words = FORWARD_MISTAKES[student]
    graded.assert_lost(student, items, words)
