"""Planted students for assignment 13_backpropagation (deep ReLU regression network), by the real nbgrader loop.

One course copy, ONE autograde call. Classes of issue 12 covered here: the ReLU derivative on the wrong side of the
kink or at the output layer, relu'(0) against the stated convention (caught only at pre-activations exactly 0),
missing 1/m, the factor 2 of the halved square, transposed dW, zeroing the cached pre-activations in place, a
batch-summed input gradient, gradient ascent. The backward pass is tested with the student's own caches.
"""
import pytest

from planted import PlantedClass

ASSIGNMENT = "13_backpropagation"


def backward(output_dz="(caches[-1][1] - Y) / m", relu_prime="(caches[l - 2][1] > 0)", dW="dZ @ A_prev.T",
             extra=""):
    return f"""
def mlp_backward(params, Y, caches):
    L, m = len(caches), Y.shape[1]
    dZ = {output_dz}
    grads = {{}}
    for l in range(L, 0, -1):
        A_prev, Z = caches[l - 1]
        grads[f"W{{l}}"] = {dW}
        grads[f"b{{l}}"] = np.sum(dZ, axis=1, keepdims=True)
        if l > 1:
{extra}            dZ = (params[f"W{{l}}"].T @ dZ) * {relu_prime}
    return grads
"""


MISTAKES = {
    "relu_prime_wrong_side": ("mlp_backward", backward(relu_prime="(caches[l - 2][1] < 0)"), "test_backward",
                              ["[ReLU derivative on the wrong side of the kink"]),
    "relu_prime_at_zero_is_one": ("mlp_backward", backward(relu_prime="(caches[l - 2][1] >= 0)"), "test_backward",
                                  ["[relu'(0) taken as 1"]),
    "relu_prime_on_output": ("mlp_backward", backward(output_dz="(caches[-1][1] - Y) / m * (caches[-1][1] > 0)"),
                             "test_backward", ["[a ReLU derivative applied at the output layer"]),
    "missing_one_over_m": ("mlp_backward", backward(output_dz="caches[-1][1] - Y"), "test_backward",
                           ["[missing 1/m"]),
    "factor_two": ("mlp_backward", backward(output_dz="2 * (caches[-1][1] - Y) / m"), "test_backward",
                   ["[factor 2"]),
    "transposed_dW": ("mlp_backward", backward(dW="(A_prev @ dZ.T)"), "test_backward", ["[transposed"]),
    "zeroes_cached_z_in_place": ("mlp_backward", backward(
        relu_prime="np.sign(Zp)", extra="            Zp = caches[l - 2][1]\n            Zp[Zp < 0] = 0\n"),
        "test_backward", ["[modifies its input]", "mlp_backward"]),
    "input_gradient_summed": ("mlp_input_gradient", """
def mlp_input_gradient(params, X, Y):
    Y_hat, caches = mlp_forward(params, X)
    dZ = (Y_hat - Y) / Y.shape[1]
    for l in range(len(caches), 0, -1):
        dA = params[f"W{l}"].T @ dZ
        if l > 1:
            dZ = dA * (caches[l - 2][1] > 0)
    return np.sum(dA, axis=1, keepdims=True)
""", "test_input_gradient", ["[summed over the batch"]),
    "input_gradient_without_relu": ("mlp_input_gradient", """
def mlp_input_gradient(params, X, Y):
    Y_hat, caches = mlp_forward(params, X)
    dA = (Y_hat - Y) / Y.shape[1]
    for l in range(len(caches), 0, -1):
        dA = params[f"W{l}"].T @ dA
    return dA
""", "test_input_gradient", ["[the ReLU derivative is missing"]),
    "train_ascent": ("train_mlp", """
def train_mlp(params, X, Y, learning_rate, steps):
    p = dict(params)
    Y_hat, caches = mlp_forward(p, X)
    losses = [half_mse(Y_hat, Y)]
    for _ in range(steps):
        g = mlp_backward(p, Y, caches)
        p = {k: p[k] + learning_rate * g[k] for k in p}
        Y_hat, caches = mlp_forward(p, X)
        losses.append(half_mse(Y_hat, Y))
    return p, np.array(losses)
""", "test_train", ["[gradient ascent]"]),
}

FORWARD_MISTAKES = {
    "relu_on_output": ("mlp_forward", """
def mlp_forward(params, X):
    L = len(params) // 2
    A, caches = X, []
    for l in range(1, L + 1):
        Z = params[f"W{l}"] @ A + params[f"b{l}"]
        caches.append((A, Z))
        A = np.maximum(Z, 0.0)
    return A, caches
""", ["test_forward", "test_input_gradient"], ["[ReLU on the output layer"]),
}

ALTERNATIVES = {
    "loops_over_examples": ("mlp_backward", """
def mlp_backward(params, Y, caches):
    m = Y.shape[1]
    delta = (caches[-1][1] - Y) / m
    grads = {}
    for l in reversed(range(1, len(caches) + 1)):
        A_prev, Z = caches[l - 1]
        W = params["W%d" % l]
        gW = np.zeros_like(W)
        for j in range(m):                             # one example at a time
            gW += np.outer(delta[:, j], A_prev[:, j])
        grads["W%d" % l] = gW
        grads["b%d" % l] = delta.sum(axis=1).reshape(-1, 1)
        if l > 1:
            delta = np.where(caches[l - 2][1] > 0, W.T @ delta, 0.0)
    print("computed", sorted(grads))
    return grads
"""),
    "input_gradient_einsum": ("mlp_input_gradient", """
def mlp_input_gradient(params, X, Y):
    L = len(params) // 2
    Zs, A = [], X
    for l in range(1, L + 1):
        Z = np.einsum("ij,jm->im", params[f"W{l}"], A) + params[f"b{l}"]
        Zs.append(Z)
        A = np.maximum(Z, 0) if l < L else Z
    g = (A - Y) / X.shape[1]
    for l in range(L, 0, -1):
        g = np.einsum("ij,im->jm", params[f"W{l}"], g)
        if l > 1:
            g = g * np.heaviside(Zs[l - 2], 0.0)
    return g
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
        {"test_forward": 2, "test_backward": 6, "test_input_gradient": 3, "test_train": 2})


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
