"""Planted students for assignment 11_perceptron_classification (labels ±1), graded by the real nbgrader loop.

One course copy, ONE autograde call: each one-mistake student loses exactly its item and the feedback names the
mistake (classes of issue 12: overflow at saturated scores, missing 1/m, a formula for other labels, transposed or
unsummed gradients, a function that writes to its input, gradient ascent, a loss list one entry short); each
student who writes a correct answer differently (log1p form, tanh-based sigmoid, loops, einsum, debug prints) gets
every point, also when their correct code makes NumPy warn.
"""
import pytest

from planted import PlantedClass

ASSIGNMENT = "11_perceptron_classification"


def grad(body):
    return "def margin_log_loss_grad(W, b, X, T):\n    m = X.shape[1]\n    Z = W @ X + b\n" + body


STABLE_DZ = "    dZ = -T * np.exp(-np.logaddexp(0.0, T * Z)) / m\n"

MISTAKES = {
    # student: (solution cell, wrong source, graded item that must drop to 0, words the feedback must contain)
    "loss_naive_log": ("margin_log_loss", """
def margin_log_loss(W, b, X, T):
    return float(np.mean(-np.log(1 / (1 + np.exp(-T * (W @ X + b))))))   # log(0) at a margin of -800
""", "test_margin_log_loss", ["contains NaN or inf", "overflow"]),
    "loss_summed": ("margin_log_loss", """
def margin_log_loss(W, b, X, T):
    return float(np.sum(np.logaddexp(0.0, -T * (W @ X + b))))
""", "test_margin_log_loss", ["[missing 1/m"]),
    "loss_zero_one_formula": ("margin_log_loss", """
def margin_log_loss(W, b, X, T):
    Z = W @ X + b
    return float(-np.mean(T * -np.logaddexp(0.0, -Z) + (1 - T) * -np.logaddexp(0.0, Z)))
""", "test_margin_log_loss", ["[used the 0/1-label formula with t in place of y"]),
    "grad_sign": ("margin_log_loss_grad", grad(STABLE_DZ + "    return -(dZ @ X.T), -np.sum(dZ, axis=1, keepdims=True)\n"),
                  "test_margin_log_loss_grad", ["[sign error"]),
    "grad_missing_m": ("margin_log_loss_grad", grad(STABLE_DZ + "    return m * dZ @ X.T, m * np.sum(dZ, axis=1, keepdims=True)\n"),
                       "test_margin_log_loss_grad", ["[missing 1/m"]),
    "grad_zero_one_formula": ("margin_log_loss_grad", grad(
        "    dZ = (1 / (1 + np.exp(-Z)) - T) / m\n    return dZ @ X.T, np.sum(dZ, axis=1, keepdims=True)\n"),
        "test_margin_log_loss_grad", ["[used σ(z) − t, the 0/1-label formula"]),
    "grad_transposed": ("margin_log_loss_grad", grad(STABLE_DZ + "    return X @ dZ.T, np.sum(dZ, axis=1, keepdims=True)\n"),
                        "test_margin_log_loss_grad", ["[transposed", "dW = margin_log_loss_grad"]),
    "grad_bias_not_summed": ("margin_log_loss_grad", grad(STABLE_DZ + "    return dZ @ X.T, dZ\n"),
                             "test_margin_log_loss_grad", ["[not summed over the batch"]),
    "grad_no_keepdims": ("margin_log_loss_grad", grad(STABLE_DZ + "    return dZ @ X.T, np.sum(dZ, axis=1)\n"),
                         "test_margin_log_loss_grad", ["[missing keepdims", "(1,)"]),
    "grad_overflows_to_nan": ("margin_log_loss_grad", grad(
        "    e = np.exp(-T * Z)                              # inf at a margin of -1000\n"
        "    dZ = -T * e / (1 + e) / m\n    return dZ @ X.T, np.sum(dZ, axis=1, keepdims=True)\n"),
        "test_margin_log_loss_grad", ["contains NaN or inf", "overflow"]),
    "grad_relabels_in_place": ("margin_log_loss_grad", """
def margin_log_loss_grad(W, b, X, T):
    m = X.shape[1]
    T[T < 0] = 0                                     # turn the labels into 0/1 ... in the caller's array
    dZ = (np.exp(-np.logaddexp(0.0, -(W @ X + b))) - T) / m
    return dZ @ X.T, np.sum(dZ, axis=1, keepdims=True)
""", "test_margin_log_loss_grad", ["[modifies its input]", "margin_log_loss_grad"]),
    "hessian_missing_m": ("margin_log_loss_hessian", """
def margin_log_loss_hessian(W, b, X, T):
    u = T * (W @ X + b)
    s = np.exp(-np.logaddexp(0.0, u) - np.logaddexp(0.0, -u))
    return (X * s) @ X.T
""", "test_margin_log_loss_hessian", ["[missing 1/m"]),
    "hessian_without_weights": ("margin_log_loss_hessian", """
def margin_log_loss_hessian(W, b, X, T):
    return X @ X.T / X.shape[1]
""", "test_margin_log_loss_hessian", ["[the weights σ(u)σ(−u) are missing"]),
    "hessian_gradient_factor": ("margin_log_loss_hessian", """
def margin_log_loss_hessian(W, b, X, T):
    u = T * (W @ X + b)
    return (X * (-T * np.exp(-np.logaddexp(0.0, u)))) @ X.T / X.shape[1]
""", "test_margin_log_loss_hessian", ["[used the gradient's factor"]),
    "fit_ascent": ("fit_margin_classifier", """
def fit_margin_classifier(X, T, learning_rate, steps):
    W, b = np.zeros((1, X.shape[0])), np.zeros((1, 1))
    losses = [margin_log_loss(W, b, X, T)]
    for _ in range(steps):
        dW, db = margin_log_loss_grad(W, b, X, T)
        W, b = W + learning_rate * dW, b + learning_rate * db
        losses.append(margin_log_loss(W, b, X, T))
    return W, b, np.array(losses)
""", "test_fit", ["[gradient ascent]"]),
    "fit_losses_before_each_step_only": ("fit_margin_classifier", """
def fit_margin_classifier(X, T, learning_rate, steps):
    W, b = np.zeros((1, X.shape[0])), np.zeros((1, 1))
    losses = []
    for _ in range(steps):
        losses.append(margin_log_loss(W, b, X, T))
        dW, db = margin_log_loss_grad(W, b, X, T)
        W, b = W - learning_rate * dW, b - learning_rate * db
    return W, b, np.array(losses)
""", "test_fit", ["losses has", "the loss at the start and after each of the steps"]),
}

