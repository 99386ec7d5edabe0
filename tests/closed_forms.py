"""Shared by the formula tests: a tolerance comparison and closed forms that several lectures use."""
import numpy as np


def close(a, b, tol=1e-6):
    """Equal up to ``tol`` relative to the size of ``b`` (absolute below size 1, so exact zeros compare fairly)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and float(np.max(np.abs(a - b))) <= tol * max(1.0, float(np.max(np.abs(b))))


def stable_sigmoid(z):
    """σ(z) without overflow: exp is only taken of −|z|."""
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def newton_example(v):
    """Lecture 09's two-variable example, with the seed's typo corrected (2y², not 2y³)."""
    x, y = v
    return x**4 + 0.8 * y**4 + 4 * x**2 + 2 * y**2 - x * y - 0.2 * x**2 * y


def newton_example_gradient(v):
    x, y = v
    return np.array([4 * x**3 + 8 * x - y - 0.4 * x * y, 3.2 * y**3 + 4 * y - x - 0.2 * x**2])


def newton_example_hessian(v):
    x, y = v
    return np.array([[12 * x**2 + 8 - 0.4 * y, -1 - 0.4 * x], [-1 - 0.4 * x, 9.6 * y**2 + 4]])
