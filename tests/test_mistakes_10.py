"""Planted mistakes for assignment 10_perceptron_regression, graded by the real nbgrader loop.

One course copy, one submitted student per classic mistake plus one correct student, ONE autograde call.
Each mistake must cost exactly the points of the item it belongs to, leave every other auto-graded item at
full marks, and the error messages in the student's feedback must name the mistake.
"""
import pytest

from harness import PlantedMistakes

ASSIGNMENT = "10_perceptron_regression"

MISTAKES = {
    # student: (solution cell, wrong source, graded item that must drop to 0, words the feedback must contain)
    "loss_summed": ("loss", """
def loss(y_hat, y):
    return 0.5 * float(np.sum((y - y_hat) ** 2))   # the sum, not the mean (train is checked without it)
""", "test_loss", ["times too large", "MEAN"]),
    "loss_without_half": ("loss", """
def loss(y_hat, y):
    return float(np.mean((y - y_hat) ** 2))
""", "test_loss", ["twice the right value", "factor ½"]),
    "predict_elementwise": ("predict", """
def predict(w, b, X):
    return w.T * X + b                             # * where the matrix product belongs: shape (n, m)
""", "test_predict", ["must be (1, m)", "w @ X"]),
    "bias_not_summed": ("batch_gradient", """
def batch_gradient(w, b, X, y):
    m = X.shape[1]
    error = w @ X + b - y
    return error @ X.T / m, error / m          # one bias gradient per example
""", "test_batch_gradient", ["[missing batch sum]", "shared by the whole batch"]),
    "bias_without_keepdims": ("batch_gradient", """
def batch_gradient(w, b, X, y):
    m = X.shape[1]
    error = w @ X + b - y
    return error @ X.T / m, np.sum(error, axis=1) / m      # shape (1,), not (1, 1)
""", "test_batch_gradient", ["[missing keepdims]", "keepdims=True"]),
    "bias_as_a_number": ("batch_gradient", """
def batch_gradient(w, b, X, y):
    m = X.shape[1]
    error = w @ X + b - y
    return error @ X.T / m, np.mean(error)                 # a number, not shape (1, 1)
""", "test_batch_gradient", ["[missing keepdims: db is a single number", "keepdims=True"]),
    "elementwise_product": ("batch_gradient", """
def batch_gradient(w, b, X, y):
    m = X.shape[1]
    error = w @ X + b - y
    return error * X / m, np.sum(error, axis=1, keepdims=True) / m
""", "test_batch_gradient", ["[used * (element-wise) where the matrix product belongs", "(ŷ − y) @ Xᵀ"]),
    "missing_one_over_m": ("batch_gradient", """
def batch_gradient(w, b, X, y):
    error = w @ X + b - y
    return error @ X.T, np.sum(error, axis=1, keepdims=True)
""", "test_batch_gradient", ["[missing 1/m", "MEAN over the m examples"]),
    "transposed_weight_gradient": ("batch_gradient", """
def batch_gradient(w, b, X, y):
    m = X.shape[1]
    error = w @ X + b - y
    return X @ error.T / m, np.sum(error, axis=1, keepdims=True) / m
""", "test_batch_gradient", ["[transposed]", "shape (2, 1) instead of (1, 2)"]),
    "batch_sign_error": ("batch_gradient", """
def batch_gradient(w, b, X, y):
    m = X.shape[1]
    error = y - (w @ X + b)                     # y − ŷ instead of ŷ − y
    return error @ X.T / m, np.sum(error, axis=1, keepdims=True) / m
""", "test_batch_gradient", ["[sign error: ∂L/∂ŷ = ŷ − y, not y − ŷ]"]),
    "single_sign_error": ("single_example_gradient", """
def single_example_gradient(w, b, x, y):
    error = y - (w @ x + b)                     # y − ŷ instead of ŷ − y
    return error * x, error
""", "test_single_example_gradient", ["[sign error: ∂L/∂ŷ = −(y − ŷ) = ŷ − y", "not (y − ŷ) x"]),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    return PlantedMistakes(tmp_path_factory, ASSIGNMENT, MISTAKES)


def test_correct_student_gets_every_point(graded):
    graded.assert_correct_student_gets_every_point({
        "test_predict", "test_loss", "test_single_example_gradient", "test_batch_gradient", "test_train"
    })


@pytest.mark.parametrize("student", sorted(MISTAKES))
def test_each_mistake_loses_only_its_item_and_is_named(graded, student):
    graded.assert_only_item_lost(student)
