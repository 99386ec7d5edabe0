"""Every formula and number stated in lecture 16 (automatic differentiation), checked against the lecture's code.

The lecture's functions (its JVP and VJP sweeps, gates, scalar engine, cost counter) are run from the lecture
itself (``lecture_namespace``) and compared with matcalc's central differences at fixed and seeded random
points; the numbers its text states are read from its markdown.
"""
import re

import numpy as np
import pytest

import matcalc as mc

from closed_forms import close
from lecture import lecture_namespace, lecture_text

LECTURE = "16_autodiff"
RNG_SEED = 1616


@pytest.fixture(scope="module")
def ns():
    return lecture_namespace(LECTURE)


def f_direct(x):
    """ln x1 + x1·x2 − sin x2, written out again (not the lecture's copy)."""
    return np.log(x[0]) + x[0] * x[1] - np.sin(x[1])


# -- 1. the example and its graph -------------------------------------------------------------------
def test_program_computes_the_example_function(ns):
    for x1, x2 in [(2.0, 5.0), (0.3, -1.2), (4.0, 0.1)]:
        values = ns["run"](ns["PROGRAM"], {"x1": x1, "x2": x2})
        assert close(values["f"], f_direct([x1, x2]), 1e-13)
        assert close(values["v2"], x1 * x2) and close(values["v4"], np.log(x1) + x1 * x2)


def test_stated_value_and_partial_derivatives_at_2_5(ns):
    text = lecture_text(LECTURE)
    grad = mc.numerical_gradient(f_direct, np.array([2.0, 5.0]))
    assert "= 5.5 = \\partial f/\\partial x_1" in text and close(grad[0], 5.5)
    assert "2 - \\cos 5 \\approx 1.7163" in text and close(grad[1], 2 - np.cos(5.0)) and abs(grad[1] - 1.7163) < 5e-5
    # the adjoints the text lists: f̄ = v̄4 = v̄1 = v̄2 = 1, v̄3 = −1, and x1's two contributions 0.5 and 5
    assert "\\bar v_3 = -1" in text and "0.5 + 5 = 5.5" in text
    _, bars = ns["vjp_pass"](ns["PROGRAM"], {"x1": 2.0, "x2": 5.0}, "f")
    assert bars["f"] == bars["v4"] == bars["v1"] == bars["v2"] == 1.0 and bars["v3"] == -1.0
    assert close(bars["v1"] * mc.numerical_derivative(np.log, 2.0), 0.5)     # x1's share through v1 = ln x1
    assert close(bars["v2"] * 5.0, 5.0)                                       # and through v2 = x1 x2


# -- 2./3. forward and reverse mode ------------------------------------------------------------------
def test_forward_mode_gives_jacobian_vector_products(ns):
    rng = np.random.default_rng(RNG_SEED)
    for _ in range(5):
        x = np.array([rng.uniform(0.2, 3), rng.normal()])
        d = rng.normal(size=2)
        _, dots = ns["jvp_pass"](ns["PROGRAM"], {"x1": x[0], "x2": x[1]}, {"x1": d[0], "x2": d[1]})
        assert close(dots["f"], mc.numerical_gradient(f_direct, x) @ d)


def test_reverse_mode_gives_the_whole_gradient_in_one_sweep(ns):
    rng = np.random.default_rng(RNG_SEED + 1)
    for _ in range(5):
        x = np.array([rng.uniform(0.2, 3), rng.normal()])
        seed = rng.normal()
        _, bars = ns["vjp_pass"](ns["PROGRAM"], {"x1": x[0], "x2": x[1]}, "f", seed)
        assert close([bars["x1"], bars["x2"]], seed * mc.numerical_gradient(f_direct, x))
        assert bars["f"] == seed


