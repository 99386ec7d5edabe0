"""Planted students for assignment 10_perceptron_regression, graded by the real nbgrader loop.

One course copy, one autograde call: a correct student, one student per realistic mistake (each must lose
exactly its item, and the feedback's errors must name the mistake), and students who are right but write it
differently (each must keep every point, with no error in the feedback).
"""

import pytest

from harness import PlantedMistakes

REGRESSION = "10_perceptron_regression"
ITEMS = {"test_ridge_gradients": 3, "test_huber_gradients": 3, "test_ridge_hessian": 2, "test_fit_ridge": 2}

MISTAKES = {
    "ridge_decays_bias": ("ridge_gradients", """
def ridge_gradients(w, b, X, y, lam):
    r = (w @ X + b - y) / X.shape[1]
    return r @ X.T + lam * w, r.sum(axis=1, keepdims=True) + lam * b
""", "test_ridge_gradients", ["[weight decay also applied to the bias"]),
    "ridge_half_lambda": ("ridge_gradients", """
def ridge_gradients(w, b, X, y, lam):
    r = (w @ X + b - y) / X.shape[1]
    return r @ X.T + 0.5 * lam * w, r.sum(axis=1, keepdims=True)
""", "test_ridge_gradients", ["[penalty gradient taken as λ/2·w"]),
    "ridge_sum_not_mean": ("ridge_gradients", """
def ridge_gradients(w, b, X, y, lam):
    r = w @ X + b - y
    return r @ X.T + lam * w, r.sum(axis=1, keepdims=True)
""", "test_ridge_gradients", ["[missing 1/m"]),
    "ridge_bias_gradient_scalar": ("ridge_gradients", """
def ridge_gradients(w, b, X, y, lam):
    r = (w @ X + b - y) / X.shape[1]
    return r @ X.T + lam * w, float(r.sum())
""", "test_ridge_gradients", ["db has shape ()", "(1, 1)"]),
    "ridge_decay_in_place": ("ridge_gradients", """
def ridge_gradients(w, b, X, y, lam):
    r = (w @ X + b - y) / X.shape[1]
    dw = r @ X.T
    w *= lam                                                    # reuses w's memory
    return dw + w, r.sum(axis=1, keepdims=True)
""", "test_ridge_gradients", ["your function writes to its input"]),
    "huber_unit_slope": ("huber_gradients", """
def huber_gradients(w, b, X, y, delta):
    r = w @ X + b - y
    g = np.where(np.abs(r) <= delta, r, np.sign(r)) / X.shape[1]
    return g @ X.T, g.sum(axis=1, keepdims=True)
""", "test_huber_gradients", ["[the linear piece's slope is ±δ"]),
    "huber_plain_mse": ("huber_gradients", """
def huber_gradients(w, b, X, y, delta):
    g = (w @ X + b - y) / X.shape[1]
    return g @ X.T, g.sum(axis=1, keepdims=True)
""", "test_huber_gradients", ["[used the squared-error gradient for every residual"]),
    "huber_clips_y_in_place": ("huber_gradients", """
def huber_gradients(w, b, X, y, delta):
    yhat = w @ X + b
    np.clip(y, yhat - delta, yhat + delta, out=y)               # clips the caller's targets
    g = (yhat - y) / X.shape[1]
    return g @ X.T, g.sum(axis=1, keepdims=True)
""", "test_huber_gradients", ["your function writes to its input"]),
    "hessian_decays_bias": ("ridge_hessian", """
def ridge_hessian(X, lam):
    Xb = np.vstack([X, np.ones((1, X.shape[1]))])
    return Xb @ Xb.T / X.shape[1] + lam * np.eye(X.shape[0] + 1)
""", "test_ridge_hessian", ["[weight decay also on the bias entry"]),
    "hessian_examples_gram": ("ridge_hessian", """
def ridge_hessian(X, lam):
    Xb = np.vstack([X, np.ones((1, X.shape[1]))])
    return Xb.T @ Xb / X.shape[1]
""", "test_ridge_hessian", ["[products of examples instead of features"]),
    "hessian_appends_row_in_place": ("ridge_hessian", """
def ridge_hessian(X, lam):
    n, m = X.shape
    X /= np.sqrt(m)                                             # scales the caller's X
    H = np.zeros((n + 1, n + 1))
    H[:n, :n] = X @ X.T + lam * np.eye(n)
    H[:n, n] = H[n, :n] = X.sum(axis=1) / np.sqrt(m)
    H[n, n] = 1.0
    return H
""", "test_ridge_hessian", ["your function writes to its input"]),
    "fit_steps_off_by_one": ("fit_ridge", """
def fit_ridge(X, y, lam, lr, steps):
    w, b = np.zeros((1, X.shape[0])), np.zeros((1, 1))
    losses = []
    for _ in range(steps):                                      # the starting loss is missing
        dw, db = ridge_gradients(w, b, X, y, lam)
        w, b = w - lr * dw, b - lr * db
        losses.append(ridge_loss(w, b, X, y, lam))
    return w, b, losses
""", "test_fit_ridge", ["steps + 1"]),
    "fit_ascent": ("fit_ridge", """
def fit_ridge(X, y, lam, lr, steps):
    w, b = np.zeros((1, X.shape[0])), np.zeros((1, 1))
    losses = [ridge_loss(w, b, X, y, lam)]
    for _ in range(steps):
        dw, db = ridge_gradients(w, b, X, y, lam)
        w, b = w + lr * dw, b + lr * db
        losses.append(ridge_loss(w, b, X, y, lam))
    return w, b, losses
""", "test_fit_ridge", ["[gradient ascent]"]),
    "fit_standardises_X_in_place": ("fit_ridge", """
def fit_ridge(X, y, lam, lr, steps):
    X -= X.mean(axis=1, keepdims=True)                          # changes the caller's data
    w, b = np.zeros((1, X.shape[0])), np.zeros((1, 1))
    losses = [ridge_loss(w, b, X, y, lam)]
    for _ in range(steps):
        dw, db = ridge_gradients(w, b, X, y, lam)
        w, b = w - lr * dw, b - lr * db
        losses.append(ridge_loss(w, b, X, y, lam))
    return w, b, losses
""", "test_fit_ridge", ["your function writes to its input"]),
}

