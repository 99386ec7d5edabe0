"""Planted mistakes for assignments 06_hessian and 07_optimality, graded by the real nbgrader loop.

For each assignment: one course copy, one submitted student per classic mistake plus one correct student,
ONE autograde call. Each mistake must cost exactly the points of the item it belongs to, leave every other
auto-graded item at full marks, and the error messages in the student's feedback must name the mistake.
(The feedback also shows the visible test code, which contains some message texts, so the words are
looked for in the raised errors only.)
"""

import pytest

from planted_class import PlantedClass

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
""", "test_hessian_f", ["[cross term of −xy doubled]"]),
    "two_a": ("hessian_quadratic_form", """
def hessian_quadratic_form(A):
    return 2 * A                            # the rule for symmetric A
""", "test_hessian_quadratic_form", ["[Hessian of xᵀAx taken as 2A (that assumes a symmetric A)]"]),
    "logsumexp_without_denominator_term": ("hessian_logsumexp", """
def hessian_logsumexp(x):
    return np.diag(softmax(x))
""", "test_hessian_logsumexp", ["[returned diag(p) only"]),
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
    "classify_tol_strict": ("classify_stationary_point", """
def classify_stationary_point(H, tol=1e-8):
    lam = np.linalg.eigvalsh(H)
    pos, neg = lam >= tol, lam <= -tol          # an eigenvalue equal to tol counted as nonzero
    if pos.any() and neg.any():
        return "saddle"
    if pos.all():
        return "minimum"
    if neg.all():
        return "maximum"
    return "inconclusive"
""", "test_classify_stationary_point", ["equal to tol", "'inconclusive', not a minimum"]),
    "quadratic_form_in_place": ("hessian_quadratic_form", """
def hessian_quadratic_form(A):
    A += A.T                                    # changes the caller's matrix
    return A
""", "test_hessian_quadratic_form", ["[modifies its input]"]),
    "hessian_wrong_polynomial": ("hessian_f", """
def hessian_f(v):
    x, y = v
    return np.array([[4 + 2 * y, 2 * x - 1], [2 * x - 1, 6.0 * y]])
""", "test_hessian_f", ["entry (1, 1)"]),
}

# ---------------------------------------------------------------- 07_optimality
MISTAKES_07 = {
    "gradient_for_symmetric_a_only": ("grad_quadratic", """
def grad_quadratic(x, A, b):
    return A @ x - b                        # right only for symmetric A
""", "test_grad_quadratic", ["[used A x − b (that assumes a symmetric A)]"]),
    "inverts_the_matrix": ("stationary_point_quadratic", """
def stationary_point_quadratic(A, b):
    return np.linalg.inv(A) @ b
""", "test_stationary_point_quadratic", ["[inverted instead of solved?]"]),
    "stationary_sign_error": ("stationary_point_quadratic", """
def stationary_point_quadratic(A, b):
    return np.linalg.solve(A, -b)           # set A x + b = 0
""", "test_stationary_point_quadratic", ["it is not the stationary point"]),
    "quartic_cross_term_doubled": ("hessian_g", """
def hessian_g(v):
    x, y = v
    return np.array([[12 * x**2, -8.0], [-8.0, 12 * y**2]])
""", "test_hessian_g", ["[cross term of −4xy doubled]"]),
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
""", "test_stationary_points_and_labels", ["a saddle, not a maximum"]),
    "forgot_negative_root": ("stationary_points_and_labels", """
def stationary_points_and_labels(a, c):
    x = np.sqrt(a)
    return [(np.array([x, 0.0]), "minimum" if c > 0 else "saddle")]
""", "test_stationary_points_and_labels", ["[missed a stationary point]", "did not return (-1, 0)"]),
    "first_order_by_norm": ("optimality_conditions", """
def optimality_conditions(grad, H, tol=1e-8):
    stationary = bool(np.linalg.norm(grad) <= tol)     # the norm, not every entry
    lam = np.linalg.eigvalsh(H)
    return {"first_order": stationary, "second_order_necessary": stationary and bool(np.all(lam >= -tol)),
            "second_order_sufficient": stationary and bool(np.all(lam > tol))}
""", "test_optimality_conditions", ["entry by entry"]),
    "sufficient_with_ge": ("optimality_conditions", """
def optimality_conditions(grad, H, tol=1e-8):
    stationary = bool(np.all(np.abs(grad) <= tol))
    lam = np.linalg.eigvalsh(H)
    return {"first_order": stationary, "second_order_necessary": stationary and bool(np.all(lam >= -tol)),
            "second_order_sufficient": stationary and bool(np.all(lam >= tol))}
""", "test_optimality_conditions", ["exactly tol is not > tol"]),
}

