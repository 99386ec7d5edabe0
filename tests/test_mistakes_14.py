"""Planted students for assignment 14_relu_neuron (leaky ReLU, absolute error, safe steps), by the real nbgrader loop.

One course copy, ONE autograde call. Classes of issue 12 covered here: a kink convention broken only exactly at the
kink (z = 0, output = target), the wrong side of the kink, a missing 2 or 1/N, an unsummed bias gradient, an input
zeroed in place (`X[mask] = 0`), a safe step that ignores the input scale or the bias, gradient ascent.
"""
import pytest

from planted import PlantedClass

ASSIGNMENT = "14_relu_neuron"


def leaky(dz, ret="X.T @ dz, float(np.sum(dz))"):
    return f"""
def leaky_mse_gradient(w, b, X, y, slope):
    N = X.shape[0]
    z = X @ w + b
    a = np.where(z > 0, z, slope * z)
    dz = {dz}
    return {ret}
"""


def mae(dz, ret="X.T @ dz, float(np.sum(dz))"):
    return f"""
def mae_gradient(w, b, X, y):
    N = X.shape[0]
    z = X @ w + b
    dz = {dz}
    return {ret}
"""


MISTAKES = {
    "leaky_slope_missing": ("leaky_mse_gradient", leaky("2 * (a - y) * (z > 0) / N"), "test_leaky_mse_gradient",
                            ["[the slope is missing on the left"]),
    "leaky_error_uses_z": ("leaky_mse_gradient", leaky("2 * (z - y) * np.where(z > 0, 1.0, slope) / N"),
                           "test_leaky_mse_gradient", ["[the error uses z instead of the neuron's output"]),
    "leaky_kink_convention": ("leaky_mse_gradient", leaky("2 * (a - y) * np.where(z >= 0, 1.0, slope) / N"),
                              "test_leaky_mse_gradient", ["[leaky'(0) taken as 1"]),
    "leaky_missing_2": ("leaky_mse_gradient", leaky("(a - y) * np.where(z > 0, 1.0, slope) / N"),
                        "test_leaky_mse_gradient", ["[missing the 2"]),
    "leaky_missing_N": ("leaky_mse_gradient", leaky("2 * (a - y) * np.where(z > 0, 1.0, slope)"),
                        "test_leaky_mse_gradient", ["[missing 1/N"]),
    "leaky_bias_not_summed": ("leaky_mse_gradient", leaky("2 * (a - y) * np.where(z > 0, 1.0, slope) / N",
                                                          ret="X.T @ dz, dz"),
                              "test_leaky_mse_gradient", ["[db not summed"]),
    "leaky_masks_X_in_place": ("leaky_mse_gradient", """
def leaky_mse_gradient(w, b, X, y, slope):
    z = X @ w + b
    a = np.where(z > 0, z, slope * z)
    X[z <= 0] *= slope                         # fold the slope into the inputs ... of the caller
    e = 2 * (a - y) / X.shape[0]
    return X.T @ e, float(np.sum(e * np.where(z > 0, 1.0, slope)))
""", "test_leaky_mse_gradient", ["[modifies its input]", "leaky_mse_gradient"]),
    "mae_no_mask": ("mae_gradient", mae("np.sign(np.maximum(0.0, z) - y) / N"), "test_mae_gradient",
                    ["[the ReLU mask is missing"]),
    "mae_sign_error": ("mae_gradient", mae("np.sign(y - np.maximum(0.0, z)) * (z > 0) / N"), "test_mae_gradient",
                       ["[sign error"]),
    "mae_squared_error_form": ("mae_gradient", mae("2 * (np.maximum(0.0, z) - y) * (z > 0) / N"),
                               "test_mae_gradient", ["[used the squared error's"]),
    "mae_sign_at_zero": ("mae_gradient", mae("np.where(np.maximum(0.0, z) >= y, 1.0, -1.0) * (z > 0) / N"),
                         "test_mae_gradient", ["[|u|' at u = 0 taken as ±1"]),
    "safe_ignores_input_scale": ("max_safe_step", """
def max_safe_step(w, b, X):
    return float(np.min(np.abs(X @ w + b)))
""", "test_max_safe_step", ["[ignores the size of the inputs"]),
    "safe_forgets_bias": ("max_safe_step", """
def max_safe_step(w, b, X):
    return float(np.min(np.abs(X @ w + b) / np.max(np.abs(X), axis=1)))
""", "test_max_safe_step", ["[forgot the bias"]),
    "safe_uses_norm": ("max_safe_step", """
def max_safe_step(w, b, X):
    return float(np.min(np.abs(X @ w + b) / np.maximum(1.0, np.linalg.norm(X, axis=1))))
""", "test_max_safe_step", ["[divided by the norm"]),
    "train_ascent": ("train_leaky_neuron", """
def train_leaky_neuron(w, b, X, y, slope, learning_rate, steps):
    losses = [leaky_mse(w, b, X, y, slope)]
    for _ in range(steps):
        dw, db = leaky_mse_gradient(w, b, X, y, slope)
        w, b = w + learning_rate * dw, b + learning_rate * db
        losses.append(leaky_mse(w, b, X, y, slope))
    return w, b, np.array(losses)
""", "test_train", ["[gradient ascent]"]),
    "train_one_update_too_many": ("train_leaky_neuron", """
def train_leaky_neuron(w, b, X, y, slope, learning_rate, steps):
    losses = []
    for _ in range(steps + 1):                   # steps = 0 still takes a step
        losses.append(leaky_mse(w, b, X, y, slope))
        dw, db = leaky_mse_gradient(w, b, X, y, slope)
        w, b = w - learning_rate * dw, b - learning_rate * db
    return w, b, np.array(losses)
""", "test_train", ["the returned w is wrong"]),
}

