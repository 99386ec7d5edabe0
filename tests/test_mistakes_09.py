"""Planted mistakes for assignment 09_newton, graded by the real nbgrader loop.

One course copy, one submitted student per classic mistake plus one correct student, ONE autograde call.
Each mistake must cost exactly the points of the item it belongs to, leave every other auto-graded item at
full marks, and the errors raised in the student's feedback must name the mistake.
"""

import pytest

from harness import PlantedMistakes

NEWTON = "09_newton"

MISTAKES_09 = {
    # student: (solution cell, wrong source, graded item that must drop to 0, words the feedback must contain)
    "divides_by_f": ("newton_root_1d", """
def newton_root_1d(f, df, x0, tol=1e-12, max_iter=50):
    xs = [float(x0)]
    while abs(f(xs[-1])) > tol and len(xs) <= max_iter:
        x = xs[-1]
        xs.append(x - df(x) / f(x))         # value and slope swapped
    return np.array(xs)
""", "test_newton_root_1d", ["[divided by f(x) instead of f′(x)"]),
    "root_keeps_iterating": ("newton_root_1d", """
def newton_root_1d(f, df, x0, tol=1e-12, max_iter=50):
    xs = [float(x0)]
    for _ in range(max_iter):               # ignores tol: always max_iter steps
        x = xs[-1]
        xs.append(x - f(x) / df(x))
    return np.array(xs)
""", "test_newton_root_1d", ["yet the iteration went on"]),
    "gradient_with_typo_2y3": ("grad_f", """
def grad_f(v):
    x, y = v
    return np.array([4 * x**3 + 8 * x - y - 0.4 * x * y, 3.2 * y**3 + 6 * y**2 - x - 0.2 * x**2])
""", "test_grad_f", ["[used the source post's typo 2y³"]),
    "hessian_cross_term_minus_one": ("hessian_f", """
def hessian_f(v):
    x, y = v
    return np.array([[12 * x**2 + 8 - 0.4 * y, -1.0],
                     [-1.0, 9.6 * y**2 + 4]])   # lost the −0.4x of −0.2x²y
""", "test_hessian_f", ["[cross term −1 only", "−1 − 0.4x"]),
    "newton_step_sign": ("newton_step", """
def newton_step(grad, hess, x):
    return x + np.linalg.solve(hess(x), grad(x))
""", "test_newton_step", ["[sign of the Newton step flipped (x + H⁻¹∇f)"]),
    "newton_step_inverts": ("newton_step", """
def newton_step(grad, hess, x):
    return x - np.linalg.inv(hess(x)) @ grad(x)
""", "test_newton_step", ["calls np.linalg.inv", "Solve, don't invert"]),
    "newton_step_inverts_in_a_helper": ("newton_step", """
from numpy.linalg import inv as invert

def apply_inverse(H, g):
    return invert(H) @ g

def newton_step(grad, hess, x):
    return x - apply_inverse(hess(x), grad(x))
""", "test_newton_step", ["calls np.linalg.inv", "Solve, don't invert"]),
    "system_wrong_side": ("newton_system", """
def newton_system(F, J, x0, tol=1e-12, max_iter=50):
    path = [np.array(x0, dtype=float)]
    while np.linalg.norm(F(path[-1])) > tol and len(path) <= max_iter:
        x = path[-1]
        path.append(x - np.linalg.solve(J(x).T, F(x)))   # F J⁻¹ as a row: the wrong side
    return np.array(path)
""", "test_newton_system", ["[inverse applied on the wrong side", "solve(J.T, F)"]),
    "system_inverts": ("newton_system", """
def newton_system(F, J, x0, tol=1e-12, max_iter=50):
    path = [np.array(x0, dtype=float)]
    while np.linalg.norm(F(path[-1])) > tol and len(path) <= max_iter:
        x = path[-1]
        path.append(x - np.linalg.inv(J(x)) @ F(x))
    return np.array(path)
""", "test_newton_system", ["calls np.linalg.inv"]),
}


@pytest.fixture(scope="module")
def newton_class(tmp_path_factory):
    return PlantedMistakes(tmp_path_factory, NEWTON, MISTAKES_09)


def test_newton_correct_student_gets_every_point(newton_class):
    newton_class.assert_correct_student_gets_every_point({
        "test_newton_root_1d", "test_grad_f", "test_hessian_f", "test_newton_step", "test_newton_system"
    })


@pytest.mark.parametrize("student", sorted(MISTAKES_09))
def test_newton_mistake_costs_its_item_and_is_named(newton_class, student):
    newton_class.assert_only_item_lost(student)
