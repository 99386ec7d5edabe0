"""Planted mistakes for assignment 02_gradient, graded by the real nbgrader loop.

One course copy, one submitted student per classic mistake plus correct students written differently, ONE autograde
call. Each mistake costs exactly its item, leaves every other auto-graded item at full marks, and the feedback's
error messages name it.
"""
import pytest

from planted_class import PlantedClass

ASSIGNMENT = "02_gradient"
ITEMS = {"test_grad_f": 2, "test_grad_h": 2, "test_directional_derivative": 2, "test_steepest_descent_direction": 2}

MISTAKES = {
    # student: (solution cell, wrong source, graded item that must drop to 0, words the feedback must contain)
    "gradient_as_list": ("grad_f", """
def grad_f(v):
    x, y = v
    return [2 * x + 3 * y, 3 * x - 3 * y**2]   # a Python list, not an array
""", "test_grad_f", ["[wrong shape: returned a list]", "the gradient of a scalar has the shape of its input"]),
    "partial_sign_error": ("grad_f", """
def grad_f(v):
    x, y = v
    return np.array([2 * x + 3 * y, 3 * x + 3 * y**2])
""", "test_grad_f", ["[sign error in ∂(−y³)/∂y]"]),
    "partial_other_variable_not_fixed": ("grad_f", """
def grad_f(v):
    x, y = v
    return np.array([2 * x + 3 * y, 3 * y - 3 * y**2])
""", "test_grad_f", ["[∂(3xy)/∂y taken as 3y"]),
    "gradient_in_place": ("grad_f", """
def grad_f(v):
    v[0], v[1] = 2 * v[0] + 3 * v[1], 3 * v[0] - 3 * v[1]**2   # overwrites the caller's point
    return v
""", "test_grad_f", ["[modifies its input]", "must not modify their arguments"]),
    "gradient_as_row": ("grad_h", """
def grad_h(x):
    return (2 * x / (1 + np.sum(x**2))).reshape(1, -1)   # a (1, n) row
""", "test_grad_h", ["[wrong shape]", "shape (1, 3)", "the gradient of a scalar has the shape of its input, (3,)"]),
    "missing_chain_rule_factor": ("grad_h", """
def grad_h(x):
    return 2 * x
""", "test_grad_h", ["[missing the chain-rule factor of the outer log]"]),
    "norm_of_first_axis_only": ("grad_h", """
def grad_h(x):
    return 2 * x / (1 + np.sum(x**2, axis=0))      # right for vectors, wrong for matrices
""", "test_grad_h", ["grad_h(x)"]),
    "unnormalised_directional": ("directional_derivative", """
def directional_derivative(g, u):
    return float(np.sum(g * u))               # forgot to divide by ‖u‖
""", "test_directional_derivative", ["[unnormalised direction", "‖u‖ = 5"]),
    "directional_as_array": ("directional_derivative", """
def directional_derivative(g, u):
    return g * u / np.linalg.norm(u)
""", "test_directional_derivative", ["[returned an array]"]),
    "directional_vector_norm_only": ("directional_derivative", """
def directional_derivative(g, u):
    return float(np.sum(g * u) / np.linalg.norm(u, axis=0).sum())   # a column-norm sum: wrong for matrices
""", "test_directional_derivative", ["directional_derivative(g="]),
    "ascent_direction": ("steepest_descent_direction", """
def steepest_descent_direction(g):
    norm = np.linalg.norm(g)
    return g / norm if norm > 0 else np.zeros_like(g)
""", "test_steepest_descent_direction", ["[ascent direction"]),
    "unnormalised_descent_direction": ("steepest_descent_direction", """
def steepest_descent_direction(g):
    return -g
""", "test_steepest_descent_direction", ["[unnormalised", "length 1"]),
    "descent_direction_nan_at_zero": ("steepest_descent_direction", """
def steepest_descent_direction(g):
    return -g / np.linalg.norm(g)
""", "test_steepest_descent_direction", ["steepest_descent_direction(g=[0. 0.])"]),
    "descent_normalised_in_place": ("steepest_descent_direction", """
def steepest_descent_direction(g):
    n = np.sqrt(np.sum(g * g))
    if n == 0:
        return np.zeros_like(g, dtype=float)
    g /= -n                                    # divides the caller's gradient
    return g
""", "test_steepest_descent_direction", ["[modifies its input]"]),
}

CORRECT_DIFFERENTLY = {
    "loops_and_lists_wrapped": {
        "grad_f": """
def grad_f(v):
    x, y = float(v[0]), float(v[1])
    parts = []
    parts.append(2 * x + 3 * y)
    parts.append(3 * x - 3 * y * y)
    return np.array(parts)
""",
        "grad_h": """
def grad_h(x):
    total = 0.0
    for value in x.flat:
        total += value * value
    out = np.empty_like(x, dtype=float)
    for index in np.ndindex(x.shape):
        out[index] = 2 * x[index] / (1 + total)
    return out
""",
        "directional_derivative": """
def directional_derivative(g, u):
    unit = u / np.linalg.norm(u.ravel())
    print("debug: unit direction", unit)
    return np.vdot(g, unit)
""",
        "steepest_descent_direction": """
def steepest_descent_direction(g):
    length = np.linalg.norm(g.ravel())
    if not length:
        return np.zeros(g.shape)
    return np.negative(g) / length
""",
    },
}


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    return PlantedClass(tmp_path_factory, ASSIGNMENT, MISTAKES, CORRECT_DIFFERENTLY)


def test_correct_student_gets_every_point(graded_class):
    graded_class.assert_correct_student_gets_every_point(ITEMS)


@pytest.mark.parametrize("student", sorted(MISTAKES))
def test_mistake_costs_its_item_and_is_named(graded_class, student):
    graded_class.assert_only_item_lost(student)


@pytest.mark.parametrize("student", sorted(CORRECT_DIFFERENTLY))
def test_correct_student_written_differently_gets_every_point(graded_class, student):
    graded_class.assert_different_student_gets_every_point(student)
