"""Planted mistakes for assignments 06_hessian and 07_optimality, graded by the real nbgrader loop.

For each assignment: one course copy, one submitted student per classic mistake plus one correct student,
ONE autograde call. Each mistake must cost exactly the points of the item it belongs to, leave every other
auto-graded item at full marks, and the error messages in the student's feedback must name the mistake.
(The feedback also shows the visible test code, which contains some message texts, so the words are
looked for in the raised errors only.)
"""

import pytest

from harness import PlantedMistakes

HESSIAN = "06_hessian"
OPTIMALITY = "07_optimality"

# ---------------------------------------------------------------- 06_hessian
MISTAKES_06 = {
    # student: (solution cell, wrong source, graded item that must drop to 0, words the feedback must contain)
    "asymmetric_hessian": ("hessian_f", """
def hessian_f(v):
    x, y = v
    return np.array([[4 + 2 * y, 2 * x - 1],
                     [-1.0, 6.0]])          # the 2x of x²y added to one cross term only
""", "test_hessian_f", ["[hessian not symmetric]", "H(0, 1) = 0.4 but H(1, 0) = -1"]),
    "cross_term_doubled": ("hessian_f", """
def hessian_f(v):
    x, y = v
    return np.array([[4 + 2 * y, 2 * x - 2],
                     [2 * x - 2, 6.0]])     # d²(−xy)/dxdy taken as −2
""", "test_hessian_f", ["[cross term doubled (−2 instead of −1)"]),
    "two_a": ("hessian_quadratic_form", """
def hessian_quadratic_form(A):
    return 2 * A                            # the rule for symmetric A
""", "test_hessian_quadratic_form", ["[Hessian of xᵀAx taken as 2A (only right for symmetric A)]"]),
    "logsumexp_without_denominator_term": ("hessian_logsumexp", """
def hessian_logsumexp(x):
    return np.diag(softmax(x))
""", "test_hessian_logsumexp", ["[returned diag(p) only", "−p pᵀ term"]),
    "logsumexp_overflow": ("hessian_logsumexp", """
def hessian_logsumexp(x):
    p = np.exp(x) / np.sum(np.exp(x))       # no max subtracted: overflows for large x
    return np.diag(p) - np.outer(p, p)
""", "test_hessian_logsumexp", ["hessian_logsumexp(x + 1000) is not finite", "subtract"]),
    "saddle_by_diagonal": ("classify_stationary_point", """
def classify_stationary_point(H, tol=1e-8):
    d = np.diag(H)                          # looks at the curvature along the axes only
    if np.all(d > tol):
        return "minimum"
    if np.all(d < -tol):
        return "maximum"
    if np.any(np.abs(d) <= tol):
        return "inconclusive"
    return "saddle"
""", "test_classify_stationary_point",
        ["eigenvalues of both signs (4 and −2)", "a saddle, not a minimum", "diagonal only gives the curvature"]),
    "saddle_by_determinant": ("classify_stationary_point", """
def classify_stationary_point(H, tol=1e-8):
    det = np.linalg.det(H)                  # the 2-D rule, used in any dimension
    if abs(det) <= tol:
        return "inconclusive"
    if det < 0:
        return "saddle"
    return "minimum" if H[0, 0] > 0 else "maximum"
""", "test_classify_stationary_point",
        ["determinant rule only works for 2×2 Hessians", "a saddle, not a minimum"]),
}

# ---------------------------------------------------------------- 07_optimality
MISTAKES_07 = {
    "gradient_for_symmetric_a_only": ("grad_quadratic", """
def grad_quadratic(x, A, b):
    return A @ x - b                        # right only for symmetric A
""", "test_grad_quadratic", ["[used A x − b, which is right only for symmetric A"]),
    "inverts_the_matrix": ("stationary_point_quadratic", """
def stationary_point_quadratic(A, b):
    return np.linalg.inv(A) @ b
""", "test_stationary_point_quadratic", ["called np.linalg.inv", "np.linalg.solve(A, b)"]),
    "stationary_sign_error": ("stationary_point_quadratic", """
def stationary_point_quadratic(A, b):
    return np.linalg.solve(A, -b)           # set A x + b = 0
""", "test_stationary_point_quadratic", ["A x = −b", "sign error"]),
    "quartic_cross_term_doubled": ("hessian_g", """
def hessian_g(v):
    x, y = v
    return np.array([[12 * x**2, -8.0], [-8.0, 12 * y**2]])
""", "test_hessian_g", ["[cross term doubled (−8 instead of −4)"]),
    "hessian_without_stationarity": ("optimality_conditions", """
def optimality_conditions(grad, H, tol=1e-8):
    lam = np.linalg.eigvalsh(H)             # forgets that the second-order conditions need ∇f = 0
    return {"first_order": bool(np.all(np.abs(grad) <= tol)),
            "second_order_necessary": bool(np.all(lam >= -tol)),
            "second_order_sufficient": bool(np.all(lam > tol))}
""", "test_optimality_conditions",
        ["a positive definite Hessian alone does not make a minimum", "'second_order_necessary' is False"]),
    "labels_by_trace": ("stationary_points_and_labels", """
def stationary_points_and_labels(a, c):
    out = []
    for x in (np.sqrt(a), -np.sqrt(a)):
        H = np.diag([6 * x, 2 * c])
        out.append((np.array([x, 0.0]), "minimum" if np.trace(H) > 0 else "maximum"))
    return out
""", "test_stationary_points_and_labels", ["eigenvalues of both signs", "a saddle, not a maximum"]),
    "forgot_negative_root": ("stationary_points_and_labels", """
def stationary_points_and_labels(a, c):
    x = np.sqrt(a)
    return [(np.array([x, 0.0]), "minimum" if c > 0 else "saddle")]
""", "test_stationary_points_and_labels", ["did not return (-1, 0)", "a square root has two signs"]),
}


@pytest.fixture(scope="module")
def hessian_class(tmp_path_factory):
    return PlantedMistakes(tmp_path_factory, HESSIAN, MISTAKES_06)


@pytest.fixture(scope="module")
def optimality_class(tmp_path_factory):
    return PlantedMistakes(tmp_path_factory, OPTIMALITY, MISTAKES_07)


def test_hessian_correct_student_gets_every_point(hessian_class):
    hessian_class.assert_correct_student_gets_every_point({
        "test_hessian_f", "test_hessian_quadratic_form", "test_hessian_logsumexp", "test_classify_stationary_point"
    })


@pytest.mark.parametrize("student", sorted(MISTAKES_06))
def test_hessian_mistake_costs_its_item_and_is_named(hessian_class, student):
    hessian_class.assert_only_item_lost(student)


def test_optimality_correct_student_gets_every_point(optimality_class):
    optimality_class.assert_correct_student_gets_every_point({
        "test_grad_quadratic", "test_stationary_point_quadratic", "test_hessian_g",
        "test_optimality_conditions", "test_stationary_points_and_labels"
    })


@pytest.mark.parametrize("student", sorted(MISTAKES_07))
def test_optimality_mistake_costs_its_item_and_is_named(optimality_class, student):
    optimality_class.assert_only_item_lost(student)
