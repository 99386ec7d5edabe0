"""The instructor-side gradient_descent and newton (tests/answers) on the course's examples (lectures 08 and 09).

The example's closed-form gradient and Hessian are checked in test_formulas_09.py.
"""
import numpy as np
import pytest

import matcalc as mc
from answers import gradient_descent, newton

from closed_forms import newton_example_gradient as grad
from closed_forms import newton_example_hessian as hess


def test_newton_from_4_4_first_step_and_eight_steps_to_the_origin():
    result = newton(grad, hess, [4, 4])
    assert result.path.shape == (result.iterations + 1, 2)
    assert np.array_equal(result.path[0], [4.0, 4.0])
    assert np.allclose(result.path[1], [2.5827, 2.6213], atol=5e-5)
    assert result.converged and result.iterations == 8
    assert np.linalg.norm(result.x) < 1e-12


def test_gradient_descent_needs_hundreds_of_steps_on_the_same_problem():
    result = gradient_descent(grad, [4, 4], lr=0.01)
    assert result.converged and result.iterations > 100
    assert np.linalg.norm(result.x) < 1e-8


def test_newton_step_solves_the_linear_system_exactly_on_a_quadratic():
    rng = np.random.default_rng(3)
    M = rng.normal(size=(5, 5))
    A, b = M @ M.T + 5 * np.eye(5), rng.normal(size=5)
    result = newton(lambda x: A @ x - b, lambda x: A, np.zeros(5))
    assert result.iterations == 1 and np.allclose(result.x, np.linalg.solve(A, b))


@pytest.mark.parametrize("lr, converges", [(0.1, True), (0.9, True), (1.1, False)])
def test_gradient_descent_on_x_squared_converges_only_below_lr_1(lr, converges):
    # f = x², x_{k+1} = (1 − 2 lr) x_k: the factor has modulus < 1 exactly when 0 < lr < 1.
    result = gradient_descent(lambda x: 2 * x, [3.0], lr=lr, max_iter=2000)
    assert result.converged is converges
    k = min(5, result.iterations)
    assert np.allclose(result.path[k], 3.0 * (1 - 2 * lr) ** k)


def test_a_diverging_run_stops_at_the_first_non_finite_value_without_warnings():
    with np.errstate(all="raise"):
        result = gradient_descent(grad, [4, 4], lr=0.05)
    with np.errstate(over="ignore", invalid="ignore"):
        last_gradient = grad(result.path[-1]) if np.all(np.isfinite(result.path[-1])) else np.inf
    assert not result.converged and result.iterations < 100    # stopped early, not after max_iter
    assert not np.all(np.isfinite(last_gradient))


def test_with_the_seed_typo_the_origin_is_a_saddle_that_newton_can_still_find():
    """With 2y³ in place of 2y² the origin is a saddle; a local minimum sits at (6y², y), y ≈ 1/48."""
    g3 = lambda v: np.array([4 * v[0]**3 + 8 * v[0] - v[1] - 0.4 * v[0] * v[1],
                             3.2 * v[1]**3 + 6 * v[1]**2 - v[0] - 0.2 * v[0]**2])
    h3 = lambda v: np.array([[12 * v[0]**2 + 8 - 0.4 * v[1], -1 - 0.4 * v[0]],
                             [-1 - 0.4 * v[0], 9.6 * v[1]**2 + 12 * v[1]]])
    f3 = lambda v: v[0]**4 + 0.8 * v[1]**4 + 4 * v[0]**2 + 2 * v[1]**3 - v[0] * v[1] - 0.2 * v[0]**2 * v[1]
    mc.check_gradient(g3, f3, np.array([0.3, -0.7]))
    mc.check_hessian(h3, f3, np.array([0.3, -0.7]))
    assert np.allclose(h3([0, 0]), [[8, -1], [-1, 0]])
    assert np.linalg.eigvalsh(h3([0, 0])).prod() < 0          # eigenvalues of both signs: a saddle
    to_saddle = newton(g3, h3, [-0.5, -0.5])                   # Newton finds stationary points, not minima
    assert to_saddle.converged and np.linalg.norm(to_saddle.x) < 1e-8
    from_4_4 = newton(g3, h3, [4, 4])                          # from the seed's start: the nearby minimum
    assert from_4_4.converged and np.allclose(from_4_4.x, [0.0025825, 0.0206384], atol=1e-6)
    assert np.all(np.linalg.eigvalsh(h3(from_4_4.x)) > 0)
