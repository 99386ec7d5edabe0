"""Planted mistakes for assignment 03_jacobian, graded by the real nbgrader loop.

One course copy, one submitted student per classic mistake plus one correct student, ONE autograde call.
Each mistake must cost exactly the points of the item it belongs to, leave every other auto-graded item at
full marks, and the error messages in the student's feedback must name the mistake. (The feedback also shows
the visible test code, which contains some message texts, so the words are looked for in the raised errors
only.)
"""

import pytest

from planted_class import PlantedClass

JACOBIAN = "03_jacobian"

MISTAKES_03 = {
    # student: (solution cell, wrong source, graded item that must drop to 0, words the feedback must contain)
    "transposed_nonsquare": ("jacobian_field", """
def jacobian_field(v):
    x, y, z = v
    return np.array([[2 * x * y, z],
                     [x**2, -3 * y**2],
                     [3 * np.cos(3 * z), x]])      # denominator layout: one column per output
""", "test_jacobian_field", ["[transposed]", "shape (3, 2) instead of (2, 3)", "numerator layout"]),
    "transposed_square": ("jacobian_affine", """
def jacobian_affine(W, b, x):
    return W.T                                     # d2l.ai's ∂(Wx)/∂x in denominator layout
""", "test_jacobian_affine", ["[transposed]", "returned the transpose of the right answer", "denominator layout"]),
    "diagonal_as_vector": ("jac_mul", """
def jac_mul_w(w, x):
    return np.diag(x)

def jac_mul_x(w, x):
    return w                                       # the diagonal, not the diagonal matrix
""", "test_jac_mul", ["[wrong shape]", "returned shape (3,)", "(3, 3)", "diagonal as a vector", "np.diag"]),
    "quotient_sign_error": ("jac_div", """
def jac_div_w(w, x):
    return np.diag(1 / x)

def jac_div_x(w, x):
    return np.diag(w / x**2)                       # the minus sign of d(1/x) = −dx/x² is lost
""", "test_jac_div", ["[sign error in ∂(wᵢ/xᵢ)/∂xᵢ]"]),
    "missing_factor": ("jacobian_field", """
def jacobian_field(v):
    x, y, z = v
    return np.array([[2 * x * y, x**2, np.cos(3 * z)],   # forgot the 3 of the inner function 3z
                     [z, -3 * y**2, x]])
""", "test_jacobian_field", ["[missing the chain-rule factor of sin(3z)]"]),
    "missing_factor_z": ("jac_expand_reduce", """
def jac_add_scalar(x, z):
    return np.ones_like(x)

def jac_sum_scaled(x, z):
    return np.ones_like(x)                         # forgot the factor z
""", "test_jac_expand_reduce", ["[∂ sum(z x)/∂x taken as a vector of ones (z missing)]"]),
    "expansion_as_scalar": ("jac_expand_reduce", """
def jac_add_scalar(x, z):
    return 1.0                                     # dyᵢ/dz = 1 for every i: a vector of ones

def jac_sum_scaled(x, z):
    return z * np.ones_like(x)
""", "test_jac_expand_reduce", ["[returned a scalar]", "(4,) + () = (4,)"]),
    "quotient_in_place": ("jac_div", """
def jac_div_w(w, x):
    return np.diag(1 / x)

def jac_div_x(w, x):
    x **= 2                                        # squares the caller's x
    return np.diag(-w / x)
""", "test_jac_div", ["[modifies its input]", "jac_div_x(w, x) writes to its input"]),
    "wrong_polynomial_term": ("jacobian_field", """
def jacobian_field(v):
    x, y, z = v
    return np.array([[2 * x * y, x**2, 3 * np.cos(3 * z)],
                     [z, -3 * y, x]])                # ∂(y³)/∂y written as 3y: not a constant factor
""", "test_jacobian_field", ["[wrong entries]", "entry (1, 1)"]),
    "affine_outer_product": ("jacobian_affine", """
def jacobian_affine(W, b, x):
    return np.outer(W @ x + b, np.ones_like(x))
""", "test_jacobian_affine", ["jacobian_affine(W, b, x)"]),
}

CORRECT_DIFFERENTLY = {
    "einsum_loops_and_views": {
        "jacobian_field": """
def jacobian_field(v):
    x, y, z = (float(t) for t in v)
    J = np.zeros((2, 3))
    J[0] = [2 * x * y, x * x, 3 * np.cos(3 * z)]
    J[1, 0], J[1, 1], J[1, 2] = z, -3 * y * y, x
    return J
""",
        "jac_mul": """
def jac_mul_w(w, x):
    return np.einsum("i,ij->ij", x, np.eye(len(x)))

def jac_mul_x(w, x):
    J = np.zeros((len(w), len(w)))
    for i in range(len(w)):
        J[i, i] = w[i]
    return J
""",
        "jac_div": """
def jac_div_w(w, x):
    return np.eye(len(x)) / x[:, None]

def jac_div_x(w, x):
    return np.diag(-(w / x) / x)
""",
        "jacobian_affine": """
def jacobian_affine(W, b, x):
    print("debug:", W.shape, b.shape, x.shape)
    return np.array(W)
""",
        "jac_expand_reduce": """
def jac_add_scalar(x, z):
    return np.ones(x.shape)

def jac_sum_scaled(x, z):
    return z * np.ones_like(x, dtype=float)
""",
    },
}


@pytest.fixture(scope="module")
def jacobian_class(tmp_path_factory):
    return PlantedClass(tmp_path_factory, JACOBIAN, MISTAKES_03, CORRECT_DIFFERENTLY)


def test_jacobian_correct_student_gets_every_point(jacobian_class):
    jacobian_class.assert_correct_student_gets_every_point({
        "test_jacobian_field", "test_jac_mul", "test_jac_div", "test_jacobian_affine", "test_jac_expand_reduce"
    })


@pytest.mark.parametrize("student", sorted(MISTAKES_03))
def test_jacobian_mistake_costs_its_item_and_is_named(jacobian_class, student):
    jacobian_class.assert_only_item_lost(student)


@pytest.mark.parametrize("student", sorted(CORRECT_DIFFERENTLY))
def test_jacobian_correct_student_written_differently_gets_every_point(jacobian_class, student):
    jacobian_class.assert_different_student_gets_every_point(student)
