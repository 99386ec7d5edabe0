"""Reference optimisers: gradient descent and Newton's method (course part 2)."""
from dataclasses import dataclass

import numpy as np

__all__ = ["OptimizationResult", "gradient_descent", "newton"]


@dataclass(frozen=True)
class OptimizationResult:
    """The iterates (shape (k + 1, n), x0 first), whether the gradient fell below tol, and k."""

    path: np.ndarray
    converged: bool
    iterations: int

    @property
    def x(self):
        """The last iterate."""
        return self.path[-1]


def _run(step, grad, x0, tol, max_iter):
    """Iterate; a diverging run stops at its first non-finite gradient (overflow is expected there)."""
    with np.errstate(over="ignore", invalid="ignore"):
        return _iterate(step, grad, x0, tol, max_iter)


def _iterate(step, grad, x0, tol, max_iter):
    x = np.array(x0, dtype=np.float64).reshape(-1)
    path = [x]
    for _ in range(max_iter):
        g = np.asarray(grad(x), dtype=np.float64).reshape(-1)
        if not np.all(np.isfinite(g)) or not np.all(np.isfinite(x)):
            break  # diverged: report it rather than iterate on inf/nan
        if np.linalg.norm(g) <= tol:
            return OptimizationResult(np.array(path), True, len(path) - 1)
        x = x + step(x, g)
        path.append(x)
    g = np.asarray(grad(x), dtype=np.float64).reshape(-1)
    converged = bool(np.all(np.isfinite(g)) and np.linalg.norm(g) <= tol)
    return OptimizationResult(np.array(path), converged, len(path) - 1)


def gradient_descent(grad, x0, lr, tol=1e-8, max_iter=10_000):
    """Iterate x ← x − lr·∇f(x) until ‖∇f(x)‖ ≤ tol or max_iter steps."""
    return _run(lambda x, g: -lr * g, grad, x0, tol, max_iter)


def newton(grad, hess, x0, tol=1e-10, max_iter=100):
    """Iterate x ← x + p with H(x) p = −∇f(x) (solved, not inverted) until ‖∇f(x)‖ ≤ tol."""
    def step(x, g):
        H = np.asarray(hess(x), dtype=np.float64).reshape(g.size, g.size)
        return np.linalg.solve(H, -g)
    return _run(step, grad, x0, tol, max_iter)
