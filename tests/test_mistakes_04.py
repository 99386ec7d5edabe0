"""Planted students for assignment 04_chain_rule, graded by the real nbgrader loop.

One course copy, one autograde call: a correct student, one student per realistic mistake (each must lose
exactly its item, and the feedback's errors must name the mistake), and students who are right but write it
differently (each must keep every point, with no error in the feedback).
"""

import pytest

from harness import PlantedMistakes

CHAIN = "04_chain_rule"
ITEMS = {"test_slope_softplus_sin": 2, "test_curve_velocity": 2, "test_grad_norm_tanh": 2,
         "test_jacobian_softplus_net": 3, "test_leaky_neuron_loss_grads": 3}

MISTAKES = {
    "softplus_missing_2x": ("slope_softplus_sin", """
def slope_softplus_sin(x):
    u = np.sin(x**2)
    return np.exp(u) / (1 + np.exp(u)) * np.cos(x**2)
""", "test_slope_softplus_sin", ["[missing the innermost chain-rule factor"]),
    "softplus_log_derivative_only": ("slope_softplus_sin", """
def slope_softplus_sin(x):
    return 1 / (1 + np.exp(np.sin(x**2))) * np.cos(x**2) * 2 * x
""", "test_slope_softplus_sin", ["[derivative of ln(1 + eᵘ) taken as 1/(1 + eᵘ)"]),
    "curve_product_rule_half": ("curve_velocity", """
def curve_velocity(t):
    return np.array([-np.exp(-t) * (np.cos(2 * t) + 2 * np.sin(2 * t)), 2 * t / (1 + t**2), t * np.cos(t)])
""", "test_curve_velocity", ["[product rule missing a term"]),
    "curve_exp_sign": ("curve_velocity", """
def curve_velocity(t):
    return np.array([np.exp(-t) * (np.cos(2 * t) - 2 * np.sin(2 * t)), 2 * t / (1 + t**2), np.sin(t) + t * np.cos(t)])
""", "test_curve_velocity", ["[sign error in d(e⁻ᵗ)/dt"]),
    "norm_as_norm_squared": ("grad_norm_tanh", """
def grad_norm_tanh(x, a):
    r, t = np.linalg.norm(x), np.tanh(a @ x)
    return t * 2 * x + r * (1 - t**2) * a
""", "test_grad_norm_tanh", ["[differentiated ‖x‖ as if it were ‖x‖²"]),
    "norm_one_path": ("grad_norm_tanh", """
def grad_norm_tanh(x, a):
    return np.linalg.norm(x) * (1 - np.tanh(a @ x)**2) * a
""", "test_grad_norm_tanh", ["[missing the path through ‖x‖"]),
    "norm_normalises_x_in_place": ("grad_norm_tanh", """
def grad_norm_tanh(x, a):
    r, t = np.linalg.norm(x), np.tanh(a @ x)
    x /= r                                                      # unit vector, in place
    return t * x + r * (1 - t**2) * a
""", "test_grad_norm_tanh", ["your function writes to its input"]),
    "net_softplus_prime_is_softplus": ("jacobian_softplus_net", """
def jacobian_softplus_net(x, W1, c, W2):
    return W2 @ np.diag(np.log(1 + np.exp(W1 @ x + c))) @ W1
""", "test_jacobian_softplus_net", ["[softplus′ taken as softplus itself"]),
    "net_forgets_W2": ("jacobian_softplus_net", """
def jacobian_softplus_net(x, W1, c, W2):
    s = 1 / (1 + np.exp(-(W1 @ x + c)))
    return s[:, None] * W1
""", "test_jacobian_softplus_net", ["wrong shape"]),
    "net_activation_in_place": ("jacobian_softplus_net", """
def jacobian_softplus_net(x, W1, c, W2):
    u = W1 @ x
    u += c
    W1 *= (1 / (1 + np.exp(-u)))[:, None]                        # scales the caller's W1
    return W2 @ W1
""", "test_jacobian_softplus_net", ["your function writes to its input"]),
    "neuron_kink_on_the_right_piece": ("leaky_neuron_loss_grads", """
def leaky_neuron_loss_grads(w, b, x, t, alpha):
    z = w @ x + b
    slope = 1.0 if z >= 0 else alpha                            # the kink belongs to the left piece
    d = (slope * z - t) * slope
    return d * x, d
""", "test_leaky_neuron_loss_grads", ["[at z = 0 exactly you used the right piece (slope 1)]"]),
    "neuron_plain_relu": ("leaky_neuron_loss_grads", """
def leaky_neuron_loss_grads(w, b, x, t, alpha):
    z = w @ x + b
    a = max(z, alpha * z)
    d = (a - t) * (1.0 if z > 0 else 0.0)
    return d * x, d
""", "test_leaky_neuron_loss_grads", ["[used the plain ReLU"]),
    "neuron_no_activation_slope": ("leaky_neuron_loss_grads", """
def leaky_neuron_loss_grads(w, b, x, t, alpha):
    z = w @ x + b
    a = z if z > 0 else alpha * z
    return (a - t) * x, a - t
""", "test_leaky_neuron_loss_grads", ["[forgot the activation's slope"]),
}

