"""Lecture 13 (backpropagation): what it states and computes, checked with matcalc's numerics.

Every test reads the lecture (its functions and variables after running it, or its text).
"""
import re

import numpy as np
import pytest

import matcalc as mc

from lecture import code_text, lecture_namespace, lecture_text

NAME = "13_backpropagation"


@pytest.fixture(scope="module")
def ns():
    return lecture_namespace(NAME)


def test_parameter_count_is_the_stated_one(ns):
    assert ns["count_parameters"]([2, 4, 3, 1]) == 31 == sum(v.size for v in ns["params"].values())
    assert "= 31$" in lecture_text(NAME)


def test_the_three_layer_chain_gradient_matches_central_differences(ns):
    numerical = mc.numerical_gradient(lambda w: ns["chain_loss"](w, ns["b"], ns["x"], ns["y"]), ns["w"])
    assert np.allclose(ns["dw"], numerical, rtol=1e-7)


@pytest.mark.parametrize("dims, m", [([2, 4, 3, 1], 5), ([3, 5, 5, 5, 5, 1], 1), ([4, 4, 4, 1], 6), ([3, 1], 4)])
def test_backward_matches_numerical_gradients_for_every_parameter(ns, dims, m):
    rng = np.random.default_rng(1300 + sum(dims) + m)
    p = ns["init_params"](dims, seed=int(rng.integers(100)))
    X, Y = rng.normal(size=(dims[0], m)), (rng.uniform(size=(1, m)) < 0.5).astype(float)
    for key in p:
        def loss(P, key=key):
            return ns["loss"]({**p, key: P}, X, Y)

        def grad(P, key=key):
            AL, caches = ns["forward"](X, {**p, key: P})
            return ns["backward"](AL, Y, caches)["d" + key]
        assert grad(p[key]).shape == p[key].shape
        mc.check_gradient(grad, loss, p[key])


def test_finite_differences_cost_two_forward_passes_per_parameter_and_backprop_one(ns):
    calls = ns["calls"]
    for method, expected in ((ns["finite_difference_grads"], 2 * 31), (ns["backprop_grads"], 1)):
        calls["forward"] = 0
        method(ns["params"], ns["X"], ns["Y"])
        assert calls["forward"] == expected
    assert "$62$ times" in lecture_text(NAME)


def test_gradients_vanish_by_about_four_per_sigmoid_layer_unless_the_scale_compensates(ns):
    norms = ns["layer_norms"]
    per_layer = {s: (v[0] / v[-2]) ** (1 / (len(v) - 2)) for s, v in norms.items()}
    assert 0.2 < per_layer[1.0] < 0.27                                # σ' ≤ 1/4: about 4 per layer
    assert per_layer[0.5] < per_layer[1.0] < per_layer[4.0] < per_layer[16.0] < per_layer[64.0]
    assert 0.8 < per_layer[16.0] < 1.25 and per_layer[64.0] > 1.5
    ratio = float(re.search(r"about \$10\^\{(-\d+)\}\$ times the last one's", lecture_text(NAME)).group(1))
    assert np.isclose(np.log10(norms[1.0][0] / norms[1.0][-2]), ratio, atol=0.5)
    z = np.linspace(-10, 10, 2001)
    slope = np.array([mc.numerical_derivative(ns["sigmoid"], t) for t in z[::50]])
    assert slope.max() <= 0.25 + 1e-9                                 # the bound the argument rests on


def test_the_loss_from_logits_is_finite_when_the_network_is_confidently_right(ns):
    assert 0 <= ns["bce_with_logits"](np.array([[900.0, -900.0]]), np.array([[1.0, 0.0]])) < 1e-300


def test_text_has_the_graph_links_the_errata_once_and_ends_in_korean():
    text = lecture_text(NAME)
    assert "def draw_graph" in code_text(NAME) and "computational graph" in text
    assert text.count("ERRATA.md") == 1 and "## 한국어 요약" in text.split("## Summary")[-1]
    assert "Corrections to the source post" not in text
