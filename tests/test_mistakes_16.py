"""Planted mistakes for assignment 16_autodiff, graded by the real nbgrader loop.

One course copy, ONE autograde call: a correct student, one student per classic mistake of a reverse-mode engine
and a few students whose right answers are written differently (loops, einsum, Kahn's algorithm, an iterative
depth-first search, other but equal loss expressions). Each mistake must cost exactly its item, leave every other
auto-graded item at full marks, and be named in the error messages of the student's feedback; the different
right answers must get every point.
"""
import pytest

from harness import Course, PlantedMistakes

AUTODIFF = "16_autodiff"

MISTAKES_16 = {
    # student: (solution cell, wrong source, graded item that must drop to 0, words the feedback must contain)
    "broadcast_axis_not_summed": ("unbroadcast", """
def unbroadcast(g, shape):
    g = np.asarray(g, dtype=np.float64)
    while g.ndim > len(shape):
        g = g.sum(axis=0)
    return g

def vjp_add(g, a, b):
    return unbroadcast(g, np.shape(a)), unbroadcast(g, np.shape(b))
""", "test_unbroadcast", ['[missing sum over a broadcast axis]']),
    "order_breadth_first": ("topological_order", """
def topological_order(parents, root):
    order, seen = [root], {root}
    for name in order:
        for p in parents[name]:
            if p not in seen:
                seen.add(p); order.append(p)
    return order
""", "test_topological_order", ['[out of topological order]']),
    "sweep_breadth_first": ("backpropagate", """
def backpropagate(graph, values, root):
    order, seen = [root], {root}
    for name in order:
        for p in graph[name]["inputs"]:
            if p not in seen:
                seen.add(p); order.append(p)
    grads = {root: np.ones_like(values[root])}
    for name in order:
        node = graph[name]
        for parent, gp in zip(node["inputs"], local_vjp(node, grads[name], values)):
            grads[parent] = grads[parent] + gp if parent in grads else gp
    return grads
""", "test_backpropagate", ['[visits nodes out of topological order']),
    "sweep_overwrites": ("backpropagate", """
def backpropagate(graph, values, root):
    order = topological_order({n: list(node["inputs"]) for n, node in graph.items()}, root)
    grads = {root: np.ones_like(values[root])}
    for name in order:
        node = graph[name]
        for parent, gp in zip(node["inputs"], local_vjp(node, grads[name], values)):
            grads[parent] = gp
    return grads
""", "test_backpropagate", ['[overwrites instead of accumulating']),
    "matmul_transposed": ("vjp_matmul", """
def vjp_matmul(g, A, B):
    return g @ B.T, g.T @ A
""", "test_vjp_matmul", ['[transposed]', 'adjoint of B']),
    "log_sign_error": ("vjp_unary", """
def vjp_exp(g, x):
    return g * np.exp(x)
def vjp_log(g, x):
    return -g / x
def vjp_relu(g, x):
    return np.where(x > 0, g, 0.0)
""", "test_vjp_unary", ['[sign error in the log rule']),
    "relu_wrong_side": ("vjp_unary", """
def vjp_exp(g, x):
    return g * np.exp(x)
def vjp_log(g, x):
    return g / x
def vjp_relu(g, x):
    return g * (x < 0)
""", "test_vjp_unary", ['[passed g where x < 0']),
    "network_backward_by_hand": ("network_gradients", """
def network_gradients(params, X, Y):
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    m = X.shape[1]
    Z1 = W1 @ X + b1
    A1 = np.maximum(Z1, 0)
    Z2 = W2 @ A1 + b2
    loss = float(np.mean(np.logaddexp(0, Z2) - Y * Z2))
    dZ2 = (1 / (1 + np.exp(-Z2)) - Y) / m          # a hand-written backward pass: right numbers, not the engine
    dZ1 = (W2.T @ dZ2) * (Z1 > 0)
    return loss, {"W1": dZ1 @ X.T, "b1": dZ1.sum(axis=1, keepdims=True), "W2": dZ2 @ A1.T,
                  "b2": dZ2.sum(axis=1, keepdims=True)}
""", "test_network_gradients", ["network_gradients must", ".backward()"]),
    "softmax_sum_not_mean": ("softmax_gradients", """
def softmax_gradients(W, b, X, Y):
    Wt, bt = Tensor(W), Tensor(b)
    Z = X @ Wt + bt
    loss = (Z.exp().sum(axis=1).log() - (Y * Z).sum(axis=1)).sum()     # forgot the 1/m of the mean
    loss.backward()
    return float(loss.value), {"W": Wt.grad, "b": bt.grad}
""", "test_softmax_gradients", ["softmax_gradients: the loss is"]),
    "relu_passes_at_zero": ("vjp_unary", """
def vjp_exp(g, x):
    return g * np.exp(x)
def vjp_log(g, x):
    return g / x
def vjp_relu(g, x):
    return g * (x >= 0)                     # lets the gradient through at x = 0
""", "test_vjp_unary", ["where x is exactly 0 the adjoint must be 0"]),
    # right only where the visible tests look: the hidden tests' fresh shapes and graphs catch them
    "mul_without_unbroadcast": ("vjp_mul_sum", """
def vjp_mul(g, a, b):
    return g * b, g * a                     # right for equal shapes only: no sum over broadcast axes

def vjp_sum(g, x, axis, keepdims):
    x = np.asarray(x)
    axes = tuple(range(x.ndim)) if axis is None else tuple(np.atleast_1d(axis) % max(x.ndim, 1))
    if not keepdims:
        g = np.expand_dims(g, axes)
    return np.broadcast_to(g, x.shape).astype(np.float64)
""", "test_vjp_mul_sum", ["vjp_mul(g, a, b) for a", "shape"]),
    "sum_one_axis_only": ("vjp_mul_sum", """
def vjp_mul(g, a, b):
    return unbroadcast(g * b, np.shape(a)), unbroadcast(g * a, np.shape(b))

def vjp_sum(g, x, axis, keepdims):
    if axis is None:
        return np.full(np.shape(x), float(np.sum(g)))
    g = g if keepdims else np.expand_dims(g, axis)
    return np.repeat(g, np.shape(x)[axis], axis=axis)      # breaks for a tuple of axes
""", "test_vjp_mul_sum", ["vjp_sum(g, x, axis=(0, 2)"]),
    "order_hard_coded": ("topological_order", """
def topological_order(parents, root):
    if root == "f":
        return ["f", "v3", "v4", "v2", "x2", "v1", "x1"]     # the visible test's answer
    return [root] + [name for name in parents if name != root]
""", "test_topological_order", ["topological_order"]),
}

