"""Planted mistakes for assignment 17_capstone_digits, graded by the real nbgrader loop.

One course copy, one submitted student per classic mistake, one correct student and a few students whose right
answers are written differently; ONE autograde call. Each mistake must cost exactly the points of its item, leave
every other auto-graded item at full marks, and the error messages in the student's feedback must name it.
"""
import re

import nbformat
import pytest

from harness import REPO, SOLUTION_REGION, PlantedMistakes

ASSIGNMENT = "17_capstone_digits"
ITEMS = {"test_penalty_gradient": 2, "test_logits_gradient": 2, "test_relu_layer_vjp": 3,
         "test_momentum_step": 2, "test_fit": 3}


def _vjp(mask_and_grads):
    return f"""
def relu_layer_vjp(X, W, b, upstream):
    Z = X @ W + b
{mask_and_grads}
"""


def _fit(loop):
    return f"""
def fit(params, X, labels, grad_fn, lr, beta, epochs, batch_size, seed):
    rng = np.random.default_rng(seed)
    velocity = {{k: np.zeros_like(P) for k, P in params.items()}}
    losses = []
{loop}
    return {{"params": params, "losses": losses}}
"""


FIT_BODY = """
    for _ in range(epochs):
        order = rng.permutation(len(labels))
        for start in range(0, {stop}, batch_size):
            batch = order[start:start + batch_size]
            loss, grads = grad_fn(params, X[batch], labels[batch])
            losses.append(float(loss))
            params, velocity = momentum_step(params, velocity, grads, lr, beta)"""

MISTAKES = {
    # student: (solution cell, wrong source, graded item that must drop to 0, words the feedback must contain)
    "bias_decayed": ("penalty_gradient", """
def penalty_gradient(params, strength):
    return {key: strength * P for key, P in params.items()}      # the biases decayed too
""", "test_penalty_gradient", ["weight decay applied to a bias", 'penalty_gradient(params, strength)["b1"]']),
    "decay_factor_two": ("penalty_gradient", """
def penalty_gradient(params, strength):
    return {key: 2 * strength * P if key.startswith("W") else 0 * P for key, P in params.items()}
""", "test_penalty_gradient", ["factor 2 too many"]),
    "decay_key_missing": ("penalty_gradient", """
def penalty_gradient(params, strength):
    return {key: strength * P for key, P in params.items() if key.startswith("W")}   # biases left out
""", "test_penalty_gradient", ["exactly the keys of params"]),
    "logits_without_one_over_m": ("logits_gradient", """
def logits_gradient(Z, labels):
    return softmax_rows(Z) - np.eye(Z.shape[1])[labels]           # p − y, no 1/m
""", "test_logits_gradient", ["p − y without the 1/m"]),
    "logits_sign": ("logits_gradient", """
def logits_gradient(Z, labels):
    return (np.eye(Z.shape[1])[labels] - softmax_rows(Z)) / len(labels)
""", "test_logits_gradient", ["sign error: the gradient is (p − y)/m"]),
    "logits_hard_coded_batch": ("logits_gradient", """
def logits_gradient(Z, labels):
    return (softmax_rows(Z) - np.eye(Z.shape[1])[labels]) / 5      # right only for the visible batch of 5
""", "test_logits_gradient", ["[factor ×"]),
    "logits_modifies_input": ("logits_gradient", """
def logits_gradient(Z, labels):
    Z -= Z.max(axis=1, keepdims=True)                             # in place: changes the caller's array
    P = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
    return (P - np.eye(Z.shape[1])[labels]) / len(labels)
""", "test_logits_gradient", ["[modified its input]", "read-only"]),
    "relu_mask_wrong_side": ("relu_layer_vjp", _vjp("""    G = upstream * (Z < 0)
    return {"dX": G @ W.T, "dW": X.T @ G, "db": G.sum(axis=0)}"""),
        "test_relu_layer_vjp", ["ReLU mask on the wrong side"]),
    "relu_times_output": ("relu_layer_vjp", _vjp("""    G = upstream * np.maximum(Z, 0)
    return {"dX": G @ W.T, "dW": X.T @ G, "db": G.sum(axis=0)}"""),
        "test_relu_layer_vjp", ["multiplied the upstream gradient by the activation H"]),
    "relu_mask_from_input": ("relu_layer_vjp", _vjp("""    return {"dX": (upstream @ W.T) * (X > 0), "dW": X.T @ upstream, "db": upstream.sum(axis=0)}"""),
        "test_relu_layer_vjp", ["the mask taken from the layer's input X"]),
    "relu_dW_transposed": ("relu_layer_vjp", _vjp("""    G = upstream * (Z > 0)
    return {"dX": G @ W.T, "dW": G.T @ X, "db": G.sum(axis=0)}"""),
        "test_relu_layer_vjp", ["dW computed as Gᵀ X: that is the transpose"]),
    "relu_db_not_summed": ("relu_layer_vjp", _vjp("""    G = upstream * (Z > 0)
    return {"dX": G @ W.T, "dW": X.T @ G, "db": G}"""),
        "test_relu_layer_vjp", ["[missing batch sum]"]),
    "momentum_wrong_sign": ("momentum_step", """
def momentum_step(params, velocity, grads, lr, beta):
    v = {k: beta * velocity[k] + lr * grads[k] for k in params}    # climbs
    return {k: params[k] + v[k] for k in params}, v
""", "test_momentum_step", ["momentum with the wrong sign"]),
    "momentum_torch_form": ("momentum_step", """
def momentum_step(params, velocity, grads, lr, beta):
    u = {k: beta * velocity[k] + grads[k] for k in params}         # PyTorch's buffer, not the step
    return {k: params[k] - lr * u[k] for k in params}, u
""", "test_momentum_step", ["PyTorch's form"]),
    "momentum_ignores_velocity": ("momentum_step", """
def momentum_step(params, velocity, grads, lr, beta):
    v = {k: -lr * grads[k] for k in params}                        # passes the visible contract checks
    return {k: params[k] + v[k] for k in params}, v
""", "test_momentum_step", ["momentum not used"]),
    "momentum_modifies_input": ("momentum_step", """
def momentum_step(params, velocity, grads, lr, beta):
    for k in params:                                               # updates the caller's arrays in place
        velocity[k] *= beta
        velocity[k] -= lr * grads[k]
        params[k] += velocity[k]
    return params, velocity
""", "test_momentum_step", ["[modified its input]"]),
    "fit_drops_last_batch": ("fit", _fit(FIT_BODY.format(stop="len(labels) - batch_size + 1")),
                             "test_fit", ["calls of grad_fn in all"]),
    "fit_one_permutation": ("fit", _fit("""
    order = rng.permutation(len(labels))                           # drawn once, reused every epoch
    for _ in range(epochs):
        for start in range(0, len(labels), batch_size):
            batch = order[start:start + batch_size]
            loss, grads = grad_fn(params, X[batch], labels[batch])
            losses.append(float(loss))
            params, velocity = momentum_step(params, velocity, grads, lr, beta)"""),
        "test_fit", ["the contract's order"]),
    "fit_velocity_reset": ("fit", _fit(FIT_BODY.format(stop="len(labels)").replace(
        "        order = rng", "        velocity = {k: np.zeros_like(P) for k, P in params.items()}\n        order = rng")),
        "test_fit", ["the velocity starts at zero and is carried across batches and epochs"]),
}

