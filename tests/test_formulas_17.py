"""Every formula and number stated in lecture 17_capstone_digits, checked against the lecture's own code.

The lecture runs once (tests/lecture.py); its functions are checked with matcalc's central differences at
seeded random points of other shapes and depths, and the numbers its text states are compared with what its
code computes.
"""
import re

import numpy as np
import pytest

import matcalc as mc

from lecture import lecture_namespace, lecture_text

NAME = "17_capstone_digits"


@pytest.fixture(scope="module")
def ns():
    return lecture_namespace(NAME)


@pytest.fixture(scope="module")
def text():
    return " ".join(lecture_text(NAME).split())     # line breaks inside a sentence do not matter


def away_from_zero(rng, shape, margin=0.05):
    Z = rng.normal(size=shape)
    return np.where(np.abs(Z) < margin, Z + 2 * margin * np.sign(Z + 1e-300), Z)


def test_log_softmax_is_stable_and_right(ns):
    rng = np.random.default_rng(1701)
    Z = 3 * rng.normal(size=(6, 5))
    assert np.allclose(ns["log_softmax"](Z), np.log(np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)), atol=1e-12)
    assert np.allclose(ns["softmax"](Z).sum(axis=1), 1.0, atol=1e-12)
    huge = np.array([[1000.0, 0.0, -1000.0]])
    assert ns["mean_cross_entropy"](huge, np.array([1])) == pytest.approx(1000.0)
    assert ns["mean_cross_entropy"](huge, np.array([0])) == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("m, k", [(1, 3), (7, 10), (4, 2)])
def test_logit_gradient_is_p_minus_y_over_m(ns, m, k):
    """Section 3: ∂J/∂Z² = (P − Y)/m for the mean cross-entropy, from the lecture's softmax and one_hot."""
    rng = np.random.default_rng(m * 100 + k)
    Z, y = 2 * rng.normal(size=(m, k)), rng.integers(0, k, size=m)
    mc.check_gradient(lambda Z_: (ns["softmax"](Z_) - ns["one_hot"](y, k)) / m,
                      lambda Z_: ns["mean_cross_entropy"](Z_, y), Z)


@pytest.mark.parametrize("m, d_in, d_out", [(5, 3, 4), (1, 2, 6), (6, 4, 4)])
def test_linear_layer_vjp(ns, m, d_in, d_out):
    """dW = AᵀG, db = Σ_i G_i, dA = G Wᵀ for Z = AW + b (lecture's linear_backward)."""
    rng = np.random.default_rng(m + 10 * d_in + 100 * d_out)
    A, W, b, G = (rng.normal(size=s) for s in [(m, d_in), (d_in, d_out), (d_out,), (m, d_out)])
    J = lambda A_, W_, b_: float(np.sum(G * (A_ @ W_ + b_)))
    dA, dW, db = ns["linear_backward"](G, A, W)
    mc.check_gradient(lambda W_: ns["linear_backward"](G, A, W_)[1], lambda W_: J(A, W_, b), W)
    mc.check_gradient(lambda b_: ns["linear_backward"](G, A, W)[2], lambda b_: J(A, W, b_), b)
    mc.check_gradient(lambda A_: ns["linear_backward"](G, A_, W)[0], lambda A_: J(A_, W, b), A)
    assert dW.shape == W.shape and db.shape == b.shape and dA.shape == A.shape


def test_relu_vjp_masks_the_incoming_gradient_by_the_input(ns):
    rng = np.random.default_rng(1703)
    Z, dH = away_from_zero(rng, (5, 4)), rng.normal(size=(5, 4))
    mc.check_gradient(lambda Z_: ns["relu_backward"](dH, Z_), lambda Z_: float(np.sum(dH * ns["relu"](Z_))), Z)


def test_weight_decay_gradient_is_lambda_w_and_spares_the_biases(ns):
    rng = np.random.default_rng(1704)
    params = ns["init_network"]([4, 3, 2], rng)
    params = {k: v + rng.normal(size=v.shape) for k, v in params.items()}      # nonzero biases
    lam = 0.37
    grads = ns["decay_gradient"](params, lam)
    for key, P in params.items():
        mc.check_gradient(lambda P_: ns["decay_gradient"]({**params, key: P_}, lam)[key],
                          lambda P_: ns["decay_penalty"]({**params, key: P_}, lam), P)
        if key.startswith("b"):
            assert not np.any(grads[key])
    # "every step first shrinks the weights by the factor 1 − ηλ" (β = 0, decay gradient only)
    eta = 0.2
    zero = {k: np.zeros_like(v) for k, v in params.items()}
    stepped, _ = ns["momentum_update"](params, zero, grads, eta, 0.0)
    assert np.allclose(stepped["W1"], (1 - eta * lam) * params["W1"]) and np.allclose(stepped["b1"], params["b1"])


