"""Planted mistakes for assignment 15_softmax_cross_entropy, graded by the real nbgrader loop.

One course copy, ONE autograde call: a correct student, one student per classic mistake, and students who are
right in another way (loops, einsum, other algebra, no call to their own helpers, debug prints). Each mistake
must cost exactly its item and be named in the errors of the student's feedback; every right-but-different
student must get every point.
"""
import pytest

from harness import PlantedMistakes

SOFTMAX = "15_softmax_cross_entropy"
ITEMS = {"test_tempered_softmax_jacobian": 2, "test_log_softmax_jacobian": 2, "test_log_probabilities": 2,
         "test_logit_gradient": 2, "test_weight_gradient": 2, "test_bias_gradient": 1}

MISTAKES_15 = {
    # student: (solution cell, wrong source, graded item that must drop to 0, words the feedback must contain)
    "tempered_diag_only": ("tempered_softmax_jacobian", """
def tempered_softmax_jacobian(z, temperature):
    s = z / temperature
    q = np.exp(s - s.max()) / np.sum(np.exp(s - s.max()))
    return np.diag(q) / temperature           # softmax treated as element-wise: no outer product
""", "test_tempered_softmax_jacobian", ["only the diagonal"]),
    "tempered_no_inner_derivative": ("tempered_softmax_jacobian", """
def tempered_softmax_jacobian(z, temperature):
    s = z / temperature
    q = np.exp(s - s.max()) / np.sum(np.exp(s - s.max()))
    return np.diag(q) - np.outer(q, q)        # forgot the 1/T of z/T
""", "test_tempered_softmax_jacobian", ["forgot the inner derivative 1/T"]),
    "tempered_overflows": ("tempered_softmax_jacobian", """
def tempered_softmax_jacobian(z, temperature):
    q = np.exp(z / temperature) / np.sum(np.exp(z / temperature))     # no shift: exp(1000) = inf
    return (np.diag(q) - np.outer(q, q)) / temperature
""", "test_tempered_softmax_jacobian", ["nan or inf for logits of size 1000 and more"]),
    "log_jacobian_transposed": ("log_softmax_jacobian", """
def log_softmax_jacobian(z):
    p = np.exp(z - z.max()) / np.sum(np.exp(z - z.max()))
    return np.eye(len(z)) - np.outer(p, np.ones(len(z)))   # denominator layout
""", "test_log_softmax_jacobian", ["transposed"]),
    "log_jacobian_identity": ("log_softmax_jacobian", """
def log_softmax_jacobian(z):
    return np.eye(len(z))                     # forgot the normalising sum: no outer-product term
""", "test_log_softmax_jacobian", ["only the identity"]),
    "log_jacobian_divides_by_p": ("log_softmax_jacobian", """
def log_softmax_jacobian(z):
    p = np.exp(z - z.max()) / np.sum(np.exp(z - z.max()))
    return np.diag(1 / p) @ (np.diag(p) - np.outer(p, p))   # chain rule through log p: 1/0 when p underflows
""", "test_log_softmax_jacobian", ["must be finite"]),
    "log_probs_unshifted": ("log_probabilities", """
def log_probabilities(Z):
    return np.log(np.exp(Z) / np.sum(np.exp(Z), axis=1, keepdims=True))
""", "test_log_probabilities", ["without shifting the logits"]),
    "log_probs_log_of_softmax": ("log_probabilities", """
def log_probabilities(Z):
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return np.log(E / E.sum(axis=1, keepdims=True))       # log of a probability that may be 0
""", "test_log_probabilities", ["log 0 = −inf"]),
    "log_probs_global_max": ("log_probabilities", """
def log_probabilities(Z):
    M = Z.max()                                            # one shift for the whole batch
    return Z - M - np.log(np.sum(np.exp(Z - M), axis=1, keepdims=True))
""", "test_log_probabilities", ["largest logit of the whole batch"]),
    "log_probs_in_place": ("log_probabilities", """
def log_probabilities(Z):
    Z -= Z.max(axis=1, keepdims=True)                      # writes into the caller's array
    return Z - np.log(np.sum(np.exp(Z), axis=1, keepdims=True))
""", "test_log_probabilities", ["writes into one of its input arrays"]),
    "logit_no_mean": ("logit_gradient", """
def logit_gradient(Z, labels):
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True) - np.eye(Z.shape[1])[labels]   # p − y without 1/m
""", "test_logit_gradient", ["not of their mean"]),
    "logit_sign": ("logit_gradient", """
def logit_gradient(Z, labels):
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return (np.eye(Z.shape[1])[labels] - E / E.sum(axis=1, keepdims=True)) / len(Z)
""", "test_logit_gradient", ["sign error"]),
    "logit_overflows": ("logit_gradient", """
def logit_gradient(Z, labels):
    P = np.exp(Z) / np.sum(np.exp(Z), axis=1, keepdims=True)
    return (P - np.eye(Z.shape[1])[labels]) / len(Z)
""", "test_logit_gradient", ["nan or inf for logits of size 1000 and more"]),
    "logit_in_place": ("logit_gradient", """
def logit_gradient(Z, labels):
    np.subtract(Z, Z.max(axis=1, keepdims=True), out=Z)
    P = np.exp(Z) / np.sum(np.exp(Z), axis=1, keepdims=True)
    return (P - np.eye(Z.shape[1])[labels]) / len(Z)
""", "test_logit_gradient", ["writes into one of its input arrays"]),
    "weight_transposed": ("weight_gradient", """
def weight_gradient(W, b, X, labels):
    return logit_gradient(X @ W + b, labels).T @ X        # (k, d): the transpose
""", "test_weight_gradient", ["[transposed]"]),
    "weight_x_dz": ("weight_gradient", """
def weight_gradient(W, b, X, labels):
    return X @ logit_gradient(X @ W + b, labels)           # shapes do not chain
""", "test_weight_gradient", ["raised ValueError"]),
    "weight_no_mean": ("weight_gradient", """
def weight_gradient(W, b, X, labels):
    Z = X @ W + b
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return X.T @ (E / E.sum(axis=1, keepdims=True) - np.eye(W.shape[1])[labels])   # forgot 1/m
""", "test_weight_gradient", ["missing the 1/m"]),
    "bias_not_summed": ("bias_gradient", """
def bias_gradient(W, b, X, labels):
    return logit_gradient(X @ W + b, labels)               # one row per example
""", "test_bias_gradient", ["one gradient per example"]),
    "bias_right_only_at_the_visible_batch": ("bias_gradient", """
def bias_gradient(W, b, X, labels):
    if X.shape == (5, 3):                                  # tuned to the visible test
        return np.sum(logit_gradient(X @ W + b, labels), axis=0)
    return np.zeros(W.shape[1])
""", "test_bias_gradient", ["returned all zeros"]),
    "bias_mean": ("bias_gradient", """
def bias_gradient(W, b, X, labels):
    return np.mean(logit_gradient(X @ W + b, labels), axis=0)
""", "test_bias_gradient", ["averaged the rows"]),
}