ALTERNATIVES = {
    "loss_log1p_with_prints": ("margin_log_loss", """
def margin_log_loss(W, b, X, T):
    u = (T * (W @ X + b)).ravel()
    print("margins:", u[:3])
    per_example = np.maximum(-u, 0.0) + np.log1p(np.exp(-np.abs(u)))
    return np.mean(per_example)
"""),
    "loss_where_evaluates_both_branches": ("margin_log_loss", """
def margin_log_loss(W, b, X, T):
    u = T * (W @ X + b)
    # np.where evaluates both branches: exp overflows (a warning) in the branch it then discards
    return float(np.mean(np.where(u > 0, np.log1p(np.exp(-u)), -u + np.log1p(np.exp(u)))))
"""),
    "grad_tanh_sigmoid_loops": ("margin_log_loss_grad", """
def margin_log_loss_grad(W, b, X, T):
    n, m = X.shape
    dW, db = np.zeros((1, n)), np.zeros((1, 1))
    for j in range(m):
        t = T[0, j]
        z = float(W[0] @ X[:, j] + b[0, 0])
        s = 0.5 * (1 - np.tanh(t * z / 2))          # σ(−tz) written with tanh
        dW[0] += -t * s * X[:, j] / m
        db[0, 0] += -t * s / m
    return dW, db
"""),
    "grad_einsum": ("margin_log_loss_grad", """
def margin_log_loss_grad(W, b, X, T):
    u = T * (np.einsum("ij,jk->ik", W, X) + b)
    dZ = -T * np.where(u > 0, np.exp(-u) / (1 + np.exp(-np.abs(u))), 1 / (1 + np.exp(-np.abs(u)))) / X.shape[1]
    return np.einsum("ik,jk->ij", dZ, X), dZ.sum(keepdims=True)
"""),
    "hessian_naive_sigmoid_einsum": ("margin_log_loss_hessian", """
def margin_log_loss_hessian(W, b, X, T):
    z = (W @ X + b)[0]
    s = 1 / (1 + np.exp(-z))                  # overflows to inf/0 harmlessly: s(1 − s) is then 0
    return np.einsum("j,ij,kj->ik", s * (1 - s), X, X) / X.shape[1]
"""),
    "fit_while_loop": ("fit_margin_classifier", """
def fit_margin_classifier(X, T, learning_rate, steps):
    params = [np.zeros((1, X.shape[0])), np.zeros((1, 1))]
    history = [margin_log_loss(*params, X, T)]
    k = 0
    while k < steps:
        grads = margin_log_loss_grad(params[0], params[1], X, T)
        params = [p - learning_rate * g for p, g in zip(params, grads)]
        history.append(margin_log_loss(*params, X, T))
        k += 1
    return params[0], params[1], np.asarray(history)
"""),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    return PlantedClass(tmp_path_factory, ASSIGNMENT, MISTAKES, ALTERNATIVES)


def test_correct_student_gets_every_point(graded):
    graded.assert_correct_student_gets_every_point(
        {"test_margin_log_loss": 2, "test_margin_log_loss_grad": 4, "test_margin_log_loss_hessian": 3,
         "test_fit": 2})


@pytest.mark.parametrize("student", sorted(ALTERNATIVES))
def test_correct_but_different_gets_every_point(graded, student):
    graded.assert_full_marks(student)


@pytest.mark.parametrize("student", sorted(MISTAKES))
def test_mistake_costs_its_item_and_is_named(graded, student):
    graded.assert_only_item_lost(student)
