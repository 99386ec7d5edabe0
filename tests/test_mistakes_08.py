"""Planted mistakes for assignment 08_gradient_descent, graded by the real nbgrader loop.

One course copy, one submitted student per classic mistake plus one correct student, ONE autograde call. Each
mistake must cost exactly the points of the item it belongs to, leave every other auto-graded item at full marks,
and the error messages in the student's feedback must name the mistake. (The feedback also shows the visible test
code, which contains some message texts, so the words are looked for in the raised errors only.)
"""

import pytest

from planted_class import PlantedClass

ASSIGNMENT = "08_gradient_descent"

MISTAKES = {
    # student: (solution cell, wrong source, graded item that must drop to 0, words the feedback must contain)
    "gradient_a_x_for_nonsymmetric_a": ("grad_quadratic_form", """
def grad_quadratic_form(x, A):
    return A @ x                            # right only for symmetric A
""", "test_grad_quadratic_form", ["[used A x (that assumes a symmetric A)]"]),
    "gradient_ascent": ("gd_step", """
def gd_step(grad, x, lr):
    return x + lr * grad(x)                 # adds the gradient: walks uphill
""", "test_gd_step", ["[gradient ascent: the step went uphill]"]),
    "step_in_place": ("gd_step", """
def gd_step(grad, x, lr):
    x -= lr * grad(x)                       # overwrites the caller's array
    return x
""", "test_gd_step", ["[modifies its input]", "gd_step(grad, x, lr) writes to its input"]),
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
""", "test_gradient_descent", ["[path missing x0]", "the path starts with x0 itself"]),
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
""", "test_gradient_descent", ["[never stopped]", "The rule tests the gradient"]),
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
""", "test_gradient_descent", ["[stopped too early]"]),
    "never_stops": ("gradient_descent", """
def gradient_descent(f, grad, x0, lr, tol=1e-8, max_iter=10_000):
    x = np.array(x0, dtype=float)
    path = [x]
    for _ in range(max_iter):               # no stopping rule at all
        x = gd_step(grad, x, lr)
        path.append(x)
    return np.array(path)
""", "test_gradient_descent", ["[never stopped]"]),
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
""", "test_gradient_descent", ["Every row of your path is the same point", "append a copy"]),
    "lr_two_over_lambda_min": ("largest_stable_lr", """
def largest_stable_lr(A):
    return 2 / np.linalg.eigvalsh(A)[0]     # the flat direction's bound
""", "test_largest_stable_lr", ["[used the flat direction (λ_min) and 2]", "does not converge"]),
    "lr_one_over_lambda_min": ("largest_stable_lr", """
def largest_stable_lr(A):
    return 1 / np.linalg.eigvalsh(A)[0]
""", "test_largest_stable_lr", ["[used the flat direction (λ_min)]", "does not converge"]),
    "lr_from_diagonal": ("largest_stable_lr", """
def largest_stable_lr(A):
    return 2 / np.max(np.diag(A))           # the diagonal is not the spectrum
""", "test_largest_stable_lr", ["[used the diagonal of A instead of its eigenvalues]"]),
    "rate_one_minus_inverse_kappa": ("optimal_lr_and_rate", """
def optimal_lr_and_rate(A):
    lam = np.linalg.eigvalsh(A)
    kappa = lam[-1] / lam[0]
    return 2 / (lam[0] + lam[-1]), 1 - 1 / kappa      # the factor of α = 1/λ_max
""", "test_optimal_lr_and_rate", ["[1 − 1/κ is the factor of another rate]"]),
    "safe_rate_as_best": ("optimal_lr_and_rate", """
def optimal_lr_and_rate(A):
    lam = np.linalg.eigvalsh(A)
    kappa = lam[-1] / lam[0]
    return 1 / lam[-1], (kappa - 1) / (kappa + 1)
""", "test_optimal_lr_and_rate", ["[1/λ_max: a safe rate, not the best one]", "not the best fixed rate"]),
    "two_iterates_at_a_root": ("gradient_descent", """
def gradient_descent(f, grad, x0, lr, tol=1e-8, max_iter=10_000):
    x = np.array(x0, dtype=float)
    path = [x]
    while True:                             # takes one step before it ever tests the gradient
        x = gd_step(grad, x, lr)
        path.append(x)
        if np.linalg.norm(grad(x)) <= tol or len(path) > max_iter:
            break
    return np.array(path)
""", "test_gradient_descent", ["[off by one]"]),
    "stops_on_every_entry": ("gradient_descent", """
def gradient_descent(f, grad, x0, lr, tol=1e-8, max_iter=10_000):
    x = np.array(x0, dtype=float)
    path = [x]
    for _ in range(max_iter):
        if np.all(np.abs(grad(x)) <= tol):  # entry by entry, not the norm the text asks for
            break
        x = gd_step(grad, x, lr)
        path.append(x)
    return np.array(path)
""", "test_gradient_descent", ["[stopped too early]"]),
    "strict_inequality": ("gradient_descent", """
def gradient_descent(f, grad, x0, lr, tol=1e-8, max_iter=10_000):
    x = np.array(x0, dtype=float)
    path = [x]
    for _ in range(max_iter):
        if np.linalg.norm(grad(x)) < tol:   # "<": a gradient exactly at tol does not stop
            break
        x = gd_step(grad, x, lr)
        path.append(x)
    return np.array(path)
""", "test_gradient_descent", ["[off by one]"]),
    "descends_in_place": ("gradient_descent", """
def gradient_descent(f, grad, x0, lr, tol=1e-8, max_iter=10_000):
    path = [x0.copy()]
    for _ in range(max_iter):
        if np.linalg.norm(grad(x0)) <= tol:
            break
        x0 -= lr * grad(x0)                 # walks the caller's array
        path.append(x0.copy())
    return np.array(path)
""", "test_gradient_descent", ["[modifies its input]"]),
}