@pytest.mark.parametrize("sizes", [[5, 7, 4], [6, 5, 5, 3], [3, 2]])
def test_whole_network_gradient(ns, sizes):
    """loss_and_grads (mean cross-entropy + decay) against central differences, every parameter, other depths."""
    rng = np.random.default_rng(sum(sizes))
    while True:            # a point where no hidden pre-activation is near the ReLU's kink
        params = {k: v + 0.1 * rng.normal(size=v.shape) for k, v in ns["init_network"](sizes, rng).items()}
        X, y, lam = rng.normal(size=(8, sizes[0])), rng.integers(0, sizes[-1], size=8), 0.3
        _, cache = ns["forward"](params, X)
        if all(np.min(np.abs(cache[f"Z{l}"])) > 1e-2 for l in range(1, len(sizes) - 1)):
            break
    _, grads = ns["loss_and_grads"](params, X, y, lam)
    for key in params:
        mc.check_gradient(lambda P: ns["loss_and_grads"]({**params, key: P}, X, y, lam)[1][key],
                          lambda P: ns["loss_and_grads"]({**params, key: P}, X, y, lam)[0], params[key])
        assert grads[key].shape == params[key].shape


def test_the_lectures_whole_network_check(ns, text):
    assert ns["theta0"].size == 4810 and "(4810 numbers)" in text
    assert ns["result"].max_rel_error < 1e-6 and not ns["result"].directional
    assert np.abs(ns["check_cache"]["Z1"]).min() > 10 * mc.numerical.CENTRAL_STEP * np.abs(ns["theta0"]).max()


def test_relu_halves_the_mean_square_and_he_keeps_it(ns):
    """E[relu(z)²] = E[z²]/2 for symmetric z; Var(W) = 2/n_in from init_network; per-layer factor n s²/2."""
    z = np.random.default_rng(1705).normal(size=2_000_000)
    assert np.mean(ns["relu"](z) ** 2) == pytest.approx(0.5 * np.mean(z ** 2), rel=5e-3)
    W = ns["init_network"]([400, 300], np.random.default_rng(0))["W1"]
    assert np.var(W) == pytest.approx(2 / 400, rel=0.02)
    n = 64
    for label, s in [("s = 0.01", 0.01), ("s = 1/√n (= 0.125)", 1 / 8), ("He: s = √(2/n) (≈ 0.177)", np.sqrt(2 / n)),
                     ("s = 0.3", 0.3)]:
        rms = np.array(ns["rms"][label])
        per_layer = (rms[10] / rms[1]) ** (1 / 9)
        assert per_layer == pytest.approx(np.sqrt(n * s * s / 2), rel=0.15), label


def test_stated_vanishing_and_exploding_numbers(ns, text):
    rms, norms = ns["rms"], ns["grad_norms"]
    assert 1e-12 < rms["s = 0.01"][10] / rms["s = 0.01"][1] < 1e-10             # "about 10^-11 times smaller"
    assert "about $10^{-11}$ times smaller" in text
    assert round(rms["s = 1/√n (= 0.125)"][10] / rms["s = 1/√n (= 0.125)"][1], 2) == 0.06 and "gives 0.06" in text
    assert max(norms["s = 0.01"]) < 1e-11 and min(norms["He: s = √(2/n) (≈ 0.177)"]) > 0.1   # "about 10^-13"
    assert "\\sqrt{64 \\cdot 0.01^2/2} \\approx 0.057" in text and np.sqrt(64 * 1e-4 / 2) == pytest.approx(0.057, abs=5e-4)
    assert "$2^{-4.5} \\approx 0.04$" in text and 2 ** -4.5 == pytest.approx(0.04, abs=0.005)
    assert "$0.3\\sqrt{32} \\approx 1.7$" in text and 0.3 * np.sqrt(32) == pytest.approx(1.7, abs=0.01)


