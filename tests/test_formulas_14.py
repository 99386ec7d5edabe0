"""Lecture 14 (ReLU neuron): what it states and computes, checked with matcalc's numerics.

Every test reads the lecture (its functions and variables after running it, or its text).
"""
import itertools
import re

import numpy as np
import pytest

import matcalc as mc

from lecture import code_text, lecture_namespace, lecture_text

NAME = "14_relu_neuron"


@pytest.fixture(scope="module")
def ns():
    return lecture_namespace(NAME)


def test_the_example_loss_and_gradient_are_the_stated_numbers(ns):
    X, y, w, b = ns["X"], ns["y"], ns["w"], ns["b"]
    text = lecture_text(NAME)
    assert np.isclose(ns["mse_loss"](w, b, X, y), 0.75) and "= 0.75$" in text
    numerical_w = mc.numerical_gradient(lambda v: ns["mse_loss"](v, b, X, y), w)
    numerical_b = mc.numerical_derivative(lambda v: ns["mse_loss"](w, v, X, y), b)
    assert np.allclose(numerical_w, [0.1, -0.5], atol=1e-7) and np.isclose(numerical_b, -0.4, atol=1e-7)
    assert "= (0.1, -0.5)$" in text and "= -0.4$" in text
    dw, db = ns["loss_gradient"](w, b, X, y)
    assert np.allclose(dw, numerical_w, atol=1e-8) and np.isclose(db, numerical_b, atol=1e-8)
    # "summing over all five samples instead would give (1.7, -1.5) and -2": the gradient of the linear model
    linear = lambda v: np.mean((y - X @ v[:2] - v[2]) ** 2)
    assert np.allclose(mc.numerical_gradient(linear, np.append(w, b)), [1.7, -1.5, -2.0], atol=1e-7)
    assert "$(1.7, -1.5)$ and $-2$" in text


@pytest.mark.parametrize("N, n", [(5, 2), (30, 3), (1, 4)])
def test_loss_gradient_matches_numerical_gradients_away_from_the_kink(ns, N, n):
    rng = np.random.default_rng(1400 + N * n)
    X, y, w, b = rng.normal(size=(N, n)), rng.normal(size=N), rng.normal(size=n), float(rng.normal())
    assert ns["safe_to_check"](w, b, X, 1e-4)
    mc.check_gradient(lambda v: ns["loss_gradient"](v, b, X, y)[0], lambda v: ns["mse_loss"](v, b, X, y), w)
    mc.check_gradient(lambda v: ns["loss_gradient"](w, v, X, y)[1], lambda v: ns["mse_loss"](w, v, X, y), b)


def test_a_central_difference_at_the_kink_is_the_average_slope(ns):
    for h in (1e-2, 1e-4):
        assert np.isclose((ns["f"](h) - ns["f"](-h)) / (2 * h), -1 + h / 2)
    assert "-1 + \\frac h2" in lecture_text(NAME)


def test_the_check_straddling_the_kink_fails_and_the_active_set_check_passes(ns):
    X, y, w = ns["X"], ns["y"], ns["w"]
    with pytest.raises(mc.GradientCheckError):
        mc.check_gradient(lambda v: ns["loss_gradient"](w, v, X, y)[1], lambda v: ns["mse_loss"](w, v, X, y), 1e-6)
    for b in (1e-6, 0.0):
        C_m = ns["loss_on_active_set"]((X @ w + b) > 0)
        mc.check_gradient(lambda v: ns["loss_gradient"](w, v, X, y)[1], lambda v: C_m(w, v), b)
    assert np.isclose(ns["forward_diff"], -0.8, atol=1e-5) and abs(ns["backward_diff"]) < 1e-5
    assert np.isclose(ns["central_diff"], -0.4, atol=1e-5)


def test_safe_to_check_is_exactly_the_no_crossing_condition(ns):
    rng = np.random.default_rng(1401)
    for _ in range(200):
        X = rng.normal(scale=rng.choice([0.3, 1, 3]), size=(4, 2))
        w, b, h = rng.normal(size=2), float(rng.normal(scale=0.3)), float(rng.choice([0.05, 0.2]))
        z = X @ w + b
        crossings = [np.sign(z + s * h * d) != np.sign(z) for s, d in itertools.product((1, -1), [*X.T, np.ones(4)])]
        assert ns["safe_to_check"](w, b, X, h) == (not np.any(crossings) and np.all(z != 0))


def test_folding_the_bias_gives_the_same_gradient(ns):
    X, y, w, b = ns["X"], ns["y"], ns["w"], ns["b"]
    folded = ns["folded_gradient"](np.append(w, b), ns["augment"](X), y)
    assert np.allclose(folded, np.append(*ns["loss_gradient"](w, b, X, y)))
    mc.check_gradient(lambda v: ns["folded_gradient"](v, ns["augment"](X), y),
                      lambda v: np.mean((y - ns["relu"](ns["augment"](X) @ v)) ** 2), np.append(w, b))


def test_training_reaches_the_noise_level_and_the_dead_neuron_never_moves(ns):
    losses, dead = ns["losses"], ns["losses_dead"]
    assert losses.shape == (301,) and dead.shape == (301,)          # losses after 0..steps steps
    assert abs(losses[-1] - 0.05 ** 2) < 0.001 and "$0.05^2 = 0.0025$" in lecture_text(NAME)
    assert np.all(dead == dead[0])
    assert np.allclose(ns["w_fit"], [2, -1, 0.5, 0.3], atol=0.05)


def test_no_repetition_of_lecture_04_errata_once_korean_summary():
    text = lecture_text(NAME)
    assert "Lecture 04 (section 4)" in text and "a jump at the kink" not in code_text(NAME)
    assert text.count("ERRATA.md") == 1 and "## 한국어 요약" in text.split("## Summary")[-1]
    assert "Notes on the source posts" not in text