# Right answers written differently from the master solution: full marks on every item.
ALTERNATIVES = {
    "alt_penalty": ("penalty_gradient", """
def penalty_gradient(params, strength):
    out = {}
    for key in params:
        P = np.asarray(params[key])
        out[key] = np.zeros(P.shape) if key[0] == "b" else P * strength
    return out
"""),
    "alt_logits": ("logits_gradient", """
def logits_gradient(Z, labels):
    m, k = Z.shape
    shifted = Z - np.max(Z, axis=1)[:, None]
    p = np.exp(shifted) / np.sum(np.exp(shifted), axis=1)[:, None]
    y = np.zeros((m, k))
    y[np.arange(m), labels] = 1
    return (p - y) * (1.0 / m)
"""),
    "alt_vjp": ("relu_layer_vjp", """
def relu_layer_vjp(X, W, b, upstream):
    G = np.where(X @ W + b > 0, upstream, 0.0)
    return {"db": np.ones(len(X)) @ G, "dW": np.einsum("mi,mo->io", X, G), "dX": np.einsum("mo,io->mi", G, W)}
"""),
    "alt_momentum": ("momentum_step", """
def momentum_step(params, velocity, grads, lr, beta):
    new_params, new_velocity = {}, {}
    for key, value in params.items():
        step = -lr * np.asarray(grads[key]) + beta * np.asarray(velocity[key])
        new_velocity[key] = step
        new_params[key] = value + step
    return new_params, new_velocity
"""),
    "alt_fit": ("fit", """
def fit(params, X, labels, grad_fn, lr, beta, epochs, batch_size, seed):
    rng = np.random.default_rng(seed)
    m = X.shape[0]
    velocity = {k: 0 * np.asarray(v) for k, v in params.items()}
    history = []
    for epoch in range(epochs):
        perm = rng.permutation(m)
        start = 0
        while start < m:
            idx = perm[start:min(start + batch_size, m)]
            value, g = grad_fn(params, X[idx, :], labels[idx])
            params, velocity = momentum_step(params, velocity, g, lr, beta)
            history.append(value)
            start += batch_size
    return {"params": params, "losses": history}
"""),
}


@pytest.fixture(scope="module")
def digits_class(tmp_path_factory):
    students = dict(MISTAKES)
    students.update({name: (cell, source, None, []) for name, (cell, source) in ALTERNATIVES.items()})
    return PlantedMistakes(tmp_path_factory, ASSIGNMENT, students)


def test_correct_student_gets_every_point(digits_class):
    digits_class.assert_correct_student_gets_every_point(ITEMS)


@pytest.mark.parametrize("student", sorted(MISTAKES))
def test_mistake_costs_its_item_and_is_named(digits_class, student):
    digits_class.assert_only_item_lost(student)


@pytest.mark.parametrize("student", sorted(ALTERNATIVES))
def test_right_answers_written_differently_get_every_point(digits_class, student):
    got = digits_class.scores[student]
    assert {gid: got[gid] for gid in ITEMS} == ITEMS
    assert digits_class.course.feedback_errors(ASSIGNMENT, student) == ""


def _cells(folder):
    return nbformat.read(REPO / folder / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4).cells


def test_released_notebook_holds_no_answer_and_no_mistake_label():
    """Neither a solution line that computes something nor the hidden tests' named mistakes (which state the right formula) are released."""
    released = "\n".join(c.source for c in _cells("exercises"))
    master = _cells("solutions")
    formula_lines = {line.strip() for c in master if c.metadata.get("nbgrader", {}).get("solution")
                     and c.cell_type == "code"
                     for region in re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", c.source, re.S)
                     for line in region.splitlines() if re.search(r"[*/@]| [-+] ", line)}
    assert len(formula_lines) >= 5 and not [line for line in formula_lines if line in released]
    hidden = "\n".join(re.findall(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", "\n".join(c.source for c in master), re.S))
    labels = re.findall(r'"([^"\n]{25,})', hidden)
    assert labels and not [label for label in labels if label in released]
    assert not SOLUTION_REGION.search(released)
