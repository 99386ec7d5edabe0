"""Planted mistakes for assignment 11_perceptron_classification, graded by the real nbgrader loop.

One course copy, one submitted student per classic mistake plus one correct student, ONE autograde call.
Each mistake must cost exactly the points of the item it belongs to, leave every other auto-graded item at
full marks, and the error messages in the student's feedback must name the mistake.
"""
import pytest

from harness import PlantedMistakes

ASSIGNMENT = "11_perceptron_classification"

MISTAKES = {
    # student: (solution cell, wrong source, graded item that must drop to 0, words the feedback must contain)
    "unstable_sigmoid": ("sigmoid", """
def sigmoid(z):
    return 1 / (1 + np.exp(-z))             # exp(1000) overflows for z = -1000
""", "test_sigmoid", ["[unstable sigmoid]", "overflow", "np.exp(-np.abs(z))"]),
    "derivative_of_a_not_z": ("sigmoid_derivative", """
def sigmoid_derivative(z):
    a = sigmoid(z)
    return sigmoid(a) * (1 - sigmoid(a))    # sigma'(sigma(z))
""", "test_sigmoid_derivative", ["the sigmoid derivative applied to a = σ(z) instead of z", "σ'(σ(z))"]),
    "loss_missing_mean": ("log_loss", """
def log_loss(A, Y):
    return float(-np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)))
""", "test_log_loss", ["[missing 1/m", "the log-loss is the mean"]),
    "sign_error": ("gradients", """
def gradients(W, b, X, Y):
    m = X.shape[1]
    dZ = Y - sigmoid(W @ X + b)              # y - y_hat instead of y_hat - y
    return dZ @ X.T / m, np.sum(dZ, axis=1, keepdims=True) / m
""", "test_gradients", ["sign error in the log-loss gradient", "(Y − Ŷ) where (Ŷ − Y) belongs"]),
    "missing_one_over_m": ("gradients", """
def gradients(W, b, X, Y):
    dZ = sigmoid(W @ X + b) - Y
    return dZ @ X.T, np.sum(dZ, axis=1, keepdims=True)
""", "test_gradients", ["missing 1/m", "the loss is the mean over the m examples"]),
    "bias_not_summed": ("gradients", """
def gradients(W, b, X, Y):
    m = X.shape[1]
    dZ = sigmoid(W @ X + b) - Y
    return dZ @ X.T / m, dZ / m               # one bias gradient per example
""", "test_gradients", ["[missing batch sum]", "db = gradients(W, b, X, Y)[1]", "shared by the whole batch"]),
    "bias_missing_keepdims": ("gradients", """
def gradients(W, b, X, Y):
    m = X.shape[1]
    dZ = sigmoid(W @ X + b) - Y
    return dZ @ X.T / m, np.sum(dZ, axis=1) / m
""", "test_gradients", ["[missing keepdims]", "keepdims=True"]),
    "elementwise_instead_of_matmul": ("gradients", """
def gradients(W, b, X, Y):
    m = X.shape[1]
    dZ = sigmoid(W @ X + b) - Y
    return dZ * X / m, np.sum(dZ, axis=1, keepdims=True) / m
""", "test_gradients", ["[element-wise * where a matrix product belongs]", "dZ @ X.T"]),
    "transposed_weight_gradient": ("gradients", """
def gradients(W, b, X, Y):
    m = X.shape[1]
    dZ = sigmoid(W @ X + b) - Y
    return X @ dZ.T / m, np.sum(dZ, axis=1, keepdims=True) / m
""", "test_gradients", ["[transposed]", "dW = gradients(W, b, X, Y)[0]", "shape (2, 1) instead of (1, 2)"]),
    "chain_rule_through_sigma_of_a": ("gradients", """
def gradients(W, b, X, Y):
    m = X.shape[1]
    A = sigmoid(W @ X + b)
    dA = -Y / A + (1 - Y) / (1 - A)
    dZ = dA * sigmoid_derivative(A)           # sigma' evaluated at a instead of z
    return dZ @ X.T / m, np.sum(dZ, axis=1, keepdims=True) / m
""", "test_gradients", ["the sigmoid derivative applied to a instead of z", "σ'(σ(Z))"]),
    "gradient_ascent": ("train", """
def train(X, Y, learning_rate, steps):
    W, b = np.zeros((1, X.shape[0])), np.zeros((1, 1))
    losses = []
    for _ in range(steps):
        losses.append(log_loss(sigmoid(W @ X + b), Y))
        dW, db = gradients(W, b, X, Y)
        W, b = W + learning_rate * dW, b + learning_rate * db
    return W, b, np.array(losses)
""", "test_train", ["[gradient ascent]", "W ← W − learning_rate · dW"]),
}


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    return PlantedMistakes(tmp_path_factory, ASSIGNMENT, MISTAKES)


def test_correct_student_gets_every_point(graded_class):
    graded_class.assert_correct_student_gets_every_point(
        {"test_sigmoid": 2, "test_sigmoid_derivative": 2, "test_log_loss": 2, "test_gradients": 4, "test_train": 2})


@pytest.mark.parametrize("student", sorted(MISTAKES))
def test_mistake_costs_its_item_and_is_named(graded_class, student):
    graded_class.assert_only_item_lost(student)
