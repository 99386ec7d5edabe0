"""Planted mistakes for assignment 13_backpropagation, graded by the real nbgrader loop.

One course copy, one submitted student per classic mistake plus one correct student, ONE autograde call.
Each mistake must cost exactly the points of the item it belongs to, leave every other auto-graded item at
full marks, and the error messages in the student's feedback must name the mistake.
"""
import pytest

from harness import PlantedMistakes

ASSIGNMENT = "13_backpropagation"


def _layer_backward(dw, db, da):
    return f"""
def layer_backward(dZ, layer_cache):
    A_prev, W, Z, A = layer_cache
    dW = {dw}
    db = {db}
    dA_prev = {da}
    return dA_prev, dW, db
"""


def _backward(dz_last, deriv, index="l - 1"):
    return f"""
def backward(AL, Y, caches):
    L, m = len(caches), Y.shape[1]
    grads = {{}}
    dZ = {dz_last}
    for l in range(L, 0, -1):
        dA_prev, grads[f"dW{{l}}"], grads[f"db{{l}}"] = layer_backward(dZ, caches[{index}])
        if l > 1:
            A_prev, W, Z, A = caches[l - 1]
            Z_prev = caches[l - 2][2]
            dZ = dA_prev * {deriv}
    return grads
"""


OK_DW, OK_DB, OK_DA = "dZ @ A_prev.T", "np.sum(dZ, axis=1, keepdims=True)", "W.T @ dZ"
OK_DZ, OK_DERIV = "(AL - Y) / m", "A_prev * (1 - A_prev)"

MISTAKES = {
    # student: (solution cell, wrong source, graded item that must drop to 0, words the feedback must contain)
    "forward_cache_stores_A_as_A_prev": ("forward", """
def forward(X, params):
    L = len(params) // 2
    A, caches = X, []
    for l in range(1, L + 1):
        W, b = params[f"W{l}"], params[f"b{l}"]
        Z = W @ A + b
        A = sigmoid(Z)
        caches.append((A, W, Z, A))          # the layer's output stored where its input belongs
    return A, caches
""", "test_forward", ["A_prev has the right shape but wrong values", "A_prev of layer l is the activation"]),
    "bias_not_summed": ("layer_backward", _layer_backward(OK_DW, "dZ", OK_DA),
                        "test_layer_backward", ["[missing batch sum]", "db = layer_backward(dZ, cache)[2]"]),
    "bias_missing_keepdims": ("layer_backward", _layer_backward(OK_DW, "np.sum(dZ, axis=1)", OK_DA),
                              "test_layer_backward", ["[missing keepdims]", "keepdims=True"]),
    "bias_averaged": ("layer_backward", _layer_backward(OK_DW, "np.mean(dZ, axis=1, keepdims=True)", OK_DA),
                      "test_layer_backward", ["bias gradient averaged instead of summed"]),
    "elementwise_instead_of_matmul": ("layer_backward", _layer_backward("dZ * A_prev", OK_DB, OK_DA),
                                      "test_layer_backward",
                                      ["[element-wise * where a matrix product belongs]", "dZ @ A_prev.T"]),
    "transposed_weight_gradient": ("layer_backward", _layer_backward("A_prev @ dZ.T", OK_DB, OK_DA),
                                   "test_layer_backward", ["transposed weight gradient", "dW = dZ @ A_prev.T"]),
    "W_instead_of_WT": ("layer_backward", _layer_backward(OK_DW, OK_DB, "W @ dZ"),
                        "test_layer_backward", ["δ propagated with W instead of Wᵀ", "dA_prev = W.T @ dZ"]),
    "derivative_of_z_not_a": ("backward", _backward(OK_DZ, "Z_prev * (1 - Z_prev)"),
                              "test_backward", ["the activation derivative applied to Z instead of A"]),
    "derivative_at_a": ("backward", _backward(OK_DZ, "sigmoid(A_prev) * (1 - sigmoid(A_prev))"),
                        "test_backward", ["the activation derivative applied to A instead of Z", "σ'(σ(Z))"]),
    "sign_error": ("backward", _backward("(Y - AL) / m", OK_DERIV),
                   "test_backward", ["sign error", "δ^L = (A^L − Y)/m"]),
    "missing_one_over_m": ("backward", _backward("AL - Y", OK_DERIV),
                           "test_backward", ["missing 1/m", "the loss is the mean"]),
    "wrong_layers_cache": ("backward", _backward(OK_DZ, "A * (1 - A)"),
                           "test_backward", ["using the wrong layer's cache", "A_prev of caches[l-1]"]),
    "cache_index_off_by_one": ("backward", _backward(OK_DZ, OK_DERIV, index="l"),
                               "test_backward", ["[using the wrong layer's cache]", "caches[l-1]"]),
    "biases_not_counted": ("gradient_costs", """
def gradient_costs(layer_dims):
    n = sum(layer_dims[l] * layer_dims[l - 1] for l in range(1, len(layer_dims)))
    return n, 2 * n
""", "test_gradient_costs", ["[biases not counted]"]),
    "one_sided_count": ("gradient_costs", """
def gradient_costs(layer_dims):
    n = sum(layer_dims[l] * (layer_dims[l - 1] + 1) for l in range(1, len(layer_dims)))
    return n, n
""", "test_gradient_costs", ["[one-sided differences]", "2n"]),
}


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    return PlantedMistakes(tmp_path_factory, ASSIGNMENT, MISTAKES)


def test_correct_student_gets_every_point(graded_class):
    graded_class.assert_correct_student_gets_every_point(
        {"test_forward": 2, "test_layer_backward": 3, "test_backward": 4, "test_gradient_costs": 2})


@pytest.mark.parametrize("student", sorted(MISTAKES))
def test_mistake_costs_its_item_and_is_named(graded_class, student):
    graded_class.assert_only_item_lost(student)


def test_backward_check_restores_the_students_functions_even_when_it_fails():
    """The hidden test grades backward with a correct forward/layer_backward and must put the student's back."""
    import json
    from pathlib import Path
    nb = json.loads((Path(__file__).resolve().parents[1] / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text())
    cells = {c["metadata"].get("nbgrader", {}).get("grade_id"): "".join(c["source"])
             for c in nb["cells"] if c["cell_type"] == "code"}
    for wrong in (False, True):
        ns = {}
        for key in ("imports", "helpers", "forward", "layer_backward", "backward"):
            exec(cells[key], ns)
        own = ns["forward"], ns["layer_backward"]
        if wrong:
            exec(cells["backward"].replace("dZ = (AL - Y) / m", "dZ = (Y - AL) / m"), ns)
        try:
            exec(cells["test_backward"], ns)
            failed = False
        except Exception:                              # a failed check (GradientCheckError is an AssertionError)
            failed = True
        assert failed == wrong
        assert (ns["forward"], ns["layer_backward"]) == own
