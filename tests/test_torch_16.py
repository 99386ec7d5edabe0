"""Assignment 16's engine (the master solution) against PyTorch autograd, in float64.

The solution notebook's code cells (not its test cells) run in this interpreter; its VJPs, its backward sweep
over random recorded graphs and its two engine-derived gradients are compared with torch's own operations
differentiated by autograd: an independent implementation of the same mathematics.
"""
import contextlib
import io
import os

import nbformat
import numpy as np
import pytest

from notebooks import REPO

try:
    import torch
except ImportError:
    if os.environ.get("CI"):  # CI installs it (.ci/run): a missing torch there is a failure, not a skip
        raise
    pytest.skip("PyTorch is not installed; it is only needed for this cross-check (pip install torch==2.13.0)",
                allow_module_level=True)

SOLUTION = REPO / "solutions" / "16_autodiff" / "16_autodiff.ipynb"
TORCH_OPS = {"add": torch.add, "mul": torch.mul, "matmul": torch.matmul, "exp": torch.exp, "log": torch.log,
             "relu": torch.relu}


@pytest.fixture(scope="module")
def engine():
    """The namespace of the solution's given and solution cells (graded test cells are skipped)."""
    ns = {"__name__": "solution_16"}
    for cell in nbformat.read(SOLUTION, as_version=4).cells:
        if cell.cell_type == "code" and not cell.metadata.get("nbgrader", {}).get("grade"):
            with contextlib.redirect_stdout(io.StringIO()):
                exec(compile(cell.source, str(SOLUTION), "exec"), ns)
    return ns


def tensor(x, grad=True):
    return torch.tensor(np.asarray(x, dtype=np.float64), dtype=torch.float64, requires_grad=grad)


def torch_vjp(forward, g, *inputs):
    ts = [tensor(x) for x in inputs]
    out = forward(*ts)
    grads = torch.autograd.grad(out, ts, grad_outputs=tensor(g, grad=False))
    return [gr.numpy() for gr in grads]