DIFFERENT_BUT_RIGHT = {
    "ridge_loops_and_print": ("ridge_gradients", """
def ridge_gradients(w, b, X, y, lam):
    n, m = X.shape
    dw, db = np.zeros((1, n)), np.zeros((1, 1))
    for i in range(m):
        err = float(w[0] @ X[:, i] + b[0, 0] - y[0, i])
        dw[0] += err * X[:, i] / m
        db[0, 0] += err / m
    print("gradient norms:", np.linalg.norm(dw), abs(db[0, 0]))
    return dw + lam * w, db
""", None, []),
    "ridge_einsum": ("ridge_gradients", """
def ridge_gradients(w, b, X, y, lam):
    r = np.einsum('in,nm->im', w, X) + b - y
    m = r.shape[1]
    return np.einsum('im,nm->in', r, X) / m + lam * w, r.mean(axis=1).reshape(1, 1)
""", None, []),
    "huber_where_with_copy": ("huber_gradients", """
def huber_gradients(w, b, X, y, delta):
    r = (w @ X + b - y).copy()
    big = np.abs(r) > delta
    r[big] = delta * np.sign(r[big])                            # on its own array: fine
    r = r / X.shape[1]
    return (X @ r.T).T, np.array([[r.sum()]])
""", None, []),
    "hessian_blocks": ("ridge_hessian", """
def ridge_hessian(X, lam):
    n, m = X.shape
    top = np.hstack([X @ X.T / m + lam * np.eye(n), X.mean(axis=1, keepdims=True)])
    bottom = np.hstack([X.mean(axis=1, keepdims=True).T, np.ones((1, 1))])
    return np.vstack([top, bottom])
""", None, []),
    "fit_with_scratch_and_while": ("fit_ridge", """
def fit_ridge(X, y, lam, lr, steps):
    n = len(X)
    w = np.zeros((1, n)); b = np.zeros((1, 1))
    history = [ridge_loss(w, b, X, y, lam)]
    k = 0
    while k < steps:
        gw, gb = ridge_gradients(w, b, X, y, lam)
        w = w - lr * gw
        b = b - lr * gb
        history.append(ridge_loss(w, b, X, y, lam))
        k += 1
    return w, b, np.array(history)

_check = fit_ridge(np.ones((1, 3)), np.ones((1, 3)), 0.1, 0.1, 2)   # scratch work
""", None, []),
}


@pytest.fixture(scope="module")
def regression_class(tmp_path_factory):
    return PlantedMistakes(tmp_path_factory, REGRESSION, {**MISTAKES, **DIFFERENT_BUT_RIGHT})


def test_correct_student_gets_every_point(regression_class):
    regression_class.assert_correct_student_gets_every_point(ITEMS)


@pytest.mark.parametrize("student", sorted(MISTAKES))
def test_mistake_costs_its_item_and_is_named(regression_class, student):
    regression_class.assert_only_item_lost(student)


@pytest.mark.parametrize("student", sorted(DIFFERENT_BUT_RIGHT))
def test_right_but_different_gets_every_point(regression_class, student):
    assert regression_class.scores[student] == {**regression_class.scores["correct"], **ITEMS}
    assert regression_class.course.feedback_errors(REGRESSION, student) == ""