@pytest.mark.parametrize("n, m", [(1, 1), (3, 2), (5, 7), (8, 1)])
def test_both_modes_give_the_numerical_jacobian_of_the_test_program(ns, n, m):
    program, xs, ys = ns["test_program"](n, m)
    x0 = np.random.default_rng([RNG_SEED, n, m]).normal(size=n)
    inputs = dict(zip(xs, x0))
    numeric = mc.numerical_jacobian(lambda x: np.array([ns["run"](program, dict(zip(xs, x)))[y] for y in ys]), x0)
    assert numeric.shape == (m, n)
    assert close(ns["jacobian_forward"](program, inputs, ys), numeric)
    assert close(ns["jacobian_reverse"](program, inputs, ys), numeric)


def test_test_program_is_the_stated_function(ns):
    """h_i = sin(x_i x_{i+1}), s = Σ h_i, y_j = s · h_{j mod n}."""
    n, m = 4, 6
    program, xs, ys = ns["test_program"](n, m)
    x = np.random.default_rng(RNG_SEED + 2).normal(size=n)
    h = np.sin(x * np.roll(x, -1))
    values = ns["run"](program, dict(zip(xs, x)))
    assert close([values[y] for y in ys], [h.sum() * h[j % n] for j in range(m)], 1e-13)


# -- 4. the cost of the two modes ---------------------------------------------------------------------
@pytest.mark.parametrize("n, m", [(1, 1), (2, 5), (5, 3), (8, 8), (16, 1)])
def test_costs_are_2Pn_and_2Pm_evaluations(ns, n, m):
    program, xs, ys = ns["test_program"](n, m)
    inputs = dict(zip(xs, np.linspace(-1, 1, n)))
    P = len(program)
    assert ns["counted"](ns["jacobian_forward"], program, inputs, ys)[1] == 2 * P * n
    assert ns["counted"](ns["jacobian_reverse"], program, inputs, ys)[1] == 2 * P * m


def test_plotted_costs_ratio_is_n_for_a_scalar_output(ns):
    text = lecture_text(LECTURE)
    assert "For a scalar output the ratio is exactly $n$" in text
    for n, (forward, reverse) in zip(ns["ns"], ns["grad_costs"]):
        assert forward == n * reverse
    crossing = dict(zip(ns["ms"], ns["jac_costs"]))
    assert crossing[8][0] == crossing[8][1]                       # "the two modes cost the same at m = 8"
    assert all(fwd < rev for m, (fwd, rev) in crossing.items() if m > 8)
    assert all(fwd > rev for m, (fwd, rev) in crossing.items() if m < 8)


# -- 5. gates --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("gate, forward", [("gate_add", np.add), ("gate_mul", np.multiply), ("gate_max", np.maximum)])
@pytest.mark.parametrize("shape", [(3,), (2, 4), (3, 1, 2)])
def test_elementwise_gates_are_the_vjps(ns, gate, forward, shape):
    rng = np.random.default_rng([RNG_SEED, len(shape), *shape])
    a, b, G = rng.normal(size=shape), rng.normal(size=shape), rng.normal(size=shape)
    got_a, got_b = ns[gate](G, a, b)
    assert close(got_a, mc.numerical_gradient(lambda a_: np.sum(G * forward(a_, b)), a))
    assert close(got_b, mc.numerical_gradient(lambda b_: np.sum(G * forward(a, b_)), b))


def test_max_routes_the_whole_gradient_to_the_larger_input(ns):
    a, b, G = np.array([1.0, -2.0, 3.0]), np.array([0.5, 4.0, -1.0]), np.array([2.0, 3.0, 5.0])
    got_a, got_b = ns["gate_max"](G, a, b)
    assert np.array_equal(got_a, [2.0, 0.0, 5.0]) and np.array_equal(got_b, [0.0, 3.0, 0.0])
    assert np.array_equal(got_a + got_b, G)