# Right answers written differently: each student replaces several cells.
ALTERNATIVES_15 = {
    "loops": {
        "tempered_softmax_jacobian": """
def tempered_softmax_jacobian(z, temperature):
    k = len(z)
    s = [v / temperature for v in z]
    top = max(s)
    e = [np.exp(v - top) for v in s]
    q = [v / sum(e) for v in e]
    J = np.zeros((k, k))
    for i in range(k):
        for j in range(k):
            J[i, j] = (q[i] * (i == j) - q[i] * q[j]) / temperature
    return J
""",
        "log_softmax_jacobian": """
def log_softmax_jacobian(z):
    k = len(z)
    e = np.exp(z - max(z))
    p = e / e.sum()
    J = np.empty((k, k))
    for i in range(k):
        for j in range(k):
            J[i, j] = float(i == j) - p[j]
    return J
""",
        "log_probabilities": """
def log_probabilities(Z):
    out = np.empty_like(Z, dtype=float)
    for r, row in enumerate(Z):
        top = row.max()
        out[r] = row - top - np.log(np.exp(row - top).sum())
    return out
""",
        "logit_gradient": """
def logit_gradient(Z, labels):
    m, k = Z.shape
    G = np.zeros((m, k))
    for r in range(m):
        e = np.exp(Z[r] - Z[r].max())
        G[r] = e / e.sum()
        G[r, labels[r]] -= 1
    print("debug: logit gradient of shape", G.shape)
    return G / m
""",
        "weight_gradient": """
def weight_gradient(W, b, X, labels):
    dZ = logit_gradient(X @ W + b, labels)
    d, k = W.shape
    G = np.zeros((d, k))
    for r in range(X.shape[0]):
        G += np.outer(X[r], dZ[r])
    return G
""",
        "bias_gradient": """
def bias_gradient(W, b, X, labels):
    dZ = logit_gradient(X @ W + b, labels)
    total = np.zeros(W.shape[1])
    for row in dZ:
        total = total + row
    return total
""",
    },
    "algebra": {
        "tempered_softmax_jacobian": """
def tempered_softmax_jacobian(z, temperature):
    s = (z - z.max()) / temperature
    q = np.exp(s - np.logaddexp.reduce(s))
    return q[:, None] * (np.eye(q.size) - q[None, :]) / temperature
""",
        "log_softmax_jacobian": """
def log_softmax_jacobian(z):
    p = np.exp(z - np.logaddexp.reduce(z))
    return np.eye(z.size) - np.broadcast_to(p, (z.size, z.size))
""",
        "log_probabilities": """
def log_probabilities(Z):
    return Z - np.logaddexp.reduce(Z, axis=1, keepdims=True)
""",
        "logit_gradient": """
def logit_gradient(Z, labels):
    P = np.exp(Z - np.logaddexp.reduce(Z, axis=1, keepdims=True))
    Y = (np.arange(Z.shape[1]) == labels[:, None]).astype(float)
    return np.einsum("rk->rk", P - Y) / Z.shape[0]
""",
        "weight_gradient": """
def weight_gradient(W, b, X, labels):
    Z = X @ W + b                                   # no call to logit_gradient: all inline
    Z = Z - Z.max(axis=1, keepdims=True)
    P = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
    P[np.arange(len(labels)), labels] -= 1
    return np.einsum("rd,rk->dk", X, P) / len(labels)
""",
        "bias_gradient": """
def bias_gradient(W, b, X, labels):
    return np.ones(X.shape[0]) @ logit_gradient(X @ W + b, labels)
""",
    },
}


