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
""", "test_dp", ["[sign error: the derivative of −5x² is −10x]"]),
    "missing_chain_rule_factor": ("dg", """
def dg(x):
    return np.cos(3 * x) - 2 * x * np.exp(-x**2)    # d/dx sin(3x) taken as cos(3x)
""", "test_dg", ["[missing chain-rule factor 3 in d/dx sin(3x)]"]),
    "chain_rule_sign_error": ("dg", """
def dg(x):
    return 3 * np.cos(3 * x) + 2 * x * np.exp(-x**2)
""", "test_dg", ["[sign error in d/dx exp(−x²)"]),
    "forward_difference": ("central_difference", """
def central_difference(f, x, h):
    if h <= 0:
        raise ValueError("h must be positive")
    return (f(x + h) - f(x)) / h             # forward, error O(h)
""", "test_central_difference", ["[forward difference used where central is asked]", "O(h)"]),
    "central_over_h": ("central_difference", """
def central_difference(f, x, h):
    if h <= 0:
        raise ValueError("h must be positive")
    return (f(x + h) - f(x - h)) / h
""", "test_central_difference", ["[divided by h instead of 2h]"]),
    "central_ignores_h": ("central_difference", """
def central_difference(f, x, h):
    if h <= 0:
        raise ValueError("h must be positive")
    step = 1e-6 * max(1.0, abs(x))           # its own step
    return (f(x + step) - f(x - step)) / (2 * step)
""", "test_central_difference", ["[ignored the step h]"]),
    "central_accepts_zero_step": ("central_difference", """
def central_difference(f, x, h):
    if h < 0:                                # h == 0 slips through
        raise ValueError("h must be positive")
    return (f(x + h) - f(x - h)) / (2 * h)
""", "test_central_difference", ["must raise ValueError", "h=0.0"]),
    "central_no_check": ("central_difference", """
def central_difference(f, x, h):
    return (f(x + h) - f(x - h)) / (2 * h)
""", "test_central_difference", ["must raise ValueError"]),
    "ascent_instead_of_descent": ("descend_until_flat", """
def descend_until_flat(df, x0, lr, tol, max_steps):
    xs = [float(x0)]
    while abs(df(xs[-1])) > tol and len(xs) <= max_steps:
        xs.append(xs[-1] + lr * df(xs[-1]))  # climbs
    return np.array(xs)
""", "test_descend_until_flat", ["[ascent direction: stepped with the derivative]"]),
    "strict_tolerance": ("descend_until_flat", """
def descend_until_flat(df, x0, lr, tol, max_steps):
    xs = [float(x0)]
    while abs(df(xs[-1])) >= tol and len(xs) <= max_steps:   # equality should stop
        xs.append(xs[-1] - lr * df(xs[-1]))
    return np.array(xs)
""", "test_descend_until_flat", ["[kept going past the stopping rule]", "equality counts"]),
    "relative_tolerance": ("descend_until_flat", """
def descend_until_flat(df, x0, lr, tol, max_steps):
    xs = [float(x0)]
    while abs(df(xs[-1])) > tol * max(1.0, abs(xs[-1])) and len(xs) <= max_steps:
        xs.append(xs[-1] - lr * df(xs[-1]))
    return np.array(xs)
""", "test_descend_until_flat", ["[stopped too early]"]),
    "always_one_step": ("descend_until_flat", """
def descend_until_flat(df, x0, lr, tol, max_steps):
    xs = [float(x0)]
    for _ in range(max(1, max_steps)):
        xs.append(xs[-1] - lr * df(xs[-1]))
        if abs(df(xs[-1])) <= tol:
            break
    return np.array(xs)
""", "test_descend_until_flat", ["[kept going past the stopping rule]"]),
    "start_point_missing": ("descend_until_flat", """
def descend_until_flat(df, x0, lr, tol, max_steps):
    xs, x = [], x0
    for _ in range(max_steps):
        if abs(df(x)) <= tol:
            break
        x = x - lr * df(x)
        xs.append(x)
    return np.array(xs)
""", "test_descend_until_flat", ["The first point must be x0"]),
}

DIFFERENT_BUT_RIGHT_01 = {
    "dp_horner_with_print": ("dp", """
def dp(x):
    value = (6 * x - 10) * x + 1             # Horner form
    print("dp", x, value)
    return value
""", None, []),
    "dg_product_form": ("dg", """
import math

def dg(x):
    return 3 * math.cos(3 * x) - 2 * x / math.exp(x * x)
""", None, []),
    "central_loop_over_signs": ("central_difference", """
def central_difference(f, x, h):
    if not h > 0:
        raise ValueError(f"step {h} is not positive")
    total = 0.0
    for sign in (+1, -1):
        total += sign * f(x + sign * h)
    return total / (h + h)
""", None, []),
    "descent_preallocated": ("descend_until_flat", """
def descend_until_flat(df, x0, lr, tol, max_steps):
    out = np.empty(max_steps + 1)
    out[0] = x0
    k = 0
    while k < max_steps and not abs(df(out[k])) <= tol:
        out[k + 1] = out[k] - lr * df(out[k])
        k += 1
    return out[:k + 1]

trial = descend_until_flat(lambda x: 4 * x, 2.0, 0.1, 1e-3, 50)   # scratch work
""", None, []),
}

ITEMS_01 = {"test_dp": 2, "test_dg": 2, "test_central_difference": 3, "test_descend_until_flat": 2}


@pytest.fixture(scope="module")
def derivative_class(tmp_path_factory):
    return PlantedMistakes(tmp_path_factory, DERIVATIVE, {**MISTAKES_01, **DIFFERENT_BUT_RIGHT_01})


def test_derivative_correct_student_gets_every_point(derivative_class):
    derivative_class.assert_correct_student_gets_every_point(ITEMS_01)


@pytest.mark.parametrize("student", sorted(MISTAKES_01))
def test_derivative_mistake_costs_its_item_and_is_named(derivative_class, student):
    derivative_class.assert_only_item_lost(student)


@pytest.mark.parametrize("student", sorted(DIFFERENT_BUT_RIGHT_01))
def test_derivative_right_but_different_gets_every_point(derivative_class, student):
    assert derivative_class.scores[student] == {**derivative_class.scores["correct"], **ITEMS_01}
    assert derivative_class.course.feedback_errors(DERIVATIVE, student) == ""