@pytest.mark.parametrize("m, n", [(1, 1), (2, 5), (4, 3)])
def test_matvec_gate_is_outer_product_and_transpose(ns, m, n):
    rng = np.random.default_rng([RNG_SEED, 7, m, n])
    W, x, g = rng.normal(size=(m, n)), rng.normal(size=n), rng.normal(size=m)
    got_W, got_x = ns["gate_matvec"](g, W, x)
    assert got_W.shape == W.shape and got_x.shape == x.shape
    assert close(got_W, mc.numerical_gradient(lambda W_: g @ (W_ @ x), W))
    assert close(got_x, mc.numerical_gradient(lambda x_: g @ (W @ x_), x))


def test_bias_column_adjoint_is_the_sum_over_the_broadcast_axis(ns):
    b, Z0, G = ns["b_col"], ns["Z0"], ns["G"]
    assert b.shape == (3, 1) and G.shape == (3, 5) and ns["bias_vjp"].shape == b.shape
    assert close(ns["bias_vjp"], mc.numerical_gradient(lambda b_: np.sum(G * (Z0 + b_)), b))
    assert not close(G[:, :1], ns["bias_vjp"])                    # the first column alone is not it


# -- 6. the scalar engine -----------------------------------------------------------------------------
def engine_gradient(ns, expression, point):
    variables = [ns["Var"](v) for v in point]
    ns["backward"](expression(*variables))
    return np.array([v.grad for v in variables])


EXPRESSIONS = [
    (lambda x, y: x.log() + x * y - y.sin(), lambda x, y: np.log(x) + x * y - np.sin(y)),
    (lambda x, y: x * x * y + (x * y).exp(), lambda x, y: x * x * y + np.exp(x * y)),
    (lambda x, y: (x * y).sin() * (x + y) - 3.0 * x, lambda x, y: np.sin(x * y) * (x + y) - 3 * x),
    (lambda x, y: (x * x + y * y).log() * x, lambda x, y: np.log(x * x + y * y) * x),
]


@pytest.mark.parametrize("index", range(len(EXPRESSIONS)))
def test_scalar_engine_matches_numerical_gradients(ns, index):
    expression, plain = EXPRESSIONS[index]
    rng = np.random.default_rng([RNG_SEED, 9, index])
    for _ in range(3):
        point = rng.uniform(0.3, 2.0, size=2)
        assert close(engine_gradient(ns, expression, point), mc.numerical_gradient(lambda v: plain(*v), point))


def test_topological_sort_puts_every_node_after_its_inputs(ns):
    x, y = ns["Var"](1.5), ns["Var"](0.5)
    u = x * y
    out = (u + u.exp()) * x
    order = ns["topological_sort"](out)
    position = {id(node): i for i, node in enumerate(order)}
    assert len(position) == len(order) and order[-1] is out
    assert all(position[id(parent)] < position[id(node)] for node in order for parent, _ in node.inputs)


def test_loopy_example_matches_numerical_gradient(ns):
    rng = np.random.default_rng(RNG_SEED + 3)
    for v in [np.array([0.7, 1.3]), np.array([-0.4, 0.9]), *rng.uniform(-1, 1.5, size=(3, 2))]:
        assert close(engine_gradient(ns, ns["loopy"], v), mc.numerical_gradient(ns["loopy_float"], v))


def test_the_two_bugs_give_the_stated_wrong_answers(ns):
    text = lecture_text(LECTURE)
    assert ns["overwrite_grad"] == 3.0 and "the overwriting engine reports $3$" in text
    x = ns["Var"](3.0)
    ns["backward"](x * x)
    assert x.grad == 6.0 and close(mc.numerical_derivative(lambda t: t * t, 3.0), 6.0)
    assert ns["bfs_grad"] == 2.0 and "reports $\\partial f/\\partial x = 2$" in text
    exact = mc.numerical_derivative(lambda t: t * t + np.exp(t * t), 1.0)
    assert close(ns["right_grad"], exact) and close(2 * (1 + np.e), exact)
    assert re.search(r"2\(1 \+ e\) \\approx 7\.4366", text) and abs(exact - 7.4366) < 5e-5
