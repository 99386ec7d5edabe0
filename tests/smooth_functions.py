"""Smooth test functions with closed-form gradients and Hessians (written by hand, not by matcalc)."""
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

rng = np.random.default_rng(12345)
A34 = rng.standard_normal((3, 4))
A33 = rng.standard_normal((3, 3))
a3, b4 = rng.standard_normal(3), rng.standard_normal(4)
M52 = rng.standard_normal((5, 2))
y5 = rng.standard_normal(5)
W = rng.standard_normal((4, 3))


def _softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


@dataclass
class Case:
    name: str
    f: Callable
    x: np.ndarray
    grad: Callable
    hess: Optional[Callable] = None


CASES = [
    Case("sin x (scalar)", np.sin, np.array(0.7), np.cos, lambda x: -np.sin(x)),
    Case("x² eˣ (scalar)", lambda x: x**2 * np.exp(x), np.array(-1.3),
         lambda x: (2 * x + x**2) * np.exp(x), lambda x: (2 + 4 * x + x**2) * np.exp(x)),
    Case("tr(AX), X 4×3", lambda X: np.trace(A34 @ X), rng.standard_normal((4, 3)),
         lambda X: A34.T, lambda X: np.zeros((4, 3, 4, 3))),
    Case("aᵀXb, X 3×4", lambda X: a3 @ X @ b4, rng.standard_normal((3, 4)),
         lambda X: np.outer(a3, b4), lambda X: np.zeros((3, 4, 3, 4))),
    Case("‖X‖_F², X 3×2", lambda X: np.sum(X**2), rng.standard_normal((3, 2)),
         lambda X: 2 * X, lambda X: 2 * np.eye(6).reshape(3, 2, 3, 2)),
    Case("log det X, X 3×3", lambda X: np.linalg.slogdet(X)[1], 3 * np.eye(3) + rng.standard_normal((3, 3)),
         lambda X: np.linalg.inv(X).T,
         # d²/dX_ij dX_kl log det X = -(X⁻¹)_lj... = -inv[l, i] * inv[j, k]
         lambda X: -np.einsum("li,jk->ijkl", np.linalg.inv(X), np.linalg.inv(X))),
    Case("xᵀAx, A non-symmetric", lambda x: x @ A33 @ x, rng.standard_normal(3),
         lambda x: (A33 + A33.T) @ x, lambda x: A33 + A33.T),
    Case("softmax cross-entropy", lambda z: -np.log(_softmax(z)[2]), rng.standard_normal(5),
         lambda z: _softmax(z) - np.eye(5)[2],
         lambda z: np.diag(_softmax(z)) - np.outer(_softmax(z), _softmax(z))),
    Case("Rosenbrock", lambda v: (1 - v[0])**2 + 100 * (v[1] - v[0]**2)**2, np.array([-0.8, 1.3]),
         lambda v: np.array([-2 * (1 - v[0]) - 400 * v[0] * (v[1] - v[0]**2), 200 * (v[1] - v[0]**2)]),
         lambda v: np.array([[2 - 400 * v[1] + 1200 * v[0]**2, -400 * v[0]], [-400 * v[0], 200.0]])),
    Case("½‖Mx − y‖²", lambda x: 0.5 * np.sum((M52 @ x - y5)**2), rng.standard_normal(2),
         lambda x: M52.T @ (M52 @ x - y5), lambda x: M52.T @ M52),
    Case("Σ softplus(xᵢ)", lambda x: np.sum(np.log1p(np.exp(x))), rng.standard_normal(4),
         _sigmoid, lambda x: np.diag(_sigmoid(x) * (1 - _sigmoid(x)))),
    Case("‖AX‖_F², X 4×2 (matrix Hessian)", lambda X: np.sum((A34 @ X)**2), rng.standard_normal((4, 2)),
         lambda X: 2 * A34.T @ A34 @ X, lambda X: 2 * np.einsum("ik,jl->ijkl", A34.T @ A34, np.eye(2))),
]

# Vector-valued functions with closed-form Jacobians (numerator layout: f(x).shape + x.shape).
JACOBIAN_CASES = [
    ("tanh(Wx), W 4×3", lambda x: np.tanh(W @ x), rng.standard_normal(3),
     lambda x: (1 - np.tanh(W @ x)**2)[:, None] * W),
    ("softmax(z)", _softmax, rng.standard_normal(4),
     lambda z: np.diag(_softmax(z)) - np.outer(_softmax(z), _softmax(z))),
    ("X ↦ X², X 2×2", lambda X: X @ X, rng.standard_normal((2, 2)),
     lambda X: np.einsum("ik,lj->ijkl", np.eye(2), X) + np.einsum("ik,jl->ijkl", X, np.eye(2))),
]