def agree(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and np.allclose(a, b, rtol=1e-11, atol=1e-13)


SHAPES = [((2, 3), (2, 3)), ((4, 3), (3,)), ((3, 1), (3, 5)), ((), (2, 2)), ((2, 1, 4), (3, 1)), ((1, 5), (4, 1))]


@pytest.mark.parametrize("a_shape, b_shape", SHAPES)
def test_broadcasting_add_and_mul_vjps_agree_with_autograd(engine, a_shape, b_shape):
    rng = np.random.default_rng([16, len(a_shape), len(b_shape), *a_shape, *b_shape])
    a, b = rng.normal(size=a_shape), rng.normal(size=b_shape)
    g = rng.normal(size=np.broadcast_shapes(a_shape, b_shape))
    for name, forward in (("vjp_add", torch.add), ("vjp_mul", torch.mul)):
        ours, theirs = engine[name](g, a, b), torch_vjp(forward, g, a, b)
        assert all(agree(x, y) for x, y in zip(ours, theirs)), name


@pytest.mark.parametrize("x_shape, axis, keepdims", [((2, 3, 4), None, False), ((2, 3, 4), 1, True),
                                                     ((2, 3, 4), (0, 2), False), ((5,), -1, False), ((), None, True)])
def test_sum_vjp_agrees_with_autograd(engine, x_shape, axis, keepdims):
    rng = np.random.default_rng(161)
    x = rng.normal(size=x_shape)
    g = rng.normal(size=np.shape(np.sum(x, axis=axis, keepdims=keepdims)))
    dims = tuple(range(len(x_shape))) if axis is None else axis
    (theirs,) = torch_vjp(lambda t: torch.sum(t, dim=dims, keepdim=keepdims), g, x)
    assert agree(engine["vjp_sum"](g, x, axis, keepdims), theirs)


@pytest.mark.parametrize("m, n, k", [(1, 1, 1), (3, 2, 5), (4, 4, 4), (2, 6, 1)])
def test_matmul_and_unary_vjps_agree_with_autograd(engine, m, n, k):
    rng = np.random.default_rng([16, m, n, k])
    A, B, g = rng.normal(size=(m, n)), rng.normal(size=(n, k)), rng.normal(size=(m, k))
    assert all(agree(x, y) for x, y in zip(engine["vjp_matmul"](g, A, B), torch_vjp(torch.matmul, g, A, B)))
    x = rng.normal(size=(m, k))
    x[0, 0] = 0.0                                        # ReLU's derivative at 0 is 0 in both
    for name, forward, point in (("vjp_exp", torch.exp, x), ("vjp_log", torch.log, np.abs(x) + 0.1),
                                 ("vjp_relu", torch.relu, x)):
        (theirs,) = torch_vjp(forward, g, point)
        assert agree(engine[name](g, point), theirs), name


def random_graph(rng, n_nodes):
    """A recorded graph on (2, 3) arrays with broadcast inputs, reused nodes, sums, ending in a scalar."""
    inputs = {"X": rng.normal(size=(2, 3)), "r": rng.normal(size=3), "c": rng.normal(size=(2, 1)),
              "M": rng.normal(size=(3, 3)) / 2, "s": rng.normal(size=())}
    graph = {name: {"op": "input", "inputs": []} for name in inputs}
    full = ["X"]
    for i in range(n_nodes):
        a = full[-1] if rng.random() < 0.5 else full[int(rng.integers(len(full)))]
        op = str(rng.choice(["add", "mul", "matmul", "relu", "exp", "log", "square"]))
        if op in ("add", "mul"):
            node = {"op": op, "inputs": [a, str(rng.choice(["X", "r", "c", "s"] + full))]}
        elif op == "square":
            node = {"op": "mul", "inputs": [a, a]}
        elif op == "matmul":
            node = {"op": "matmul", "inputs": [a, "M"]}
        elif op in ("exp", "log"):                       # keep values finite: log of exp, exp of a bounded value
            inner = {"op": "relu", "inputs": [a]} if op == "log" else {"op": "mul", "inputs": [a, "s"]}
            graph[f"i{i}"] = inner
            node = {"op": op, "inputs": [f"i{i}"]} if op == "exp" else \
                {"op": "log", "inputs": [f"e{i}"]}
            if op == "log":
                graph[f"e{i}"] = {"op": "exp", "inputs": [f"i{i}"]}
        else:
            node = {"op": op, "inputs": [a]}
        graph[f"t{i}"] = node
        full.append(f"t{i}")
    graph["half"] = {"op": "sum", "inputs": [full[-1]], "axis": 1, "keepdims": True}
    graph["loss"] = {"op": "sum", "inputs": ["half"], "axis": None, "keepdims": False}
    return graph, inputs


def torch_gradients(graph, inputs, root):
    ts = {name: tensor(v) for name, v in inputs.items()}
    done = dict(ts)

    def value(name):
        if name not in done:
            node = graph[name]
            args = [value(i) for i in node["inputs"]]
            if node["op"] == "sum":
                dims = tuple(range(args[0].dim())) if node["axis"] is None else node["axis"]
                done[name] = torch.sum(args[0], dim=dims, keepdim=node["keepdims"])
            else:
                done[name] = TORCH_OPS[node["op"]](*args)
        return done[name]

    value(root).backward()
    return {name: t.grad.numpy() if t.grad is not None else np.zeros_like(inputs[name]) for name, t in ts.items()}


@pytest.mark.parametrize("seed", range(8))
def test_backward_sweep_over_random_graphs_agrees_with_autograd(engine, seed):
    rng = np.random.default_rng([16, 6, seed])
    graph, inputs = random_graph(rng, 4 + 3 * seed)
    values = engine["evaluate"](graph, inputs)
    assert all(np.all(np.isfinite(v)) for v in values.values())
    ours = engine["backpropagate"](graph, values, "loss")
    theirs = torch_gradients(graph, inputs, "loss")
    for name in inputs:
        assert agree(ours.get(name, np.zeros_like(inputs[name])), theirs[name]), name


@pytest.mark.parametrize("n0, n1, m", [(3, 4, 5), (2, 6, 1), (5, 3, 8)])
def test_network_gradients_agree_with_autograd(engine, n0, n1, m):
    params, X, Y = engine["network_example"](np.random.default_rng([16, 7, n0, n1, m]), n0, n1, m)
    loss, grads = engine["network_gradients"](params, X, Y)
    P = {k: tensor(v) for k, v in params.items()}
    Z2 = P["W2"] @ torch.relu(P["W1"] @ tensor(X, False) + P["b1"]) + P["b2"]
    t_loss = torch.nn.functional.binary_cross_entropy_with_logits(Z2, tensor(Y, False))   # mean log-loss
    t_loss.backward()
    assert np.isclose(loss, t_loss.item(), rtol=1e-12)
    assert all(agree(grads[k], P[k].grad.numpy()) for k in params)


@pytest.mark.parametrize("m, d, k, scale", [(6, 3, 4, 1.0), (1, 2, 3, 1.0), (10, 4, 2, 5.0)])
def test_softmax_gradients_agree_with_autograd(engine, m, d, k, scale):
    W, b, X, Y = engine["softmax_example"](np.random.default_rng([16, 8, m, d, k]), m, d, k, scale)
    loss, grads = engine["softmax_gradients"](W, b, X, Y)
    tW, tb = tensor(W), tensor(b)
    logits = tensor(X, False) @ tW + tb
    t_loss = torch.nn.functional.cross_entropy(logits, torch.tensor(np.argmax(Y, axis=1)))
    t_loss.backward()
    assert np.isclose(loss, t_loss.item(), rtol=1e-12)
    assert agree(grads["W"], tW.grad.numpy()) and agree(grads["b"], tb.grad.numpy())