DIFFERENT_06 = {
    "loops_and_other_forms": {
        "hessian_f": "def hessian_f(v):\n    x, y = (float(t) for t in v)\n    c = 2 * x - 1\n    return np.array([[2 * (2 + y), c], [c, 6]], dtype=float)\n",
        "hessian_quadratic_form": "def hessian_quadratic_form(A):\n    return np.add(A, np.transpose(A))\n",
        "hessian_logsumexp": """
def hessian_logsumexp(x):
    z = x - x.max()
    p = np.exp(z) / np.exp(z).sum()
    n = len(x)
    H = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            H[i, j] = p[i] * ((i == j) - p[j])
    return H
""",
        "classify_stationary_point": """
def classify_stationary_point(H, tol=1e-8):
    lam = np.linalg.eigvals(H).real
    if lam.max() > tol and lam.min() < -tol:
        return "saddle"
    if lam.min() > tol:
        return "minimum"
    if lam.max() < -tol:
        return "maximum"
    return "inconclusive"
""",
    },
}

DIFFERENT_07 = {
    "other_forms": {
        "grad_quadratic": "def grad_quadratic(x, A, b):\n    return (A @ x + A.T @ x) / 2 - b\n",
        "stationary_point_quadratic": "def stationary_point_quadratic(A, b):\n    return np.linalg.lstsq(A, b, rcond=None)[0]\n",
        "hessian_g": "def hessian_g(v):\n    x, y = v\n    H = np.full((2, 2), -4.0)\n    H[0, 0], H[1, 1] = 12 * x * x, 12 * y * y\n    return H\n",
        "optimality_conditions": """
def optimality_conditions(grad, H, tol=1e-8):
    first = max(abs(float(g)) for g in grad) <= tol
    smallest = min(np.linalg.eigvalsh(H))
    print("debug: smallest eigenvalue", smallest)
    return dict(first_order=first, second_order_necessary=first and smallest >= -tol,
                second_order_sufficient=first and smallest > tol)
""",
        "stationary_points_and_labels": """
def stationary_points_and_labels(a, c):
    pairs = []
    for sign in (-1, 1):
        x = sign * a ** 0.5
        lam = np.linalg.eigvalsh(np.array([[6 * x, 0], [0, 2 * c]]))
        label = "saddle" if lam[0] < 0 < lam[1] else ("minimum" if lam[0] > 0 else "maximum")
        pairs.append((np.array([x, 0]), label))
    return pairs
""",
    },
}


@pytest.fixture(scope="module")
def hessian_class(tmp_path_factory):
    return PlantedClass(tmp_path_factory, HESSIAN, MISTAKES_06, DIFFERENT_06)


@pytest.fixture(scope="module")
def optimality_class(tmp_path_factory):
    return PlantedClass(tmp_path_factory, OPTIMALITY, MISTAKES_07, DIFFERENT_07)


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


@pytest.mark.parametrize("student", sorted(DIFFERENT_06))
def test_hessian_correct_student_written_differently_gets_every_point(hessian_class, student):
    hessian_class.assert_different_student_gets_every_point(student)


@pytest.mark.parametrize("student", sorted(DIFFERENT_07))
def test_optimality_correct_student_written_differently_gets_every_point(optimality_class, student):
    optimality_class.assert_different_student_gets_every_point(student)
