"""Lecture 04_chain_rule, checked: what it computes is compared with matcalc's numerical derivatives, and the
numbers it states in its text with what its own code computes.

The lecture runs once (``lecture_namespace``); its functions (``dy_dx_logsin``, ``grad_f_paths``, ``dy_dx_vec``,
``jacobian_layer``, ``neuron_gradients``) and variables are tested, never a copy of them kept here.
"""
import re

import numpy as np
import pytest

import matcalc as mc

from closed_forms import close
from lecture import lecture_namespace, lecture_text

NAME = "04_chain_rule"
RNG_SEED = 404


@pytest.fixture(scope="module")
def ns():
    return lecture_namespace(NAME)


def stated(pattern):
    """The number the lecture's text states where ``pattern`` (a regex with one group) matches."""
    found = re.search(pattern, lecture_text(NAME))
    assert found, f"the lecture no longer states {pattern!r}"
    return float(found.group(1))


# -- 1. single-variable chain rule ----------------------------------------------------------------
@pytest.mark.parametrize("x", [-1.3, -0.4, 0.2, 0.9, 2.1])
def test_the_three_small_chain_rules_the_text_states(x):
    text = lecture_text(NAME)
    assert r"\cos(x^2)\cdot 2x" in text and "-3e^{-3x}" in text and r"3\cos(3x)" in text
    assert close(mc.numerical_derivative(lambda t: np.sin(t**2), x), np.cos(x**2) * 2 * x)
    assert close(mc.numerical_derivative(lambda t: np.exp(-3 * t), x), -3 * np.exp(-3 * x))
    assert close(mc.numerical_derivative(lambda t: np.sin(3 * t), x), 3 * np.cos(3 * x))


def logsin_points():
    rng = np.random.default_rng(RNG_SEED)
    xs = rng.uniform(0.4, 1.4, size=8) * rng.choice([-1.0, 1.0], size=8)
    return [0.5, 1.0, -1.2, *xs[np.abs(np.sin(xs**3)) > 0.1]]


@pytest.mark.parametrize("x", logsin_points())
def test_the_lectures_layer_by_layer_derivative_is_the_numerical_one_and_6x2_cot_x3(ns, x):
    got = ns["dy_dx_logsin"](x)
    assert close(got, mc.numerical_derivative(ns["y_logsin"], x), 1e-5)
    assert r"6x^2\cot(x^3)" in lecture_text(NAME)
    assert close(got, 6 * x**2 / np.tan(x**3), 1e-9)


def test_the_stated_value_at_one(ns):
    assert abs(ns["dy_dx_logsin"](1.0) - stated(r"dy/dx = 6\\cot 1 \\approx (\d+\.\d+)")) < 5e-5


def test_the_missing_factor_curve_meets_the_right_one_only_where_the_text_says(ns):
    right, wrong = ns["dy_dx_logsin"], (lambda x: 2 / np.tan(x**3))      # the plotted mistake 2cot(x³)
    crossings = [stated(r"x = 1/\\sqrt3 \\approx (\d\.\d+)"), stated(r"x \\approx (\d\.\d+)\$\)")]
    for x in (1 / np.sqrt(3), (np.pi / 2) ** (1 / 3)):
        assert close(right(x), wrong(x), 1e-9)
    assert close(crossings, [1 / np.sqrt(3), (np.pi / 2) ** (1 / 3)], 5e-4)
    x = np.linspace(0.35, 1.42, 2001)                                    # the plotted range: no other crossing
    assert np.count_nonzero(np.diff(np.sign(right(x) - wrong(x)))) == 2


# -- 2. total derivative --------------------------------------------------------------------------
@pytest.mark.parametrize("x", [-2.0, -0.5, 0.0, 0.3, 1.7])
def test_x_plus_x_squared_has_derivative_1_plus_2x(x):
    assert "= 1 + 2x" in lecture_text(NAME)
    assert close(mc.numerical_derivative(lambda t: t + t**2, x), 1 + 2 * x)


def paths_points():
    rng = np.random.default_rng(RNG_SEED + 1)
    return [np.array([0.7, -1.2]), np.array([-0.3, 2.0]), np.array([1.5, 0.4]), *rng.normal(size=(5, 2))]


@pytest.mark.parametrize("x", paths_points())
def test_the_total_derivative_is_the_numerical_gradient(ns, x):
    assert close(ns["grad_f_paths"](x), mc.numerical_gradient(ns["f_paths"], x))


def test_the_matrix_form_and_the_one_path_mistake(ns):
    x0 = ns["x0"]
    numeric = mc.numerical_gradient(ns["f_paths"], x0)
    assert close(ns["dy_dx"], mc.numerical_jacobian(lambda v: np.array([v[0] * v[1], v[0] + v[1] ** 2]), x0))
    assert close(ns["df_dy"] @ ns["dy_dx"], numeric)
    assert not close(np.sin(x0[0] + x0[1] ** 2) * x0[::-1], numeric, 1e-2)   # "one path only" is wrong


