"""Planted mistakes for assignment 05_matrix_derivatives, graded by the real nbgrader loop.

One course copy, one submitted student per classic mistake plus one correct student, ONE autograde call.
Each mistake must cost exactly the points of the item it belongs to, leave every other auto-graded item at
full marks, and the error messages in the student's feedback must name the mistake. (The feedback also shows
the visible test code, which contains the mistake labels, so the words are looked for in the raised errors only.)
"""

import pytest

from harness import Course
from planted_class import PlantedClass

MATRIX = "05_matrix_derivatives"

MISTAKES_05 = {
    # student: (solution cell, wrong source, graded item that must drop to 0, words the feedback must contain)
    "trace_transposed": ("grad_trace", """
def grad_trace(X, A):
    return A                                # ∂tr(AX)/∂X taken as A: the transpose
""", "test_grad_trace", ["[transposed]", "returned the transpose of the right answer: shape (2, 3) instead of (3, 2)"]),
    "bilinear_transposed": ("grad_bilinear", """
def grad_bilinear(X, a, b):
    return np.outer(b, a)                   # b aᵀ instead of a bᵀ
""", "test_grad_bilinear", ["[transposed]"]),
    "quadratic_two_a_x": ("grad_quadratic_form", """
def grad_quadratic_form(x, A):
    return 2 * A @ x                        # the rule for symmetric A
""", "test_grad_quadratic_form", ["[used the cheat-sheet rule 2Ax, which assumes a symmetric A]"]),
    "quadratic_a_x": ("grad_quadratic_form", """
def grad_quadratic_form(x, A):
    return A @ x                            # only one of the two terms
""", "test_grad_quadratic_form", ["[used Ax: x appears twice in xᵀAx"]),
    "lsq_missing_factor_2": ("grad_least_squares", """
def grad_least_squares(X, A, B):
    return A.T @ (A @ X - B)                # forgot the 2 of the square
""", "test_grad_least_squares", ["[missing the factor 2 of the square]"]),
    "lsq_sign_error": ("grad_least_squares", """
def grad_least_squares(X, A, B):
    return 2 * A.T @ (B - A @ X)            # residual taken the wrong way round
""", "test_grad_least_squares", ["[residual taken as B − AX"]),
    "logdet_inverse_not_transposed": ("grad_logdet", """
def grad_logdet(X):
    return np.linalg.inv(X)                 # X⁻¹ instead of X⁻ᵀ
""", "test_grad_logdet", ["[returned X⁻¹ (that would need a symmetric X)]"]),
    "square_scalar_rule": ("d_square", """
def d_square(X, V):
    return 2 * X @ V                        # the scalar rule d(x²) = 2x dx
""", "test_d_square", ["[used the scalar rule 2X dX, as if the matrices commuted]"]),
    "inverse_scalar_rule": ("d_inverse", """
def d_inverse(X, V):
    Xi = np.linalg.inv(X)
    return -Xi @ Xi @ V                     # the scalar rule d(1/x) = −dx/x²
""", "test_d_inverse", ["[used the scalar rule −X⁻² dX, as if the matrices commuted]"]),
    "lsq_in_place_residual": ("grad_least_squares", """
def grad_least_squares(X, A, B):
    B -= A @ X                              # overwrites the caller's B with −(residual)
    return -2 * A.T @ B
""", "test_grad_least_squares", ["[modifies its input]"]),
    "lsq_wrong_side": ("grad_least_squares", """
def grad_least_squares(X, A, B):
    return 2 * (A @ X - B) @ A.T            # the factor on the wrong side
""", "test_grad_least_squares", ["raised ValueError", "That is:"]),
    "logdet_missing_log": ("grad_logdet", """
def grad_logdet(X):
    return np.linalg.det(X) * np.linalg.inv(X).T   # the gradient of det X, not of log det X
""", "test_grad_logdet", ["grad_logdet(X)"]),
}

CORRECT_DIFFERENTLY = {
    "einsum_solve_and_loops": {
        "grad_trace": "def grad_trace(X, A):\n    return np.einsum('ij->ji', A)\n",
        "grad_bilinear": "def grad_bilinear(X, a, b):\n    return a[:, None] * b[None, :]\n",
        "grad_quadratic_form": "def grad_quadratic_form(x, A):\n    return A @ x + x @ A\n",
        "grad_least_squares": "def grad_least_squares(X, A, B):\n    R = A @ X - B\n    return (2 * R.T @ A).T\n",
        "grad_logdet": "def grad_logdet(X):\n    return np.linalg.solve(X.T, np.eye(len(X)))\n",
        "d_square": """
def d_square(X, V):
    n = len(X)
    out = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            out[i, j] = X[i] @ V[:, j] + V[i] @ X[:, j]
    return out
""",
        "d_inverse": "def d_inverse(X, V):\n    return -np.linalg.solve(X, V @ np.linalg.inv(X))\n",
    },
}


@pytest.fixture(scope="module")
def matrix_class(tmp_path_factory):
    return PlantedClass(tmp_path_factory, MATRIX, MISTAKES_05, CORRECT_DIFFERENTLY)


def test_correct_student_gets_every_point(matrix_class):
    matrix_class.assert_correct_student_gets_every_point({
        "test_grad_trace": 2, "test_grad_bilinear": 1, "test_grad_quadratic_form": 2,
        "test_grad_least_squares": 3, "test_grad_logdet": 2, "test_d_square": 2, "test_d_inverse": 2,
    })


@pytest.mark.parametrize("student", sorted(MISTAKES_05))
def test_mistake_costs_its_item_and_is_named(matrix_class, student):
    matrix_class.assert_only_item_lost(student)


@pytest.mark.parametrize("student", sorted(CORRECT_DIFFERENTLY))
def test_correct_student_written_differently_gets_every_point(matrix_class, student):
    matrix_class.assert_different_student_gets_every_point(student)


def test_hard_coded_answers_fail_the_hidden_tests(tmp_path):
    """Answers right only at the visible points (constants, or square/symmetric-only shortcuts) lose the item."""
    course = Course.copy(tmp_path, [MATRIX])
    hard = {
        "grad_trace": "def grad_trace(X, A):\n    return np.array([[1.0, 4.0], [2.0, 5.0], [3.0, 6.0]])\n",
        "grad_logdet": "def grad_logdet(X):\n    return np.linalg.inv(X).T if X.shape[0] <= 3 else np.linalg.inv(X)\n",
    }
    course.submit(MATRIX, "hardcoder", course.student_notebook(MATRIX, hard))
    course.autograde(MATRIX)
    scores = course.scores(MATRIX)["hardcoder"]
    assert scores["test_grad_trace"] == 0 and scores["test_grad_logdet"] == 0
    assert scores["test_grad_least_squares"] == 3