CORRECT_DIFFERENTLY = {
    "while_loops_and_other_forms": {
        "grad_quadratic_form": "def grad_quadratic_form(x, A):\n    return (A @ x + A.T @ x) / 2\n",
        "gd_step": "def gd_step(grad, x, lr):\n    step = np.multiply(lr, grad(x))\n    return np.subtract(x, step)\n",
        "gradient_descent": """
def gradient_descent(f, grad, x0, lr, tol=1e-8, max_iter=10_000):
    xs = [np.asarray(x0, dtype=float).copy()]
    k = 0
    while k < max_iter and np.sqrt(np.sum(grad(xs[-1]) ** 2)) > tol:
        xs.append(gd_step(grad, xs[-1], lr))
        k += 1
        if k % 1000 == 0:
            print("debug: step", k, "loss", f(xs[-1]))
    return np.vstack(xs)
""",
        "largest_stable_lr": "def largest_stable_lr(A):\n    return float(2 / np.max(np.linalg.eigvals(A).real))\n",
        "optimal_lr_and_rate": """
def optimal_lr_and_rate(A):
    lam = np.linalg.eigvalsh(A)
    alpha = 2 / (lam.min() + lam.max())
    return alpha, abs(1 - alpha * lam.max())
""",
    },
}

ITEMS = {"test_grad_quadratic_form", "test_gd_step", "test_gradient_descent", "test_largest_stable_lr",
         "test_optimal_lr_and_rate"}


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    return PlantedClass(tmp_path_factory, ASSIGNMENT, MISTAKES, CORRECT_DIFFERENTLY)


def test_correct_student_gets_every_point(graded_class):
    graded_class.assert_correct_student_gets_every_point(ITEMS)


def test_every_classic_mistake_is_planted():
    items = {item for _, _, item, _ in MISTAKES.values()}
    assert items == ITEMS


@pytest.mark.parametrize("student", sorted(MISTAKES))
def test_mistake_costs_its_item_and_is_named(graded_class, student):
    graded_class.assert_only_item_lost(student)


@pytest.mark.parametrize("student", sorted(CORRECT_DIFFERENTLY))
def test_correct_student_written_differently_gets_every_point(graded_class, student):
    graded_class.assert_different_student_gets_every_point(student)