DIFFERENT_BUT_RIGHT = {
    "softplus_with_tanh_and_print": ("slope_softplus_sin", """
def slope_softplus_sin(x):
    inner = np.sin(x * x)
    sigmoid = 0.5 * (1 + np.tanh(inner / 2))                    # another way to write the logistic function
    print("debug:", x, sigmoid)
    return 2 * x * np.cos(x * x) * sigmoid
""", None, []),
    "curve_componentwise": ("curve_velocity", """
def curve_velocity(t):
    out = np.zeros(3)
    out[0] = -np.exp(-t) * np.cos(2 * t) - 2 * np.exp(-t) * np.sin(2 * t)
    out[1] = 2 * t / (t**2 + 1)
    out[2] = t * np.cos(t) + np.sin(t)
    return out
""", None, []),
    "norm_einsum_and_copy": ("grad_norm_tanh", """
def grad_norm_tanh(x, a):
    x = x.copy()
    r = np.sqrt(np.einsum('i,i->', x, x))
    ax = np.einsum('i,i->', a, x)
    x /= r                                                      # on its own copy: fine
    return np.tanh(ax) * x + r / np.cosh(ax)**2 * a
""", None, []),
    "net_loops": ("jacobian_softplus_net", """
def jacobian_softplus_net(x, W1, c, W2):
    k, m = W2.shape
    n = len(x)
    J = np.zeros((k, n))
    for i in range(k):
        for j in range(n):
            for h in range(m):
                u = W1[h] @ x + c[h]
                J[i, j] += W2[i, h] * np.exp(u) / (1 + np.exp(u)) * W1[h, j]
    return J
""", None, []),
    "neuron_where": ("leaky_neuron_loss_grads", """
def leaky_neuron_loss_grads(w, b, x, t, alpha):
    z = float(np.dot(w, x) + b)
    deriv = np.where(z > 0, 1.0, alpha)
    a = np.where(z > 0, z, alpha * z)
    dz = float((a - t) * deriv)
    return dz * np.asarray(x), dz
""", None, []),
}


@pytest.fixture(scope="module")
def chain_class(tmp_path_factory):
    return PlantedMistakes(tmp_path_factory, CHAIN, {**MISTAKES, **DIFFERENT_BUT_RIGHT})


def test_correct_student_gets_every_point(chain_class):
    chain_class.assert_correct_student_gets_every_point(ITEMS)


@pytest.mark.parametrize("student", sorted(MISTAKES))
def test_mistake_costs_its_item_and_is_named(chain_class, student):
    chain_class.assert_only_item_lost(student)


@pytest.mark.parametrize("student", sorted(DIFFERENT_BUT_RIGHT))
def test_right_but_different_gets_every_point(chain_class, student):
    assert chain_class.scores[student] == {**chain_class.scores["correct"], **ITEMS}
    assert chain_class.course.feedback_errors(CHAIN, student) == ""