ALTERNATIVES = {
    "leaky_loops_and_prints": ("leaky_mse_gradient", """
def leaky_mse_gradient(w, b, X, y, slope):
    N, n = X.shape
    dw, db = np.zeros(n), 0.0
    for i in range(N):
        z = float(X[i] @ w + b)
        out, d = (z, 1.0) if z > 0 else (slope * z, slope)
        g = 2.0 * (out - y[i]) * d / N
        dw = dw + g * X[i]
        db += g
    print("dw", dw, "db", db)
    return dw, np.array(db)
"""),
    "mae_boolean_indexing_on_a_copy": ("mae_gradient", """
def mae_gradient(w, b, X, y):
    z = X @ w + b
    active = z > 0
    Xa = X[active].copy()
    s = np.sign(z[active] - y[active])
    return np.einsum("i,ij->j", s, Xa) / X.shape[0] if active.any() else np.zeros(X.shape[1]), s.sum() / X.shape[0]
"""),
    "safe_loop": ("max_safe_step", """
def max_safe_step(w, b, X):
    best = np.inf
    for x_i in X:
        z = abs(float(x_i @ w + b))
        for reach in [1.0, *np.abs(x_i)]:
            if reach > 0:
                best = min(best, z / reach)
    return best
"""),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    return PlantedClass(tmp_path_factory, ASSIGNMENT, MISTAKES, ALTERNATIVES)


def test_correct_student_gets_every_point(graded):
    graded.assert_correct_student_gets_every_point({"test_leaky_mse_gradient": 3, "test_mae_gradient": 3,
                                                    "test_max_safe_step": 2, "test_train": 2})


@pytest.mark.parametrize("student", sorted(ALTERNATIVES))
def test_correct_but_different_gets_every_point(graded, student):
    graded.assert_full_marks(student)


@pytest.mark.parametrize("student", sorted(MISTAKES))
def test_mistake_costs_its_item_and_is_named(graded, student):
    graded.assert_only_item_lost(student)
