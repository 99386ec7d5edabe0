"""Every formula and number stated in lecture 15_softmax_cross_entropy, checked against the lecture's own code.

The lecture's functions (softmax, softmax_jacobian, log_sum_exp, cross_entropy, log_softmax, sigmoid,
bce_from_probability, bce_with_logits) and values come from running the lecture (``lecture_namespace``); the
tests compare them with matcalc's central differences and with the properties the text states, at the
lecture's points and at seeded random points.
"""
import re

import numpy as np
import pytest

import matcalc as mc

from closed_forms import close
from lecture import lecture_namespace, lecture_text

NAME = "15_softmax_cross_entropy"
SEED = 1515
SIZES = [1, 2, 3, 5, 8]


@pytest.fixture(scope="module")
def ns():
    return lecture_namespace(NAME)


def logits(k, salt, scale=2.0):
    return np.random.default_rng([SEED, salt, k]).normal(size=k) * scale


# -- 1. softmax -------------------------------------------------------------------------------------
def test_worked_example_numbers(ns):
    text = lecture_text(NAME)
    assert "(7.389, 2.718, 1.105)" in text and "11.213" in text and "(0.659, 0.242, 0.099)" in text
    z = ns["z"]
    assert close(z, [2.0, 1.0, 0.1])
    assert close(np.round(np.exp(z), 3), [7.389, 2.718, 1.105]) and round(float(np.sum(np.exp(z))), 3) == 11.213
    assert close(np.round(ns["softmax"](z), 3), [0.659, 0.242, 0.099])


@pytest.mark.parametrize("k", SIZES)
def test_softmax_is_a_probability_vector_that_keeps_the_order(ns, k):
    z = logits(k, 1)
    p = ns["softmax"](z)
    assert np.all(p > 0) and close(np.sum(p), 1.0)
    assert np.array_equal(np.argsort(p), np.argsort(z))
    for i in range(k):
        for j in range(k):
            assert close(p[i] / p[j], np.exp(z[i] - z[j]))               # p_i / p_j = e^(z_i − z_j)


@pytest.mark.parametrize("c", [-1000.0, -3.5, 0.0, 100.0, 1000.0, 1e5])
def test_softmax_is_invariant_to_a_common_shift(ns, c):
    z = logits(4, 2)
    assert close(ns["softmax"](z + c), ns["softmax"](z), 1e-9)


def test_direct_formula_overflows_from_about_710(ns):
    assert np.isfinite(np.exp(709.0)) and np.exp(710.0) == np.inf and np.finfo(float).max < 1.8e308
    with np.errstate(over="ignore", invalid="ignore"):
        direct = np.exp(np.array([710.0, 0.0])) / np.sum(np.exp(np.array([710.0, 0.0])))
    assert np.isnan(direct[0])
    assert np.all(np.isfinite(ns["softmax"](np.array([710.0, 0.0]))))


def test_temperature_limits_argmax_and_uniform(ns):
    z = ns["z"]
    P_T = ns["P_T"]
    assert close(P_T[0], np.eye(3)[np.argmax(z)], 1e-5)                  # T = 10^-1.5
    assert close(ns["softmax"](z / 1e-3), np.eye(3)[np.argmax(z)])
    assert close(ns["softmax"](z / 1e6), np.full(3, 1 / 3))
    assert np.all(np.diff(P_T[:, np.argmax(z)]) < 0)                       # the winner's share falls with T
    assert close(ns["softmax"](z / 1.0), ns["p"])


# -- 2. the Jacobian --------------------------------------------------------------------------------
@pytest.mark.parametrize("k", SIZES)
def test_jacobian_matches_central_differences(ns, k):
    z = logits(k, 3)
    J = ns["softmax_jacobian"](z)
    assert J.shape == (k, k)
    assert close(J, mc.numerical_jacobian(ns["softmax"], z))
    assert close(ns["softmax_jacobian"](z + 1000.0), J, 1e-9)


