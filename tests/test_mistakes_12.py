"""Planted mistakes for assignment 12_two_layer_network, graded by the real nbgrader loop.

One course copy, one submitted student per classic mistake plus one correct student, ONE autograde call.
Each mistake must cost exactly the points of the item it belongs to, leave every other auto-graded item at
full marks, and the error messages in the student's feedback must name the mistake.
"""
import pytest

from harness import PlantedMistakes

ASSIGNMENT = "12_two_layer_network"


def backward_source(dZ2="(A2 - Y) / m", dW2="dZ2 @ A1.T", db2="np.sum(dZ2, axis=1, keepdims=True)",
                    dZ1='(params["W2"].T @ dZ2) * A1 * (1 - A1)', dW1="dZ1 @ X.T",
                    db1="np.sum(dZ1, axis=1, keepdims=True)"):
    """A student's backward, right except for the one line given."""
    return f'''
def backward(X, Y, params, cache):
    m = X.shape[1]
    Z1, A1, A2 = cache["Z1"], cache["A1"], cache["A2"]
    dZ2 = {dZ2}
    dW2 = {dW2}
    db2 = {db2}
    dZ1 = {dZ1}
    dW1 = {dW1}
    db1 = {db1}
    return {{"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}}
'''


MISTAKES = {
    # student: (solution cell, wrong source, graded item that must drop to 0, words the feedback must contain)
    "bias_not_summed": ("backward", backward_source(db1="dZ1"), "test_backward",
                        ["[missing batch sum]", "backward(...)['db1']", "shared by the whole batch"]),
    "bias_missing_keepdims": ("backward", backward_source(db1="np.sum(dZ1, axis=1)"), "test_backward",
                              ["[missing keepdims]", "backward(...)['db1']", "keepdims=True"]),
    "elementwise_instead_of_matmul": ("backward", backward_source(dW2="dZ2 * A1"), "test_backward",
                                      ["[element-wise * where a matrix product belongs]", "dZ2 @ A1.T"]),
    "activation_derivative_on_z": ("backward", backward_source(dZ1='(params["W2"].T @ dZ2) * Z1 * (1 - Z1)'),
                                   "test_backward",
                                   ["activation derivative applied to z instead of a", "Z1(1 − Z1)",
                                    "backward(...)['dW1']"]),
    "activation_derivative_twice": ("backward", backward_source(
        dZ1='(params["W2"].T @ dZ2) * sigmoid(A1) * (1 - sigmoid(A1))'), "test_backward",
        ["activation derivative applied to a instead of z", "applies the sigmoid twice"]),
    "sign_error": ("backward", backward_source(dZ2="(Y - A2) / m"), "test_backward",
                   ["sign error in the log-loss gradient", "(Y − Ŷ) where (Ŷ − Y) belongs"]),
    "missing_one_over_m": ("backward", backward_source(dZ2="A2 - Y"), "test_backward",
                           ["missing 1/m", "the mean over the m examples"]),
    "transposed_weight_gradient": ("backward", backward_source(dW1="X @ dZ1.T"), "test_backward",
                                   ["[transposed]", "backward(...)['dW1']"]),
    "no_hidden_sigmoid": ("forward", '''
def forward(X, params):
    Z1 = params["W1"] @ X + params["b1"]
    A1 = Z1                                   # forgot the activation
    Z2 = params["W2"] @ A1 + params["b2"]
    A2 = sigmoid(Z2)
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}
''', "test_forward", ["no sigmoid on the hidden layer"]),
    "loss_missing_mean": ("log_loss", '''
def log_loss(Y_hat, Y):
    return float(-np.sum(Y * np.log(Y_hat) + (1 - Y) * np.log(1 - Y_hat)))
''', "test_log_loss", ["[missing 1/m", "the log-loss is the mean"]),
    "gradient_ascent": ("train_step", '''
def train_step(X, Y, params, learning_rate):
    Y_hat, cache = forward(X, params)
    grads = backward(X, Y, params, cache)
    return {k: params[k] + learning_rate * grads["d" + k] for k in params}, log_loss(Y_hat, Y)
''', "test_train_step", ["[gradient ascent]", "W1 ← W1 − learning_rate · dW1"]),
}


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    return PlantedMistakes(tmp_path_factory, ASSIGNMENT, MISTAKES)


def test_correct_student_gets_every_point(graded_class):
    graded_class.assert_correct_student_gets_every_point(
        {"test_forward": 2, "test_log_loss": 2, "test_backward": 6, "test_train_step": 2})


@pytest.mark.parametrize("student", sorted(MISTAKES))
def test_mistake_costs_its_item_and_is_named(graded_class, student):
    graded_class.assert_only_item_lost(student)