# -- 3. vector chain rule -------------------------------------------------------------------------
@pytest.mark.parametrize("k, m, n", [(1, 1, 1), (2, 3, 4), (5, 2, 3), (3, 3, 3)])
def test_jacobian_of_a_composition_is_the_product_outer_first(k, m, n):
    rng = np.random.default_rng(RNG_SEED + 10 * k + m + n)
    A, B, x = rng.normal(size=(m, n)), rng.normal(size=(k, m)), rng.normal(size=n)
    g, f = (lambda v: np.tanh(A @ v)), (lambda u: B @ np.sin(u))
    J_f, J_g = mc.numerical_jacobian(f, g(x)), mc.numerical_jacobian(g, x)
    assert close(mc.numerical_jacobian(lambda v: f(g(v)), x), J_f @ J_g)
    assert close((J_f @ J_g).T, J_g.T @ J_f.T)                           # denominator layout: factors swap


@pytest.mark.parametrize("x", [0.8, -1.5, 2.2, 0.31, -2.9])
def test_parr_howard_vector_example(ns, x):
    got = ns["dy_dx_vec"](x)
    assert got.shape == (2,)
    assert close(got, mc.numerical_jacobian(ns["y_vec"], x))
    assert close(got, np.array([2 / x, 3 * np.cos(3 * x)]))            # the simplified form the text states


def test_elementwise_function_has_diagonal_jacobian():
    u = np.random.default_rng(RNG_SEED + 2).normal(size=5)
    for fn in (np.sin, np.tanh, np.exp):
        J = mc.numerical_jacobian(fn, u)
        assert close(J, np.diag(np.diag(J)))


def test_the_tanh_layer_jacobian_scales_rows_and_the_wrong_order_does_not_fit(ns):
    rng = np.random.default_rng(RNG_SEED + 5)
    for x in (ns["rng"].normal(size=3), *rng.normal(size=(4, 3))):
        J = ns["jacobian_layer"](x)
        assert J.shape == (4, 3) and ns["J"].shape == (4, 3)
        assert close(J, mc.numerical_jacobian(ns["layer"], x))
        assert close(J, (1 - ns["layer"](x) ** 2)[:, None] * ns["W"])
    with pytest.raises(ValueError):
        ns["W"] @ np.diag(1 - ns["layer"](x) ** 2)


# -- 4. the neuron --------------------------------------------------------------------------------
def neuron_points():
    """(w, b, x) with |w·x + b| >= 0.5, both signs; the two lecture points first."""
    x0 = np.array([1.0, 2.0, -1.0])
    pts = [(np.array([0.8, 0.3, -0.4]), 0.5, x0), (np.array([-0.5, 0.2, 0.6]), -0.3, x0)]
    rng = np.random.default_rng(RNG_SEED + 3)
    for k, n in enumerate((1, 2, 4, 7, 7, 10)):
        w, x = rng.normal(size=n), rng.normal(size=n)
        z = (1 if k % 2 else -1) * rng.uniform(0.5, 2.0)
        pts.append((w, z - w @ x, x))
    return pts


@pytest.mark.parametrize("w, b, x", neuron_points())
def test_the_lectures_neuron_gradients_away_from_the_kink(ns, w, b, x):
    gw, gb = ns["neuron_gradients"](w, b, x)
    assert close(gw, mc.numerical_gradient(lambda w_: ns["neuron"](w_, b, x), w))
    assert close(gb, mc.numerical_derivative(lambda b_: ns["neuron"](w, b_, x), b))


def test_the_central_difference_at_the_kink_is_a_half_and_ramps(ns):
    h, z, central = ns["h"], ns["z"], ns["central"]
    assert close(central[np.argmin(np.abs(z))], 0.5, 1e-9)
    inside = np.abs(z) < h - 1e-12
    assert close(central[inside], (z[inside] + h) / (2 * h), 1e-9)     # "ramps linearly from 0 to 1"
    assert np.all(central[z <= -h] == 0) and np.allclose(central[z >= h], 1)
    x, w = np.array([1.0, 2.0, -1.0]), np.array([0.8, 0.3, -0.4])
    numeric = mc.numerical_gradient(lambda w_: ns["neuron"](w_, -(w @ x), x), w)
    assert close(numeric, 0.5 * x, 1e-6)                                # at z = 0: neither x nor 0


def test_the_loss_gradient_of_the_lecture(ns):
    theta = np.append(ns["w"], ns["b"])
    assert close(ns["grad_L"], mc.numerical_gradient(ns["loss"], theta))
    assert r"2(a - t)" in lecture_text(NAME)