@pytest.mark.parametrize("k", SIZES)
def test_jacobian_entries_quotient_rule(ns, k):
    z = logits(k, 4)
    p, J = ns["softmax"](z), ns["softmax_jacobian"](z)
    for i in range(k):
        for j in range(k):
            assert close(J[i, j], (i == j) * p[i] - p[i] * p[j])


@pytest.mark.parametrize("k", SIZES)
def test_jacobian_is_symmetric_psd_and_singular_along_ones(ns, k):
    z = logits(k, 5)
    p, J = ns["softmax"](z), ns["softmax_jacobian"](z)
    ones = np.ones(k)
    assert close(J, J.T, 1e-15)
    assert close(J @ ones, np.zeros(k), 1e-15) and close(ones @ J, np.zeros(k), 1e-15)
    eig = np.linalg.eigvalsh(J)
    assert eig.min() > -1e-14 and abs(eig[0]) < 1e-14                    # PSD, one eigenvalue is 0
    assert np.linalg.matrix_rank(J) == k - 1
    v = np.random.default_rng([SEED, 6, k]).normal(size=k)
    assert close(v @ J @ v, np.sum(p * v**2) - np.sum(p * v) ** 2)      # the variance of v under p
    # the zero direction is the invariance: the directional derivative of softmax along 1 vanishes
    assert close((ns["softmax"](z + 1e-6 * ones) - ns["softmax"](z - 1e-6 * ones)) / 2e-6, np.zeros(k), 1e-9)


def test_jacobian_diagonal_is_the_sigmoid_derivative_for_two_classes(ns):
    for z in (-3.0, 0.4, 2.5):
        J = ns["softmax_jacobian"](np.array([z, 0.0]))
        slope = mc.numerical_derivative(ns["sigmoid"], z)
        assert close(J, slope * np.array([[1.0, -1.0], [-1.0, 1.0]]))     # "to think about" 3


def test_lecture_jacobian_cell(ns):
    z4, J = ns["z4"], ns["J"]
    assert close(J, mc.numerical_jacobian(ns["softmax"], z4))
    assert np.linalg.matrix_rank(J) == 3
    with pytest.raises(mc.GradientCheckError):
        mc.check_jacobian(lambda z_: np.diag(ns["softmax"](z_)), ns["softmax"], z4)
    J6 = ns["J6"]
    assert close(J6.sum(axis=0), np.zeros(6), 1e-15) and np.all(np.diag(J6) > 0)
    assert np.all(J6[~np.eye(6, dtype=bool)] < 0)


# -- 3. cross-entropy and p − y -----------------------------------------------------------------------
@pytest.mark.parametrize("k", SIZES)
def test_cross_entropy_is_minus_log_p_c_and_lse_minus_z_c(ns, k):
    z = logits(k, 7)
    for c in range(k):
        ce = ns["cross_entropy"](z, c)
        assert close(ce, -np.log(ns["softmax"](z)[c]))
        assert close(ce, ns["log_sum_exp"](z) - z[c])
        assert ce >= 0


@pytest.mark.parametrize("k", SIZES)
def test_gradient_of_cross_entropy_is_p_minus_y(ns, k):
    z = logits(k, 8)
    p = ns["softmax"](z)
    for c in range(k):
        y = np.eye(k)[c]
        num = mc.numerical_gradient(lambda z_: ns["cross_entropy"](z_, c), z)
        assert close(num, p - y)
        assert close(ns["softmax_jacobian"](z).T @ (-y / p), p - y)      # chain rule Jᵀ(−y/p)
        assert close(np.sum(p - y), 0.0, 1e-15) and np.all(np.abs(p - y) < 1)
        assert np.linalg.norm(p - y) < np.sqrt(2)                         # "to think about" 1


def test_lecture_cross_entropy_cell(ns):
    z5, c, y = ns["z5"], ns["c"], ns["y"]
    assert close(ns["grad_num"], ns["softmax"](z5) - y) and y[c] == 1 and y.sum() == 1


