"""Planted mistakes for assignment 01_derivative (02_gradient: test_mistakes_02.py), graded by the real nbgrader loop.

For each assignment: one course copy, one submitted student per classic mistake plus one correct student,
ONE autograde call. Each mistake must cost exactly the points of the item it belongs to, leave every other
auto-graded item at full marks, and the error messages in the student's feedback must name the mistake.
(The feedback also shows the visible test code, which contains some message texts, so the words are
looked for in the raised errors only.)
"""

import pytest

from harness import PlantedMistakes

DERIVATIVE = "01_derivative"

# ---------------------------------------------------------------- 01_derivative
MISTAKES_01 = {
    # student: (solution cell, wrong source, graded item that must drop to 0, words the feedback must contain)
    "sign_error": ("dp", """
def dp(x):
    return 6 * x**2 + 10 * x + 1            # d/dx(−5x²) taken as +10x
""", "test_dp", ["[sign error: the derivative of −5x² is −10x, not +10x]"]),
    "missing_chain_rule_factor": ("dg", """
def dg(x):
    return np.cos(3 * x) - 2 * x * np.exp(-x**2)    # d/dx sin(3x) taken as cos(3x)
""", "test_dg", ["[missing chain-rule factor: d/dx sin(3x) = 3 cos(3x), not cos(3x)]"]),
    "chain_rule_sign_error": ("dg", """
def dg(x):
    return 3 * np.cos(3 * x) + 2 * x * np.exp(-x**2)
""", "test_dg", ["[sign error: d/dx exp(−x²) = −2x exp(−x²)"]),
    "forward_difference": ("central_difference", """
def central_difference(f, x, h):
    return (f(x + h) - f(x)) / h             # forward, error O(h)
""", "test_central_difference", ["[forward difference used where central is asked]", "error is O(h)",
                                 "returned 12.61"]),
    "central_over_h": ("central_difference", """
def central_difference(f, x, h):
    return (f(x + h) - f(x - h)) / h
""", "test_central_difference", ["[divided by h instead of 2h]"]),
    "ascent_instead_of_descent": ("gradient_descent_1d", """
def gradient_descent_1d(df, x0, lr, n_steps):
    xs = [x0]
    for _ in range(n_steps):
        xs.append(xs[-1] + lr * df(xs[-1]))  # climbs
    return np.array(xs)
""", "test_gradient_descent_1d", ["[ascent direction: stepped with the derivative]", "x − lr·f'(x)"]),
    "start_point_missing": ("gradient_descent_1d", """
def gradient_descent_1d(df, x0, lr, n_steps):
    xs, x = [], x0
    for _ in range(n_steps):
        x = x - lr * df(x)
        xs.append(x)
    return np.array(xs)
""", "test_gradient_descent_1d", ["n_steps + 1 = 6 points", "the start x0 included"]),
}

@pytest.fixture(scope="module")
def derivative_class(tmp_path_factory):
    return PlantedMistakes(tmp_path_factory, DERIVATIVE, MISTAKES_01)


def test_derivative_correct_student_gets_every_point(derivative_class):
    derivative_class.assert_correct_student_gets_every_point(
        {"test_dp": 2, "test_dg": 2, "test_central_difference": 3, "test_gradient_descent_1d": 2})


@pytest.mark.parametrize("student", sorted(MISTAKES_01))
def test_derivative_mistake_costs_its_item_and_is_named(derivative_class, student):
    derivative_class.assert_only_item_lost(student)
