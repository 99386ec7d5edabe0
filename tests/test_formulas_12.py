"""Lecture 12 (two-layer network): what it states and computes, checked with matcalc's numerics.

Every test reads the lecture (its functions and variables after running it, or its text).
"""
import re

import numpy as np
import pytest

import matcalc as mc

from lecture import code_text, lecture_namespace, lecture_text

NAME = "12_two_layer_network"
ORDER = ("W1", "b1", "W2", "b2")


@pytest.fixture(scope="module")
def ns():
    return lecture_namespace(NAME)


def test_the_aliens_forward_pass_gives_the_stated_numbers(ns):
    text = lecture_text(NAME)
    assert np.allclose(ns["z1"].ravel(), [-1, 1]) and "$\\mathbf{z}_1 = (-1, 1)$" in text
    stated = re.search(r"\\approx \((0\.\d+), (0\.\d+)\)\$,\n\$z_2 \\approx (-?0\.\d+)\$ and \$\\hat y \\approx (0\.\d+)\$", text)
    assert stated, "the lecture no longer states a1, z2 and y_hat"
    a1, a2, z2, y_hat = map(float, stated.groups())
    assert np.allclose(ns["a1"].ravel(), [a1, a2], atol=1e-3) and np.isclose(ns["z2"][0, 0], z2, atol=1e-3)
    assert np.isclose(ns["y_hat"][0, 0], y_hat, atol=1e-3)
    loss = float(re.search(r"the loss is \$-\\log\(1 - \\hat y\) \\approx (0\.\d+)\$", text).group(1))
    assert np.isclose(ns["loss"], loss, atol=1e-3)


def test_the_nine_hand_derivatives_are_the_gradient_of_the_loss(ns):
    W1, b1, W2, b2 = (ns[k] for k in ("W1", "b1", "W2", "b2"))
    by_hand = ns["by_hand"]
    g = {"W1": mc.numerical_gradient(lambda P: ns["loss_of"](P, b1, W2, b2), W1),
         "b1": mc.numerical_gradient(lambda P: ns["loss_of"](W1, P, W2, b2), b1),
         "W2": mc.numerical_gradient(lambda P: ns["loss_of"](W1, b1, P, b2), W2),
         "b2": mc.numerical_gradient(lambda P: ns["loss_of"](W1, b1, W2, P), b2)}
    assert np.allclose([[by_hand["w1_11"], by_hand["w1_12"]], [by_hand["w1_21"], by_hand["w1_22"]]], g["W1"], rtol=1e-7)
    assert np.allclose([by_hand["b1_1"], by_hand["b1_2"]], g["b1"].ravel(), rtol=1e-7)
    assert np.allclose([by_hand["w2_1"], by_hand["w2_2"]], g["W2"].ravel(), rtol=1e-7)
    assert np.isclose(by_hand["b2"], g["b2"][0, 0], rtol=1e-7)


@pytest.mark.parametrize("n0, n1, m", [(2, 2, 1), (3, 4, 10), (3, 5, 7), (4, 2, 1)])
def test_the_batch_backward_pass_matches_numerical_gradients(ns, n0, n1, m):
    rng = np.random.default_rng(1200 + n0 * n1 * m)
    X, Y = rng.normal(size=(n0, m)), (rng.uniform(size=(1, m)) < 0.5).astype(float)
    p = {"W1": rng.normal(size=(n1, n0)), "b1": rng.normal(size=(n1, 1)),
         "W2": rng.normal(size=(1, n1)), "b2": rng.normal(size=(1, 1))}
    for key in ORDER:
        def loss(P, key=key):
            return ns["loss_of_cache"](ns["forward"](X, {**p, key: P})[1], Y)

        def grad(P, key=key):
            q = {**p, key: P}
            return ns["backward"](X, Y, q, ns["forward"](X, q)[1])["d" + key]
        assert grad(p[key]).shape == p[key].shape
        mc.check_gradient(grad, loss, p[key])


def test_the_logit_loss_stays_finite_for_a_saturated_correct_prediction(ns):
    cache = {"Z2": np.array([[800.0, -800.0]])}
    assert 0 <= ns["loss_of_cache"](cache, np.array([[1.0, 0.0]])) < 1e-300


def test_moons_need_the_bent_boundary_and_training_gets_the_stated_numbers(ns):
    text = lecture_text(NAME)
    losses = ns["losses"]
    assert losses.shape == (4001,)                                     # train returns the losses after 0..steps steps
    assert np.isclose(losses[0], float(re.search(r"falls from about \$(0\.\d+)\$", text).group(1)), atol=0.05)
    assert losses[-1] < float(re.search(r"to below \$(0\.\d+)\$", text).group(1))
    assert ns["accuracy"] == 1.0 and "every training point ends up on its side" in text
    assert 0.8 < ns["linear_accuracy"] < 0.9 and "about one point in seven" in text     # no line separates the moons
    X, Y = ns["X"], ns["Y"]
    assert X.shape == (2, 200) and Y.shape == (1, 200)


def test_text_fixes_the_layout_claim_has_a_diagram_and_korean_summary():
    text = lecture_text(NAME)
    assert "data layout" in text and "write some of\nthese gradients transposed" not in text
    assert "def draw_network" in code_text(NAME)
    assert text.count("ERRATA.md") == 1 and "## 한국어 요약" in text.split("## Summary")[-1]
    assert "The source post arrives at" not in text and "copying slips" not in text