# -- 4. the batch ------------------------------------------------------------------------------------
@pytest.mark.parametrize("m, k", [(1, 2), (1, 5), (4, 3), (7, 2), (6, 6)])
def test_batch_gradient_is_P_minus_Y_over_m(ns, m, k):
    rng = np.random.default_rng([SEED, 9, m, k])
    Z, labels = rng.normal(size=(m, k)) * 2, rng.integers(0, k, size=m)
    loss = lambda Z_: np.mean([ns["cross_entropy"](row, c) for row, c in zip(Z_, labels)])
    P, Y = np.array([ns["softmax"](row) for row in Z]), np.eye(k)[labels]
    num = mc.numerical_gradient(loss, Z)
    assert num.shape == Z.shape and close(num, (P - Y) / m)
    if m > 1:
        assert not close(num, P - Y)                                       # the 1/m matters


def test_lecture_batch_cell(ns):
    m = ns["m"]
    assert close(ns["dZ"], mc.numerical_gradient(ns["batch_loss"], ns["Z"]))
    assert close(ns["dZ"].sum(axis=1), np.zeros(m), 1e-15)
    assert close((ns["P"] - ns["Y"]) / mc.numerical_gradient(ns["batch_loss"], ns["Z"]), np.full(ns["Z"].shape, m), 1e-5)


# -- 5. log-sum-exp and log-softmax -----------------------------------------------------------------
@pytest.mark.parametrize("k", SIZES)
def test_log_sum_exp_shift_identity_and_its_derivatives(ns, k):
    z = logits(k, 10)
    lse = ns["log_sum_exp"]
    assert close(lse(z), np.log(np.sum(np.exp(z))))
    M = np.max(z)
    assert 1 <= np.sum(np.exp(z - M)) <= k
    assert close(lse(z + 1000.0), lse(z) + 1000.0) and np.isfinite(lse(z + 1e5))
    assert close(mc.numerical_gradient(lse, z), ns["softmax"](z))          # ∇ lse = p
    assert close(mc.numerical_hessian(lse, z), ns["softmax_jacobian"](z), 1e-5)   # ∇² lse = J


@pytest.mark.parametrize("k", SIZES)
def test_log_softmax_is_z_minus_lse_and_stable(ns, k):
    z = logits(k, 11)
    ls = ns["log_softmax"](z)
    assert close(ls, np.log(ns["softmax"](z))) and close(np.sum(np.exp(ls)), 1.0)
    assert close(ns["log_softmax"](z + 5000.0), ls, 1e-9)


def test_overflow_and_underflow_examples(ns):
    with np.errstate(all="ignore"):
        z = np.array([1000.0, 999.0, 0.0])
        assert np.all(np.isnan(np.log(np.exp(z) / np.sum(np.exp(z)))[:2]))       # unshifted: nan
        assert np.isneginf(np.log(ns["softmax"](z))[2])                          # shifted: log 0
        assert np.isneginf(np.log(ns["softmax"](np.array([0.0, -1000.0])))[1])
    assert close(ns["softmax"](np.array([0.0, -1000.0])), [1.0, 0.0], 0)
    ls = ns["log_softmax"](np.array([0.0, -1000.0]))
    assert close(ls, [0.0, -1000.0], 1e-12)                                  # −1000 − log(1 + e^−1000) ≈ −1000
    assert close(ns["log_softmax"](z), z - 1000.0 - np.log1p(np.exp(-1.0) + np.exp(-1000.0)), 1e-12)


def test_cross_entropy_is_convex_in_the_logits_and_flat_along_ones(ns):
    rng = np.random.default_rng([SEED, 12])
    for _ in range(20):
        a, b, t = rng.normal(size=4) * 3, rng.normal(size=4) * 3, rng.uniform()
        ce = lambda z_: ns["cross_entropy"](z_, 2)
        assert ce(t * a + (1 - t) * b) <= t * ce(a) + (1 - t) * ce(b) + 1e-12
        assert close(ce(a + rng.normal() * 10 * np.ones(4)), ce(a), 1e-9)


