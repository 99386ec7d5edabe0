"""Lecture 11 (perceptron classification): what it states and computes, checked with matcalc's numerics.

Every test reads the lecture (its functions and variables after running it, or its text): no private copy of its
mathematics.
"""
import re

import numpy as np
import pytest

import matcalc as mc

from lecture import code_text, lecture_namespace, lecture_text

NAME = "11_perceptron_classification"


@pytest.fixture(scope="module")
def ns():
    return lecture_namespace(NAME)


def number_after(pattern):
    """The first number the lecture's text writes after ``pattern`` (a regular expression)."""
    match = re.search(pattern + r"\s*([-−]?\d+(?:\.\d+)?)", lecture_text(NAME))
    assert match, f"the lecture no longer states {pattern!r}"
    return float(match.group(1).replace("−", "-"))


def test_sigmoid_is_the_logistic_function_and_does_not_overflow(ns):
    sigmoid = ns["sigmoid"]
    z = np.linspace(-30, 30, 61)
    assert np.allclose(sigmoid(z) + sigmoid(-z), 1.0, rtol=0, atol=1e-15)          # σ(−z) = 1 − σ(z)
    inner = np.abs(z) < 20
    assert np.allclose(np.log(sigmoid(z[inner]) / (1 - sigmoid(z[inner]))), z[inner], atol=1e-9)   # z is the logit
    with np.errstate(over="raise", invalid="raise"):
        assert sigmoid(np.array([-1000.0, 1000.0])).tolist() == [0.0, 1.0]


def test_sigmoid_derivative_matches_central_differences_and_peaks_at_a_quarter(ns):
    for z0 in (-3.0, 0.0, 0.7, 10.0):
        assert np.isclose(ns["sigmoid_derivative"](z0), mc.numerical_derivative(ns["sigmoid"], z0), rtol=1e-7)
    z = np.linspace(-8, 8, 1601)
    assert np.isclose(np.max(ns["sigmoid_derivative"](z)), 0.25) and np.isclose(ns["sigmoid_derivative"](0.0), 0.25)
    stated = number_after(r"\\sigma'\(10\) \\approx") * 10 ** -5
    assert np.isclose(float(ns["sigmoid_derivative"](10.0)), stated, rtol=0.02)


def test_log_loss_from_logits_is_the_cross_entropy_and_stays_finite(ns):
    rng = np.random.default_rng(1101)
    Z, Y = rng.normal(scale=3, size=(1, 50)), (rng.uniform(size=(1, 50)) < 0.5).astype(float)
    assert np.isclose(ns["bce_with_logits"](Z, Y), ns["naive_log_loss"](ns["sigmoid"](Z), Y), rtol=1e-10)
    # the lecture's claim: σ(40) rounds to 1, so the naive formula gives nan for a confident correct prediction
    assert float(ns["sigmoid"](40.0)) == 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        assert np.isnan(ns["naive_log_loss"](ns["sigmoid"](np.array([[40.0]])), np.array([[1.0]])))
    saturated = ns["bce_with_logits"](np.array([[1000.0, -1000.0]]), np.array([[1.0, 0.0]]))
    assert np.isfinite(saturated) and saturated < 1e-300
    assert np.isclose(ns["bce_with_logits"](np.array([[-1000.0]]), np.array([[1.0]])), 1000.0)


def test_the_sad_aliens_loss_is_the_stated_number(ns):
    stated = number_after(r"\\log\(1 \+ e\^\{9\}\) \\approx")
    assert np.isclose(ns["bce_with_logits"](np.array([[9.0]]), np.array([[0.0]])), stated, atol=1e-4)


def test_the_single_example_gradient_is_the_gradient_of_its_loss(ns):
    numerical = mc.numerical_gradient(ns["loss_of_one"], ns["wb"])
    assert np.allclose(ns["ours"], numerical, rtol=1e-7)
    stated = re.search(r"\\approx \((0\.\d+), (\d\.\d+)\)", lecture_text(NAME))
    assert stated and np.allclose(numerical[:2], [float(stated.group(1)), float(stated.group(2))], atol=1e-5)


@pytest.mark.parametrize("n, m", [(2, 120), (3, 7), (1, 1), (4, 30)])
def test_batch_gradients_match_numerical_gradients_and_shapes(ns, n, m):
    rng = np.random.default_rng(1100 + n * m)
    X, Y = rng.normal(size=(n, m)), (rng.uniform(size=(1, m)) < 0.5).astype(float)
    W, b = rng.normal(size=(1, n)), rng.normal(size=(1, 1))
    dW, db = ns["gradients"](W, b, X, Y)
    assert dW.shape == (1, n) and db.shape == (1, 1)
    mc.check_gradient(lambda P: ns["gradients"](P, b, X, Y)[0], lambda P: ns["batch_loss"](P, b, X, Y), W)
    mc.check_gradient(lambda P: ns["gradients"](W, P, X, Y)[1], lambda P: ns["batch_loss"](W, P, X, Y), b)


def test_train_returns_the_losses_after_zero_to_steps_steps(ns):
    X, Y = ns["X"], ns["Y"]
    W, b, losses = ns["train"](X, Y, learning_rate=0.5, steps=3)
    assert losses.shape == (4,) and np.isclose(losses[0], np.log(2))
    assert np.isclose(losses[-1], ns["batch_loss"](W, b, X, Y)) and np.all(np.diff(losses) < 0)
    assert ns["losses"].shape == (3001,) and ns["losses"][-1] < ns["losses"][0]


def test_decision_boundary_is_where_the_prediction_is_one_half(ns):
    W, b = ns["W"], ns["b"]
    x1 = np.linspace(0, 4, 5)
    on_line = np.vstack([x1, -(W[0, 0] * x1 + b[0, 0]) / W[0, 1]])
    assert np.allclose(ns["sigmoid"](W @ on_line + b), 0.5)


def test_text_links_the_errata_once_ends_in_korean_and_keeps_no_source_corrections():
    text = lecture_text(NAME)
    assert text.count("ERRATA.md") == 1 and "## 한국어 요약" in text.split("## Summary")[-1]
    assert "source post writes" not in text and "source post calls" not in text
    assert "log(a)" not in code_text(NAME) and "np.log(A)" not in code_text(NAME).split("def naive_log_loss")[0]