DIFFERENT_BUT_RIGHT = {
    # student: {solution cell: source}, every item at full marks
    "loops_einsum": {
        "unbroadcast": """
def unbroadcast(g, shape):
    result = np.array(g, dtype=np.float64)
    for _ in range(result.ndim - len(shape)):
        result = np.sum(result, axis=0)
    for axis in range(len(shape)):
        if shape[axis] == 1 and result.shape[axis] > 1:
            result = np.sum(result, axis=axis, keepdims=True)
    return result


def vjp_add(g, a, b):
    a, b = np.asarray(a), np.asarray(b)
    return unbroadcast(g, a.shape), unbroadcast(g, b.shape)
""",
        "vjp_mul_sum": """
def vjp_mul(g, a, b):
    ga = np.multiply(g, b)
    gb = np.multiply(g, a)
    return unbroadcast(ga, np.shape(a)), unbroadcast(gb, np.shape(b))


def vjp_sum(g, x, axis, keepdims):
    x = np.asarray(x)
    if axis is None:
        axes = list(range(x.ndim))
    elif isinstance(axis, int):
        axes = [axis]
    else:
        axes = list(axis)
    axes = sorted(a if a >= 0 else a + x.ndim for a in axes)
    g = np.asarray(g, dtype=np.float64)
    if not keepdims:
        for a in axes:
            g = np.expand_dims(g, a)
    return np.ones(x.shape) * g
""",
        "vjp_matmul": """
def vjp_matmul(g, A, B):
    gA = np.einsum("ik,jk->ij", g, B)
    gB = np.einsum("ij,ik->jk", A, g)
    return gA, gB
""",
        "vjp_unary": """
def vjp_exp(g, x):
    return np.exp(x) * g
def vjp_log(g, x):
    return g * (1.0 / x)
def vjp_relu(g, x):
    return g * (x > 0).astype(float)
""",
        "topological_order": """
def topological_order(parents, root):
    # Kahn's algorithm on the part of the graph that root depends on
    reach, stack = {root}, [root]
    while stack:
        for p in parents[stack.pop()]:
            if p not in reach:
                reach.add(p); stack.append(p)
    users = {n: 0 for n in reach}
    for n in reach:
        for p in set(parents[n]):
            users[p] += 1
    ready, order = [root], []
    while ready:
        n = ready.pop()
        order.append(n)
        for p in set(parents[n]):
            users[p] -= 1
            if users[p] == 0:
                ready.append(p)
    return order
""",
        "backpropagate": """
def backpropagate(graph, values, root):
    parents = {}
    for name in graph:
        parents[name] = [p for p in graph[name]["inputs"]]
    grads = {}
    for name in topological_order(parents, root):
        if name == root:
            grads[name] = np.ones(np.shape(values[root]))
        contributions = local_vjp(graph[name], grads[name], values)
        for i in range(len(contributions)):
            parent = graph[name]["inputs"][i]
            grads[parent] = grads.get(parent, 0.0) + contributions[i]
    return grads
""",
        "network_gradients": """
def network_gradients(params, X, Y):
    W1, b1, W2, b2 = (Tensor(params[k]) for k in ("W1", "b1", "W2", "b2"))
    hidden = (W1 @ Tensor(X) + b1).relu()
    z = W2 @ hidden + b2
    m = X.shape[1]
    total = (z.exp() + 1.0).log().sum() - (Tensor(Y) * z).sum()
    loss = total * (1 / m)
    loss.backward()
    return loss.value.item(), {"W1": W1.grad, "b1": b1.grad, "W2": W2.grad, "b2": b2.grad}
""",
        "softmax_gradients": """
def softmax_gradients(W, b, X, Y):
    W_, b_ = Tensor(W), Tensor(b)
    Z = Tensor(X) @ W_ + b_
    lse = Z.exp().sum(axis=-1, keepdims=True).log()
    per_example = (lse * Tensor(Y)).sum(axis=1) - (Z * Y).sum(axis=1)   # rows of Y sum to 1
    loss = per_example.sum() * (1.0 / len(X))
    loss.backward()
    return float(loss.value), {"b": b_.grad, "W": W_.grad}
""",
    },
    "iterative_dfs": {
        "topological_order": """
def topological_order(parents, root):
    post, seen, stack = [], set(), [(root, False)]
    while stack:
        name, expanded = stack.pop()
        if expanded:
            post.append(name)
            continue
        if name in seen:
            continue
        seen.add(name)
        stack.append((name, True))
        for p in parents[name]:
            if p not in seen:
                stack.append((p, False))
    return list(reversed(post))
""",
        "backpropagate": """
from collections import defaultdict

def backpropagate(graph, values, root):
    order = topological_order({k: v["inputs"] for k, v in graph.items()}, root)
    adj = defaultdict(lambda: 0.0)
    adj[root] = np.array(1.0)
    for name in order:
        for parent, contribution in zip(graph[name]["inputs"], local_vjp(graph[name], adj[name], values)):
            adj[parent] = adj[parent] + contribution
    return {name: np.asarray(adj[name], dtype=np.float64) for name in order}
""",
    },
}