def test_momentum_update_convention(ns):
    mu = ns["momentum_update"]
    rng = np.random.default_rng(1706)
    p, v, g = ({"W": rng.normal(size=(3, 2))} for _ in range(3))
    copies = [{k: a.copy() for k, a in d.items()} for d in (p, v, g)]
    new_p, new_v = mu(p, v, g, 0.1, 0.9)
    assert all(np.array_equal(d["W"], c["W"]) for d, c in zip((p, v, g), copies)), "inputs modified"
    assert np.allclose(new_p["W"] - p["W"], new_v["W"])                       # the velocity is the step
    gd, _ = mu(p, v, g, 0.1, 0.0)
    assert np.allclose(gd["W"], p["W"] - 0.1 * g["W"])                       # β = 0: gradient descent
    # a constant gradient: v → −η g/(1 − β), ten plain steps for β = 0.9
    vel = {"W": np.zeros((3, 2))}
    for _ in range(400):
        _, vel = mu(p, vel, g, 0.1, 0.9)
    assert np.allclose(vel["W"], -0.1 * g["W"] / (1 - 0.9))
    # PyTorch's form u ← βu + g, θ ← θ − ηu gives the same iterates, with u = −v/η
    theta, vel, theta_t, u = dict(p), {"W": np.zeros((3, 2))}, p["W"].copy(), np.zeros((3, 2))
    for _ in range(20):
        grad = {"W": rng.normal(size=(3, 2))}
        theta, vel = mu(theta, vel, grad, 0.05, 0.8)
        u = 0.8 * u + grad["W"]
        theta_t = theta_t - 0.05 * u
        assert np.allclose(theta["W"], theta_t) and np.allclose(u, -vel["W"] / 0.05)


def test_batches_per_epoch_as_stated(ns, text):
    m, B = len(ns["y_train"]), ns["BATCH"]
    assert (m, B) == (1437, 32) and m == 44 * 32 + 29 and "$1437 = 44\\cdot 32 + 29$" in text
    assert int(np.ceil(m / B)) == 45 and "45 steps per epoch" in text
    assert ns["EPOCHS"] * 45 == 1350 and "1350 momentum steps" in text
    assert len(ns["history"]["val_acc"]) == ns["EPOCHS"] == 30


def test_trained_network_reaches_the_stated_accuracy(ns, text):
    stated = [int(s) for s in re.findall(r"\*\*(\d+) % validation accuracy\*\*", text)]
    assert stated, "the lecture states its validation accuracy"
    accuracy = ns["val_accuracy"]
    assert accuracy >= 0.95 and all(round(100 * accuracy) == s for s in stated)
    assert accuracy == ns["accuracy"](ns["trained"], ns["X_val"], ns["y_val"])
    assert ns["history"]["train_acc"][-1] > 0.99                              # "nearly 100 %"
    assert ns["history"]["val_loss"][-1] > 2 * ns["history"]["train_loss"][-1]  # "flattens well above it"


def test_confusion_matrix_and_the_confusion_the_text_names(ns, text):
    C, y_val = ns["confusion"], ns["y_val"]
    assert np.array_equal(C.sum(axis=1), np.bincount(y_val, minlength=10))
    assert np.trace(C) / C.sum() == pytest.approx(ns["val_accuracy"])
    off = C - np.diag(np.diag(C))
    assert off.max() == C[3, 5] == 2 and C[5, 3] == 1 and "two 3s read as 5 and one 5 read as 3" in text
    assert np.bincount(y_val)[3] == 40                    # the assignment's model answer: 2 of the 40 validation 3s
    assert len(ns["wrong"]) == C.sum() - np.trace(C)


def test_always_blank_pixels_keep_their_random_weights(ns, text):
    """A pixel that is 0 in every training image gets only the decay: its W1 row is its initial row times one factor."""
    blank = np.flatnonzero(ns["X_train"].max(axis=0) == 0)
    assert list(blank) == [0, 32, 39] and "three are: the top-left corner and one pixel each on the left and right" in text
    ratios = ns["trained"]["W1"][blank] / ns["initial"]["W1"][blank]
    assert np.allclose(ratios, ratios.flat[0], rtol=1e-9)
    assert round(float(ratios.flat[0]), 2) == 0.94 and "(0.94 here)" in text
