"""Planted students for assignment 09_newton, graded by the real nbgrader loop.

One course copy, one autograde call: a correct student, one student per realistic mistake (each must lose
exactly its item, and the feedback's errors must name the mistake), and students who are right but write it
differently (each must keep every point, with no error in the feedback).
"""

import pytest

from harness import PlantedMistakes

NEWTON = "09_newton"
ITEMS = {"test_newton_minimize_1d": 3, "test_energy_gradient": 2, "test_energy_hessian": 3,
         "test_damped_newton_step": 2, "test_newton_for_system": 3}

MISTAKES = {
    # student: (solution cell, wrong source, graded item that must drop to 0, words the feedback must contain)
    # -- edges of the contract
    "min_strict_tolerance": ("newton_minimize_1d", """
def newton_minimize_1d(dg, d2g, x0, tol=1e-10, max_iter=50):
    xs = [float(x0)]
    while abs(dg(xs[-1])) >= tol and len(xs) <= max_iter:      # equality should stop
        if d2g(xs[-1]) <= 0:
            raise ValueError("not convex here")
        xs.append(xs[-1] - dg(xs[-1]) / d2g(xs[-1]))
    return np.array(xs)
""", "test_newton_minimize_1d", ["[kept iterating past the stopping rule]", "equality counts"]),
    "min_relative_tolerance": ("newton_minimize_1d", """
def newton_minimize_1d(dg, d2g, x0, tol=1e-10, max_iter=50):
    xs = [float(x0)]
    while abs(dg(xs[-1])) > tol * max(1.0, abs(xs[-1])) and len(xs) <= max_iter:
        if d2g(xs[-1]) <= 0:
            raise ValueError("not convex here")
        xs.append(xs[-1] - dg(xs[-1]) / d2g(xs[-1]))
    return np.array(xs)
""", "test_newton_minimize_1d", ["[stopped too early]", "absolute"]),
    "min_curvature_zero_allowed": ("newton_minimize_1d", """
def newton_minimize_1d(dg, d2g, x0, tol=1e-10, max_iter=50):
    xs = [float(x0)]
    while abs(dg(xs[-1])) > tol and len(xs) <= max_iter:
        if d2g(xs[-1]) < 0:                                     # g'' == 0 slips through
            raise ValueError("not convex here")
        xs.append(xs[-1] - dg(xs[-1]) / d2g(xs[-1]))
    return np.array(xs)
""", "test_newton_minimize_1d", ["[g'' = 0 must raise", "ZeroDivisionError"]),
    "min_do_while_takes_a_step": ("newton_minimize_1d", """
def newton_minimize_1d(dg, d2g, x0, tol=1e-10, max_iter=50):
    xs = [float(x0)]
    while True:                                                 # steps before it looks
        if d2g(xs[-1]) <= 0:
            raise ValueError("not convex here")
        xs.append(xs[-1] - dg(xs[-1]) / d2g(xs[-1]))
        if abs(dg(xs[-1])) <= tol or len(xs) > max_iter:
            break
    return np.array(xs)
""", "test_newton_minimize_1d", ["[kept iterating past the stopping rule]"]),
    "min_checks_curvature_first": ("newton_minimize_1d", """
def newton_minimize_1d(dg, d2g, x0, tol=1e-10, max_iter=50):
    xs = [float(x0)]
    for _ in range(max_iter + 1):
        if d2g(xs[-1]) <= 0:                                    # raises even where it should stop
            raise ValueError("not convex here")
        if abs(dg(xs[-1])) <= tol or len(xs) > max_iter:
            break
        xs.append(xs[-1] - dg(xs[-1]) / d2g(xs[-1]))
    return np.array(xs)
""", "test_newton_minimize_1d", ["not convex here"]),
    "min_sign_flipped": ("newton_minimize_1d", """
def newton_minimize_1d(dg, d2g, x0, tol=1e-10, max_iter=50):
    xs = [float(x0)]
    while abs(dg(xs[-1])) > tol and len(xs) <= max_iter:
        if d2g(xs[-1]) <= 0:
            raise ValueError("not convex here")
        xs.append(xs[-1] + dg(xs[-1]) / d2g(xs[-1]))
    return np.array(xs)
""", "test_newton_minimize_1d", ["[sign of the Newton step flipped]"]),
    # -- derivatives
    "gradient_assumes_symmetric_A": ("energy_gradient", """
def energy_gradient(x, A, b):
    return A @ x - b + 2 * x / (1 + x @ x)
""", "test_energy_gradient", ["[used A x for the gradient of ½xᵀAx"]),
    "gradient_drops_factor_2": ("energy_gradient", """
def energy_gradient(x, A, b):
    return 0.5 * (A + A.T) @ x - b + x / (1 + x @ x)
""", "test_energy_gradient", ["[factor 2 lost in the logarithm's term"]),
    "gradient_writes_to_x": ("energy_gradient", """
def energy_gradient(x, A, b):
    r = 1 + x @ x
    g = 0.5 * (A + A.T) @ x - b
    x *= 2 / r                                                  # reuses x's memory
    return g + x
""", "test_energy_gradient", ["your function writes to its input"]),
    "hessian_no_outer_product": ("energy_hessian", """
def energy_hessian(x, A, b):
    return 0.5 * (A + A.T) + 2 * np.eye(len(x)) / (1 + x @ x)
""", "test_energy_hessian", ["[missing the outer-product term"]),
    "hessian_uses_A": ("energy_hessian", """
def energy_hessian(x, A, b):
    r = 1 + x @ x
    return A + 2 * np.eye(len(x)) / r - 4 * np.outer(x, x) / r**2
""", "test_energy_hessian", ["[used A for the Hessian of ½xᵀAx"]),
    # -- damped step
    "damped_adds_in_place": ("damped_newton_step", """
def damped_newton_step(g, H, mu):
    if mu < 0:
        raise ValueError("mu < 0")
    H[np.diag_indices(len(g))] += mu                            # changes the caller's H
    return np.linalg.solve(H, -g)
""", "test_damped_newton_step", ["your function writes to its input"]),
    "damped_rejects_zero": ("damped_newton_step", """
def damped_newton_step(g, H, mu):
    if mu <= 0:                                                 # mu = 0 is allowed
        raise ValueError("mu must be positive")
    return np.linalg.solve(H + mu * np.eye(len(g)), -g)
""", "test_damped_newton_step", ["mu must be positive"]),
    "damped_accepts_negative": ("damped_newton_step", """
def damped_newton_step(g, H, mu):
    return np.linalg.solve(H + mu * np.eye(len(g)), -g)
""", "test_damped_newton_step", ["must raise ValueError"]),
    "damped_adds_mu_everywhere": ("damped_newton_step", """
def damped_newton_step(g, H, mu):
    if mu < 0:
        raise ValueError("mu < 0")
    return np.linalg.solve(H + mu, -g)
""", "test_damped_newton_step", ["[μ added to every entry of H"]),
    # -- system
    "system_jacobian_transposed": ("newton_for_system", """
def newton_for_system(a, c, x0, tol=1e-12, max_iter=30):
    path = [np.array(x0, dtype=float)]
    while np.max(np.abs(F_system(path[-1], a, c))) > tol and len(path) <= max_iter:
        x, y = path[-1]
        J = np.array([[2 * x, 1.0], [-1.0, np.exp(y)]])        # rows and columns swapped
        path.append(path[-1] + np.linalg.solve(J, -F_system(path[-1], a, c)))
    return np.array(path)
""", "test_newton_for_system", ["[Jacobian transposed"]),
    "system_euclidean_norm": ("newton_for_system", """
def newton_for_system(a, c, x0, tol=1e-12, max_iter=30):
    path = [np.array(x0, dtype=float)]
    while np.linalg.norm(F_system(path[-1], a, c)) > tol and len(path) <= max_iter:
        x, y = path[-1]
        J = np.array([[2 * x, -1.0], [1.0, np.exp(y)]])
        path.append(path[-1] + np.linalg.solve(J, -F_system(path[-1], a, c)))
    return np.array(path)
""", "test_newton_for_system", ["[kept iterating past the stopping rule]", "not the Euclidean norm"]),
    "system_max_iter_zero_steps_once": ("newton_for_system", """
def newton_for_system(a, c, x0, tol=1e-12, max_iter=30):
    x = np.array(x0, dtype=float)
    path = [x]
    for _ in range(max(max_iter, 1)):                           # always at least one step
        x, y = path[-1]
        J = np.array([[2 * x, -1.0], [1.0, np.exp(y)]])
        path.append(path[-1] + np.linalg.solve(J, -F_system(path[-1], a, c)))
        if np.max(np.abs(F_system(path[-1], a, c))) <= tol:
            break
    return np.array(path)
""", "test_newton_for_system", ["[kept iterating past the stopping rule]"]),
    "system_updates_x0_in_place": ("newton_for_system", """
def newton_for_system(a, c, x0, tol=1e-12, max_iter=30):
    x = np.asarray(x0, dtype=float)
    path = [x.copy()]
    for _ in range(max_iter):
        if np.max(np.abs(F_system(x, a, c))) <= tol:
            break
        J = np.array([[2 * x[0], -1.0], [1.0, np.exp(x[1])]])
        x += np.linalg.solve(J, -F_system(x, a, c))             # writes into x0
        path.append(x.copy())
    return np.array(path)
""", "test_newton_for_system", ["your function writes to its input"]),
}