POINTS = {"test_unbroadcast": 2, "test_vjp_mul_sum": 2, "test_vjp_matmul": 2, "test_vjp_unary": 2,
          "test_topological_order": 2, "test_backpropagate": 3, "test_network_gradients": 2,
          "test_softmax_gradients": 2}


class AutodiffClass(PlantedMistakes):
    """PlantedMistakes with extra students who answer several cells differently (one autograde for all)."""

    def __init__(self, tmp_path_factory):
        self.assignment, self.mistakes = AUTODIFF, MISTAKES_16
        self.course = Course.copy(tmp_path_factory.mktemp(AUTODIFF), [AUTODIFF])
        self.course.submit(AUTODIFF, "correct", self.course.student_notebook(AUTODIFF))
        for student, (cell, source, _, _) in MISTAKES_16.items():
            self.course.submit(AUTODIFF, student, self.course.student_notebook(AUTODIFF, {cell: source}))
        for student, answers in DIFFERENT_BUT_RIGHT.items():
            self.course.submit(AUTODIFF, student, self.course.student_notebook(AUTODIFF, answers))
        self.course.autograde(AUTODIFF)
        self.auto = {gid: points for gid, points in self.course.max_scores(AUTODIFF).items() if gid.startswith("test_")}
        self.scores = self.course.scores(AUTODIFF)


@pytest.fixture(scope="module")
def autodiff_class(tmp_path_factory):
    return AutodiffClass(tmp_path_factory)


def test_correct_student_gets_every_point(autodiff_class):
    autodiff_class.assert_correct_student_gets_every_point(POINTS)


@pytest.mark.parametrize("student", sorted(MISTAKES_16))
def test_mistake_costs_its_item_and_is_named(autodiff_class, student):
    autodiff_class.assert_only_item_lost(student)


@pytest.mark.parametrize("student", sorted(DIFFERENT_BUT_RIGHT))
def test_right_answers_written_differently_get_every_point(autodiff_class, student):
    got = autodiff_class.scores[student]
    assert {gid: got[gid] for gid in POINTS} == POINTS
    assert autodiff_class.course.feedback_errors(AUTODIFF, student) == ""
