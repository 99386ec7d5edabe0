"""Planted mistakes for assignment 08_gradient_descent, graded by the real nbgrader loop.

One course copy, one submitted student per classic mistake plus one correct student, ONE autograde call. Each
mistake must cost exactly the points of the item it belongs to, leave every other auto-graded item at full marks,
and the error messages in the student's feedback must name the mistake. (The feedback also shows the visible test
code, which contains some message texts, so the words are looked for in the raised errors only.)
"""

import pytest

from harness import PlantedMistakes

ASSIGNMENT = "08_gradient_descent"

MISTAKES = {
    # student: (solution cell, wrong source, graded item that must drop to 0, words the feedback must contain)
    "gradient_a_x_for_nonsymmetric_a": ("grad_quadratic_form", """
def grad_quadratic_form(x, A):
    return A @ x                            # right only for symmetric A
""", "test_grad_quadratic_form", ["[used A x, which is right only for symmetric A"]),
    "gradient_ascent": ("gd_step", """
def gd_step(grad, x, lr):
    return x + lr * grad(x)                 # adds the gradient: walks uphill
""", "test_gd_step", ["[gradient ascent]", "x − lr·∇f(x)"]),
    "step_in_place": ("gd_step", """
def gd_step(grad, x, lr):
    x -= lr * grad(x)                       # overwrites the caller's array
    return x
""", "test_gd_step", ["changed its argument x in place"]),
    "path_missing_x0": ("gradient_descent", """
def gradient_descent(f, grad, x0, lr, tol=1e-8, max_iter=10_000):
    x = np.array(x0, dtype=float)
    path = []
    for _ in range(max_iter):
        if np.linalg.norm(grad(x)) <= tol:
            break
        x = gd_step(grad, x, lr)
        path.append(x)                      # x0 never recorded
    return np.array(path)
""", "test_gradient_descent", ["[path missing x0]", "must start with x0"]),
    "one_step_too_many": ("gradient_descent", """
def gradient_descent(f, grad, x0, lr, tol=1e-8, max_iter=10_000):
    x = np.array(x0, dtype=float)
    path = [x]
    for _ in range(max_iter):
        g = grad(x)
        x = gd_step(grad, x, lr)            # steps first, tests the old gradient afterwards
        path.append(x)
        if np.linalg.norm(g) <= tol:
            break
    return np.array(path)
""", "test_gradient_descent", ["[off by one]", "step(s) too many"]),
    "stops_on_f": ("gradient_descent", """
def gradient_descent(f, grad, x0, lr, tol=1e-8, max_iter=10_000):
    x = np.array(x0, dtype=float)
    path = [x]
    for _ in range(max_iter):
        if abs(f(x)) <= tol:                # the minimum value of f is not 0
            break
        x = gd_step(grad, x, lr)
        path.append(x)
    return np.array(path)
""", "test_gradient_descent", ["[never stopped]", "Test the gradient, not f"]),
    "stops_on_f_decrease": ("gradient_descent", """
def gradient_descent(f, grad, x0, lr, tol=1e-8, max_iter=10_000):
    x = np.array(x0, dtype=float)
    path = [x]
    for _ in range(max_iter):
        x_new = gd_step(grad, x, lr)
        path.append(x_new)
        if f(x) - f(x_new) <= tol:          # stops while the gradient is still ~1e-4
            break
        x = x_new
    return np.array(path)
""", "test_gradient_descent", ["[stopped too early]", "a test on f or on its decrease"]),
    "never_stops": ("gradient_descent", """
def gradient_descent(f, grad, x0, lr, tol=1e-8, max_iter=10_000):
    x = np.array(x0, dtype=float)
    path = [x]
    for _ in range(max_iter):               # no stopping rule at all
        x = gd_step(grad, x, lr)
        path.append(x)
    return np.array(path)
""", "test_gradient_descent", ["[never stopped]", "stop as soon as ‖∇f(x)‖ ≤ tol"]),
    "path_aliases_one_array": ("gradient_descent", """
def gradient_descent(f, grad, x0, lr, tol=1e-8, max_iter=10_000):
    x = np.array(x0, dtype=float)
    path = [x]
    for _ in range(max_iter):
        g = grad(x)
        if np.linalg.norm(g) <= tol:
            break
        x -= lr * g                         # the same array object every time
        path.append(x)
    return np.array(path)
""", "test_gradient_descent", ["Every row of your path is the same point", "append x.copy()"]),
    "uses_reference_gradient_descent": ("gradient_descent", """
def gradient_descent(f, grad, x0, lr, tol=1e-8, max_iter=10_000):
    from matcalc.reference import gradient_descent as reference
    return reference(grad, x0, lr, tol=tol, max_iter=max_iter).path
""", "test_gradient_descent", ["called matcalc's reference gradient_descent"]),
    "lr_two_over_lambda_min": ("largest_stable_lr", """
def largest_stable_lr(A):
    return 2 / np.linalg.eigvalsh(A)[0]     # the flat direction's bound
""", "test_largest_stable_lr", ["[2/λ_min = 2 diverges", "converges iff α < 2/λ_max"]),
    "lr_one_over_lambda_min": ("largest_stable_lr", """
def largest_stable_lr(A):
    return 1 / np.linalg.eigvalsh(A)[0]
""", "test_largest_stable_lr", ["[1/λ_min = 1 diverges", "converges iff α < 2/λ_max"]),
    "lr_from_diagonal": ("largest_stable_lr", """
def largest_stable_lr(A):
    return 2 / np.max(np.diag(A))           # the diagonal is not the spectrum
""", "test_largest_stable_lr", ["[used the diagonal of A instead of its eigenvalues"]),
    "rate_one_minus_inverse_kappa": ("optimal_lr_and_rate", """
def optimal_lr_and_rate(A):
    lam = np.linalg.eigvalsh(A)
    kappa = lam[-1] / lam[0]
    return 2 / (lam[0] + lam[-1]), 1 - 1 / kappa      # the factor of α = 1/λ_max
""", "test_optimal_lr_and_rate", ["[1 − 1/κ is the factor of α = 1/λ_max, not of α*]"]),
    "safe_rate_as_best": ("optimal_lr_and_rate", """
def optimal_lr_and_rate(A):
    lam = np.linalg.eigvalsh(A)
    kappa = lam[-1] / lam[0]
    return 1 / lam[-1], (kappa - 1) / (kappa + 1)
""", "test_optimal_lr_and_rate", ["[1/λ_max is a safe rate but not the best one", "α* = 2/(λ_min + λ_max)"]),
}

ITEMS = {"test_grad_quadratic_form", "test_gd_step", "test_gradient_descent", "test_largest_stable_lr",
         "test_optimal_lr_and_rate"}


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    return PlantedMistakes(tmp_path_factory, ASSIGNMENT, MISTAKES)


def test_correct_student_gets_every_point(graded_class):
    graded_class.assert_correct_student_gets_every_point(ITEMS)


def test_every_classic_mistake_is_planted():
    items = {item for _, _, item, _ in MISTAKES.values()}
    assert items == ITEMS


@pytest.mark.parametrize("student", sorted(MISTAKES))
def test_mistake_costs_its_item_and_is_named(graded_class, student):
    graded_class.assert_only_item_lost(student)