DIFFERENT_BUT_RIGHT = {
    "min_for_loop_with_prints": ("newton_minimize_1d", """
def newton_minimize_1d(dg, d2g, x0, tol=1e-10, max_iter=50):
    iterates = np.empty(max_iter + 1)
    iterates[0] = x0
    for k in range(max_iter):
        slope = dg(iterates[k])
        print("step", k, "slope", slope)                        # debug output
        if not abs(slope) > tol:
            return iterates[:k + 1]
        curv = d2g(iterates[k])
        if not curv > 0:
            raise ValueError(f"curvature {curv} at {iterates[k]}")
        iterates[k + 1] = iterates[k] - slope / curv
    return iterates
""", None, []),
    "gradient_einsum": ("energy_gradient", """
def energy_gradient(x, A, b):
    quad = 0.5 * (np.einsum('ij,j->i', A, x) + np.einsum('ji,j->i', A, x))
    return quad - b + 2.0 * x / (1.0 + np.einsum('i,i->', x, x))
""", None, []),
    "gradient_loops": ("energy_gradient", """
def energy_gradient(x, A, b):
    n = len(x)
    r = 1 + sum(t * t for t in x)
    out = []
    for k in range(n):
        s = sum(A[k, j] * x[j] + A[j, k] * x[j] for j in range(n)) / 2
        out.append(s - b[k] + 2 * x[k] / r)
    return np.array(out)
""", None, []),
    "hessian_loops": ("energy_hessian", """
def energy_hessian(x, A, b):
    n = len(x)
    r = 1.0 + float(np.dot(x, x))
    H = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            H[i, j] = (A[i, j] + A[j, i]) / 2 - 4 * x[i] * x[j] / r**2 + (2 / r if i == j else 0.0)
    return H
""", None, []),
    "damped_inverse_and_copy": ("damped_newton_step", """
def damped_newton_step(g, H, mu):
    if not mu >= 0:
        raise ValueError("mu must be non-negative")
    M = H.copy()
    M[np.diag_indices_from(M)] += mu                            # on a copy: fine
    return -np.linalg.inv(M) @ g
""", None, []),
    "system_cramer_and_scratch": ("newton_for_system", """
import math

def jac(x, y):
    return 2 * x, -1.0, 1.0, math.exp(y)

def newton_for_system(a, c, x0, tol=1e-12, max_iter=30):
    x, y = float(x0[0]), float(x0[1])
    rows = [(x, y)]
    for _ in range(max_iter):
        f1, f2 = F_system((x, y), a, c)
        if max(abs(f1), abs(f2)) <= tol:
            break
        p, q, r, s = jac(x, y)
        det = p * s - q * r
        dx = (-f1 * s + q * f2) / det                           # Cramer's rule
        dy = (-p * f2 + r * f1) / det
        x, y = x + dx, y + dy
        rows.append((x, y))
    return np.array(rows)

# scratch work left in the cell
_trial = newton_for_system(-1.0, 2.0, np.array([1.5, 0.5]))
""", None, []),
}


@pytest.fixture(scope="module")
def newton_class(tmp_path_factory):
    return PlantedMistakes(tmp_path_factory, NEWTON, {**MISTAKES, **DIFFERENT_BUT_RIGHT})


def test_correct_student_gets_every_point(newton_class):
    newton_class.assert_correct_student_gets_every_point(ITEMS)


@pytest.mark.parametrize("student", sorted(MISTAKES))
def test_mistake_costs_its_item_and_is_named(newton_class, student):
    newton_class.assert_only_item_lost(student)


@pytest.mark.parametrize("student", sorted(DIFFERENT_BUT_RIGHT))
def test_right_but_different_gets_every_point(newton_class, student):
    assert newton_class.scores[student] == newton_class.scores["correct"] == {**newton_class.scores["correct"], **ITEMS}
    assert newton_class.course.feedback_errors(NEWTON, student) == ""