class SoftmaxClass(PlantedMistakes):
    """PlantedMistakes, plus students who answer every item right in their own way (several cells each)."""

    def __init__(self, tmp_path_factory, assignment, mistakes, alternatives):
        from harness import Course
        self.assignment, self.mistakes = assignment, mistakes
        self.course = Course.copy(tmp_path_factory.mktemp(assignment), [assignment])
        self.course.submit(assignment, "correct", self.course.student_notebook(assignment))
        for student, (cell, source, _, _) in mistakes.items():
            self.course.submit(assignment, student, self.course.student_notebook(assignment, {cell: source}))
        for student, answers in alternatives.items():
            self.course.submit(assignment, student, self.course.student_notebook(assignment, answers))
        self.course.autograde(assignment)
        maxes = self.course.max_scores(assignment)
        self.auto = {gid: points for gid, points in maxes.items() if gid.startswith("test_")}
        self.scores = self.course.scores(assignment)


@pytest.fixture(scope="module")
def softmax_class(tmp_path_factory):
    return SoftmaxClass(tmp_path_factory, SOFTMAX, MISTAKES_15, ALTERNATIVES_15)


def test_correct_student_gets_every_point(softmax_class):
    softmax_class.assert_correct_student_gets_every_point(ITEMS)


@pytest.mark.parametrize("student", sorted(MISTAKES_15))
def test_mistake_costs_its_item_and_is_named(softmax_class, student):
    softmax_class.assert_only_item_lost(student)


@pytest.mark.parametrize("student", sorted(ALTERNATIVES_15))
def test_right_answers_written_differently_get_every_point(softmax_class, student):
    assert {gid: softmax_class.scores[student][gid] for gid in ITEMS} == ITEMS
    assert softmax_class.course.feedback_errors(SOFTMAX, student) == ""


def test_a_wrong_logit_gradient_does_not_cost_the_classifier_items(softmax_class):
    """weight_gradient and bias_gradient call the student's logit_gradient; the tests put a right one in its place."""
    got = softmax_class.scores["logit_no_mean"]
    assert got["test_weight_gradient"] == 2 and got["test_bias_gradient"] == 1