# -- 6. the loss surface ----------------------------------------------------------------------------
def test_loss_surface_plane_and_arrows(ns):
    basis = ns["basis"]
    assert close(basis @ basis.T, np.eye(2), 1e-15) and close(basis @ np.ones(3), np.zeros(2), 1e-15)
    grid = ns["loss_grid"]
    assert grid.shape == (201, 201) and np.all(grid > 0)
    U, V, logits_ = ns["U"], ns["V"], ns["logits"]
    assert close(logits_.sum(axis=-1), np.zeros(U.shape), 1e-12)
    i, j = 37, 150
    assert close(grid[i, j], ns["cross_entropy"](U[i, j] * basis[0] + V[i, j] * basis[1], ns["c3"]))
    arrows = ns["arrows"]
    assert close(arrows.sum(axis=-1), np.zeros(arrows.shape[:2]), 1e-12)   # −(p − y) lies in the plane
    # the arrows point downhill: a small step along one lowers the loss
    g = ns["g"]
    for a in range(0, 9, 4):
        for b in range(0, 9, 4):
            z = g[a] * basis[0] + g[b] * basis[1]
            step = arrows[b, a]
            assert ns["cross_entropy"](z + 1e-3 * step, 0) < ns["cross_entropy"](z, 0)


def test_loss_along_the_class_ray_falls_to_zero_without_reaching_it(ns):
    d1 = ns["d1"]
    ray = [ns["cross_entropy"](t * (ns["basis"].T @ d1), 0) for t in np.linspace(-6, 12, 50)]
    assert np.all(np.diff(ray) < 0) and 0 < ray[-1] < 1e-5


# -- 7. two classes ----------------------------------------------------------------------------------
@pytest.mark.parametrize("z", [-30.0, -2.0, 0.0, 0.7, 12.0])
def test_two_class_softmax_is_the_sigmoid_and_ce_is_the_log_loss(ns, z):
    assert close(ns["softmax"](np.array([z, 0.0]))[0], ns["sigmoid"](z))
    assert close(ns["softmax"](np.array([z + 3.0, 3.0])), ns["softmax"](np.array([z, 0.0])))
    for y, c in ((1.0, 0), (0.0, 1)):
        bce = ns["bce_with_logits"](z, y)
        assert close(bce, ns["cross_entropy"](np.array([z, 0.0]), c))
        assert close(bce, ns["bce_from_probability"](ns["sigmoid"](z), y), 1e-9)
        assert close(mc.numerical_derivative(lambda t: ns["bce_with_logits"](t, y), z), ns["sigmoid"](z) - y)
    assert close(np.log1p(np.exp(z)), max(z, 0) + np.log1p(np.exp(-abs(z))))


def test_confident_predictions_break_the_probability_form_but_not_the_logit_form(ns):
    text = lecture_text(NAME)
    assert re.search(r"1 - 4\.2\\times 10\^\{-18\}", text) and "1.1\\times 10^{-16}" in text
    assert ns["sigmoid"](40.0) == 1.0 and close(np.exp(-40.0), 4.2e-18, 1e-2)
    assert close(1 - np.nextafter(1.0, 0.0), 1.1e-16, 1e-2)
    with np.errstate(divide="ignore", invalid="ignore"):
        assert np.isnan(ns["bce_from_probability"](ns["sigmoid"](40.0), 1.0))      # correct and confident: nan
        assert np.isinf(ns["bce_from_probability"](ns["sigmoid"](40.0), 0.0))      # wrong and confident: inf
        assert np.isnan(ns["bce_from_probability"](ns["sigmoid"](-800.0), 0.0))
    assert ns["sigmoid"](-745.0) > 0 and ns["sigmoid"](-746.0) == 0                  # "below about −745"
    assert close(ns["bce_with_logits"](40.0, 0.0), 40.0) and 0 < ns["bce_with_logits"](40.0, 1.0) < 1e-17
    zs = ns["zs"]
    for y in (0.0, 1.0):
        assert np.all(np.isfinite(ns["bce_with_logits"](zs, y)))
        assert close(ns["bce_with_logits"](zs, y), [ns["cross_entropy"](np.array([z, 0.0]), int(y == 0)) for z in zs])
