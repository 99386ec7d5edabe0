"""Planted mistakes for assignment 04_chain_rule, graded by the real nbgrader loop.

One course copy, one submitted student per classic mistake plus one correct student, ONE autograde call.
Each mistake must cost exactly the points of the item it belongs to, leave every other auto-graded item at
full marks, and the error messages in the student's feedback must name the mistake. (The feedback also shows
the visible test code, which contains the message texts, so the words are looked for in the raised errors only.)
"""

import pytest

from harness import PlantedMistakes

CHAIN = "04_chain_rule"

MISTAKES_04 = {
    # student: (solution cell, wrong source, graded item that must drop to 0, words the feedback must contain)
    "missing_chain_factor_3x2": ("dy_dx", """
def dy_dx(x):
    return 2 * np.cos(x**3) / np.sin(x**3)        # d sin(x³)/dx taken as cos(x³)
""", "test_dy_dx", ["[missing chain-rule factor 3x²", "cos(x³)·3x²"]),
    "missing_chain_factor_3": ("dy_dx_vector", """
def dy_dx_vector(x):
    return np.array([2 / x, np.cos(3 * x)])      # d sin(3x)/dx taken as cos(3x)
""", "test_dy_dx_vector", ["[missing chain-rule factor 3: d sin(3x)/dx = 3 cos(3x)]"]),
    "sign_error": ("total_derivative", """
def total_derivative(x, a):
    y1, y2 = x @ x, np.cos(a @ x)
    return y2 * (2 * x) + y1 * (np.sin(a @ x) * a)  # d cos = +sin
""", "test_total_derivative", ["[sign error: d cos(u)/du = −sin(u)"]),
    "jacobians_in_wrong_order": ("jacobian_h", """
def jacobian_h(x, W, c):
    u = W @ x + c
    return W @ np.diag(np.cos(u))                 # ∂g/∂x · ∂f/∂g
""", "test_jacobian_h", ["[Jacobian product in the wrong order (∂g/∂x · ∂f/∂g)", "outer function's Jacobian comes first"]),
    "relu_wrong_side_of_kink": ("neuron_gradients", """
def neuron_gradients(w, b, x):
    active = float(w @ x + b < 0)                # the gate on the wrong side
    return active * x, active
""", "test_neuron_gradients", ["[ReLU gradient on the wrong side of the kink", "0 where w·x + b < 0"]),
    "missing_bias_path": ("neuron_gradients", """
def neuron_gradients(w, b, x):
    active = float(w @ x + b > 0)
    return active * x, 0.0                       # the bias "has no input", so no gradient
""", "test_neuron_gradients", ["[missing the bias path", "∂z/∂b = 1"]),
    "kink_test_without_bias": ("neuron_gradients", """
def neuron_gradients(w, b, x):
    active = float(w @ x > 0)                    # forgot b in the activity test
    return active * x, active
""", "test_neuron_gradients", ["[kink test without the bias", "w·x + b > 0"]),
}

# Answers that pass the visible tests but not the hidden ones (fresh random points, fresh sizes).
HARD_CODED_04 = {
    "hard_coded_visible_points": ("dy_dx", """
def dy_dx(x):
    table = {0.9: 6 * 0.81 / np.tan(0.729), -1.1: 6 * 1.21 / np.tan(-1.331), 1.3: 6 * 1.69 / np.tan(2.197)}
    return table[round(x, 6)]                    # the visible points only
""", "test_dy_dx", ["KeyError"]),
    "hard_coded_size_three": ("total_derivative", """
def total_derivative(x, a):
    return np.array([2 * x[i] * np.cos(a @ x) - (x @ x) * np.sin(a @ x) * a[i] for i in range(3)])
""", "test_total_derivative", ["IndexError"]),
}
MISTAKES_04.update(HARD_CODED_04)


@pytest.fixture(scope="module")
def chain_class(tmp_path_factory):
    return PlantedMistakes(tmp_path_factory, CHAIN, MISTAKES_04)


def test_chain_rule_correct_student_gets_every_point(chain_class):
    chain_class.assert_correct_student_gets_every_point({
        "test_dy_dx", "test_dy_dx_vector", "test_total_derivative", "test_jacobian_h", "test_neuron_gradients"
    })


@pytest.mark.parametrize("student", sorted(MISTAKES_04))
def test_chain_rule_mistake_costs_its_item_and_is_named(chain_class, student):
    chain_class.assert_only_item_lost(student)
