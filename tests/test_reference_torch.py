"""The instructor-side network forward/backward (tests/answers) against PyTorch autograd, in float64.

An independent implementation of the same maths: torch's own sigmoid, relu and binary cross-entropy,
differentiated by autograd.
"""
import os

import numpy as np
import pytest

from answers import (backward, forward, init_network, log_loss, mse_loss, relu_derivative,
                               sigmoid_derivative)

try:
    import torch
except ImportError:
    if os.environ.get("CI"):  # CI installs it (.ci/run): a missing torch there is a failure, not a skip
        raise
    pytest.skip("PyTorch is not installed; it is only needed for this cross-check (pip install torch==2.13.0)",
                allow_module_level=True)


def torch_network(params, X, Y, activation):
    """Output, batch-mean log-loss and autograd gradients computed by PyTorch."""
    tparams = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in params.items()}
    hidden = torch.sigmoid if activation == "sigmoid" else torch.relu
    L = len(params) // 2
    A = torch.tensor(X, dtype=torch.float64)
    for l in range(1, L + 1):
        Z = tparams[f"W{l}"] @ A + tparams[f"b{l}"]
        A = torch.sigmoid(Z) if l == L else hidden(Z)
    target = torch.tensor(Y, dtype=torch.float64)
    loss = torch.nn.functional.binary_cross_entropy(A, target, reduction="sum") / Y.shape[1]
    loss.backward()
    return A.detach().numpy(), loss.item(), {k: t.grad.numpy() for k, t in tparams.items()}


@pytest.mark.parametrize("m", [1, 8])
@pytest.mark.parametrize("activation", ["sigmoid", "relu"])
@pytest.mark.parametrize("sizes", [(2, 1), (3, 5, 1), (4, 6, 3, 2), (5, 8, 8, 8, 1)])
def test_forward_and_backward_agree_with_autograd(sizes, activation, m):
    rng = np.random.default_rng(sum(sizes) * 10 + m)
    params = init_network(list(sizes), rng)
    params = {k: v + (rng.normal(scale=0.3, size=v.shape) if k.startswith("b") else 0) for k, v in params.items()}
    X = rng.normal(size=(sizes[0], m))
    Y = (rng.random((sizes[-1], m)) < 0.5).astype(float)

    out, cache = forward(params, X, activation)
    grads = backward(params, cache, Y)
    t_out, t_loss, t_grads = torch_network(params, X, Y, activation)

    assert out.dtype == np.float64 and np.allclose(out, t_out, rtol=1e-12, atol=1e-15)
    assert np.isclose(log_loss(out, Y), t_loss, rtol=1e-12)
    for name in params:
        assert grads[name].shape == params[name].shape
        assert np.allclose(grads[name], t_grads[name], rtol=1e-10, atol=1e-14), name


def test_activation_derivatives_and_mse_agree_with_autograd():
    rng = np.random.default_rng(0)
    z = rng.normal(scale=3, size=(4, 5))
    for fn, derivative in ((torch.sigmoid, sigmoid_derivative), (torch.relu, relu_derivative)):
        t = torch.tensor(z, requires_grad=True)
        fn(t).sum().backward()
        assert np.allclose(derivative(z), t.grad.numpy(), rtol=1e-13)
    y_hat, y = rng.normal(size=(1, 6)), rng.normal(size=(1, 6))
    t = torch.tensor(y_hat, requires_grad=True)
    half_mse = 0.5 * torch.nn.functional.mse_loss(t, torch.tensor(y), reduction="mean")
    assert np.isclose(mse_loss(y_hat, y), half_mse.item(), rtol=1e-13)
