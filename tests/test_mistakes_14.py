"""Planted mistakes for assignment 14_relu_neuron, graded by the real nbgrader loop.

One course copy, one submitted student per classic mistake plus one correct student, ONE autograde call.
Each mistake must cost exactly the points of the item it belongs to, leave every other auto-graded item at
full marks, and the error messages in the student's feedback must name the mistake.
"""
import pytest

from harness import PlantedMistakes

ASSIGNMENT = "14_relu_neuron"

RELU_PRIME_WRONG_SIDE = """
def relu(z):
    return np.maximum(0.0, z)


def relu_prime(z):
    return (np.asarray(z) < 0).astype(float)      # the flat side taken as the slope-1 side
"""


def gradient(body):
    return f"""
def loss_gradient(w, b, X, y):
    N = X.shape[0]
    z = X @ w + b
{body}
"""


MISTAKES = {
    # student: (solution cell, wrong source, graded item that must drop to 0, words the feedback must contain)
    "relu_prime_wrong_side": ("relu", RELU_PRIME_WRONG_SIDE, "test_relu",
                              ["[ReLU gradient on the wrong side of the kink", "relu_prime(z)"]),
    "gradient_wrong_side": ("loss_gradient", gradient("""
    e = (z - y) * (z < 0)
    return 2 / N * X.T @ e, 2 / N * np.sum(e)"""), "test_loss_gradient",
                            ["[ReLU gradient on the wrong side of the kink", "(dw; N = 5, n = 2)"]),
    "all_samples": ("loss_gradient", gradient("""
    e = z - y                                      # no mask: every sample counted
    return 2 / N * X.T @ e, 2 / N * np.sum(e)"""), "test_loss_gradient",
                    ["[summed over all samples instead of the active ones", "keep only the samples with z > 0"]),
    "missing_2": ("loss_gradient", gradient("""
    e = (z - y) * (z > 0)
    return X.T @ e / N, np.sum(e) / N"""), "test_loss_gradient", ["[missing the 2", "d(eᵢ²) = 2 eᵢ deᵢ"]),
    "missing_one_over_N": ("loss_gradient", gradient("""
    e = (z - y) * (z > 0)
    return 2 * X.T @ e, 2 * np.sum(e)"""), "test_loss_gradient", ["[missing 1/N", "MEAN over the N samples"]),
    "sign_error": ("loss_gradient", gradient("""
    e = (y - z) * (z > 0)                          # y − ŷ instead of ŷ − y
    return 2 / N * X.T @ e, 2 / N * np.sum(e)"""), "test_loss_gradient",
                   ["[sign error: the error is eᵢ = ŷᵢ − yᵢ", "not yᵢ − ŷᵢ"]),
    "bias_not_summed": ("loss_gradient", gradient("""
    e = (z - y) * (z > 0)
    return 2 / N * X.T @ e, 2 / N * e              # one bias gradient per sample"""), "test_loss_gradient",
                        ["[bias gradient not summed", "(db; N = 5, n = 2)"]),
    "star_in_gradient": ("loss_gradient", gradient("""
    e = (z - y) * (z > 0)
    return 2 / N * e[:, None] * X, 2 / N * np.sum(e)"""), "test_loss_gradient",
                         ["[used * (element-wise) where a dot/matrix product belongs", "shape (N, n)"]),
    "star_in_forward": ("forward", """
def forward(w, b, X):
    return np.maximum(0.0, X * w + b)              # element-wise, no dot products
""", "test_forward", ["used * (element-wise) where a dot/matrix product belongs", "X @ w takes the dot product"]),
    "loss_summed": ("mse_loss", """
def mse_loss(w, b, X, y):
    return float(np.sum((y - np.maximum(0.0, X @ w + b)) ** 2))
""", "test_mse_loss", ["missing 1/N", "SUM of the squared errors"]),
    "folded_sign_error": ("folded", """
def augment(X):
    return np.hstack([X, np.ones((X.shape[0], 1))])


def folded_gradient(w_hat, X_hat, y):
    N = X_hat.shape[0]
    z = X_hat @ w_hat
    return 2 / N * X_hat.T @ ((y - z) * (z > 0))
""", "test_folded", ["[sign error: the error is eᵢ = ŷᵢ − yᵢ", "folded_gradient(w_hat, X_hat, y)"]),
    "ones_column_first": ("folded", """
def augment(X):
    return np.hstack([np.ones((X.shape[0], 1)), X])


def folded_gradient(w_hat, X_hat, y):
    N = X_hat.shape[0]
    z = X_hat @ w_hat
    return 2 / N * X_hat.T @ ((z - y) * (z > 0))
""", "test_folded", ["augment(X) put the column of ones FIRST"]),
    "safe_ignores_input_scale": ("safe_to_check", """
def safe_to_check(w, b, X, h):
    return bool(np.all(np.abs(X @ w + b) > h))     # forgets that a step in w_j moves z_i by h·|x_ij|
""", "test_safe_to_check", ["a step h in w_j moves z_i by h·|x_ij|"]),
    "safe_only_active_side": ("safe_to_check", """
def safe_to_check(w, b, X, h):
    z = X @ w + b                                  # forgets |z|: a sample just below 0 counts as safe
    return bool(np.all((z > h * np.maximum(1.0, np.max(np.abs(X), axis=1))) | (z < 0)))
""", "test_safe_to_check", ["sample 4 has z = −1e-6", "a sample just below 0 is as unsafe"]),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    return PlantedMistakes(tmp_path_factory, ASSIGNMENT, MISTAKES)


def test_correct_student_gets_every_point(graded):
    graded.assert_correct_student_gets_every_point({"test_relu": 2, "test_forward": 1, "test_mse_loss": 1,
                                                    "test_loss_gradient": 3, "test_folded": 2,
                                                    "test_safe_to_check": 2})


@pytest.mark.parametrize("student", sorted(MISTAKES))
def test_each_mistake_loses_only_its_item_and_is_named(graded, student):
    graded.assert_only_item_lost(student)
