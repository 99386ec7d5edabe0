"""Lecture 10_perceptron_regression, checked: its functions (predict_one, loss_one, gradient_one, predict,
batch_loss, batch_gradient, make_houses, train) are run from the lecture itself and compared with matcalc's
central differences, with direct evaluation, and with the numbers its text states.
"""
import numpy as np
import pytest

import matcalc as mc

from closed_forms import close
from lecture import lecture_namespace

NS = lecture_namespace("10_perceptron_regression")

RNG_SEED = 1010


# ------------------------------------------------------------------ one example (sections 1-3)
predict_one, loss_one, gradient_one = NS["predict_one"], NS["loss_one"], NS["gradient_one"]


W0, B0, X0, Y0 = np.array([2.0, 3.0]), 1.0, np.array([1.0, 2.0]), 10.0


def test_three_houses_lie_on_price_100_times_size():
    size, price = np.array([1.0, 2.0, 3.0]), np.array([100.0, 200.0, 300.0])
    assert np.array_equal(100 * size, price)


def test_the_lecture_house_prediction_and_loss():
    assert predict_one(W0, B0, X0) == 2 * 1 + 3 * 2 + 1 == 9
    assert loss_one(W0, B0, X0, Y0) == 0.5


def test_chain_rule_factors():
    y_hat = predict_one(W0, B0, X0)
    assert close(mc.numerical_derivative(lambda t: 0.5 * (Y0 - t) ** 2, y_hat), -(Y0 - y_hat))   # ∂L/∂ŷ
    assert close(mc.numerical_gradient(lambda v: predict_one(v, B0, X0), W0), X0)                # ∂ŷ/∂w = x
    assert close(mc.numerical_derivative(lambda t: predict_one(W0, t, X0), B0), 1.0)             # ∂ŷ/∂b = 1


def test_single_example_gradient_at_the_lecture_house_and_at_random_points():
    dw, db = gradient_one(W0, B0, X0, Y0)
    assert np.array_equal(dw, [-1.0, -2.0]) and db == -1.0
    y_hat = predict_one(W0, B0, X0)
    assert np.array_equal(dw, -X0 * (Y0 - y_hat)) and db == -(Y0 - y_hat)          # the seed's form
    rng = np.random.default_rng(RNG_SEED)
    for n in (1, 2, 5):
        w, b, x, y = rng.normal(size=n), rng.normal(), rng.normal(size=n), rng.normal()
        mc.check_gradient(lambda v: gradient_one(v, b, x, y)[0], lambda v: loss_one(v, b, x, y), w)
        mc.check_gradient(lambda v: gradient_one(w, v, x, y)[1], lambda v: loss_one(w, v, x, y), b)


def test_one_step_of_gradient_descent_on_the_lecture_house():
    dw, db = gradient_one(W0, B0, X0, Y0)
    w1, b1 = W0 - 0.1 * dw, B0 - 0.1 * db
    assert close(w1, [2.1, 3.2], 1e-14) and close(b1, 1.1, 1e-14)
    assert close(predict_one(w1, b1, X0), 9.6, 1e-14) and close(loss_one(w1, b1, X0, Y0), 0.08, 1e-12)


def test_a_too_low_prediction_raises_weights_in_proportion_to_their_inputs():
    rng = np.random.default_rng(3)
    x = rng.uniform(0.5, 2, size=3)
    w, b = np.zeros(3), 0.0
    dw, db = gradient_one(w, b, x, y=5.0)            # ŷ = 0 < y
    step = -0.1 * dw
    assert np.all(step > 0) and -0.1 * db > 0 and close(step / x, np.full(3, step[0] / x[0]))


# ------------------------------------------------------------------ batch form (section 4)
predict, batch_loss, batch_gradient = NS["predict"], NS["batch_loss"], NS["batch_gradient"]


def test_the_lectures_losses_are_half_the_squared_error():
    rng = np.random.default_rng(RNG_SEED + 5)
    for _ in range(4):
        w, b, x, y = rng.normal(size=3), rng.normal(), rng.normal(size=3), rng.normal()
        assert close(loss_one(w, b, x, y), 0.5 * (y - (w @ x + b)) ** 2, 1e-12)
        X, Y = rng.normal(size=(3, 6)), rng.normal(size=(1, 6))
        W, B = rng.normal(size=(1, 3)), rng.normal(size=(1, 1))
        assert close(batch_loss(W, B, X, Y), np.mean(0.5 * (Y - (W @ X + B)) ** 2), 1e-12)


def data(rng, n, m):
    return rng.normal(size=(n, m)), rng.normal(size=(1, m)), rng.normal(size=(1, n)), rng.normal(size=(1, 1))


@pytest.mark.parametrize("n, m", [(2, 5), (1, 1), (3, 1), (1, 8), (4, 7)])
def test_batch_prediction_loss_and_gradient(n, m):
    X, y, w, b = data(np.random.default_rng(RNG_SEED + 10 * n + m), n, m)
    assert predict(w, b, X).shape == (1, m)
    assert close(predict(w, b, X)[0], [w[0] @ X[:, i] + b[0, 0] for i in range(m)], 1e-12)
    singles = [loss_one(w[0], b[0, 0], X[:, i], y[0, i]) for i in range(m)]
    assert close(batch_loss(w, b, X, y), np.mean(singles), 1e-12)
    dW, db = batch_gradient(w, b, X, y)
    assert dW.shape == w.shape == (1, n) and db.shape == b.shape == (1, 1)
    mc.check_gradient(lambda v: batch_gradient(v, b, X, y)[0], lambda v: batch_loss(v, b, X, y), w)
    mc.check_gradient(lambda v: batch_gradient(w, v, X, y)[1], lambda v: batch_loss(w, v, X, y), b)
    # entry j is (1/m) Σ_i (ŷ_i − y_i) X_ji, the mean of the single-example gradients
    err = predict(w, b, X) - y
    assert close(dW[0], [np.sum(err[0] * X[j]) / m for j in range(n)], 1e-12)
    one = [gradient_one(w[0], b[0, 0], X[:, i], y[0, i]) for i in range(m)]
    assert close(dW[0], np.mean([g[0] for g in one], axis=0), 1e-12)
    assert close(db[0, 0], np.mean([g[1] for g in one]), 1e-12)


def test_one_over_m_makes_the_gradient_independent_of_the_batch_size():
    X, y, w, b = data(np.random.default_rng(4), 2, 10)
    X_big, y_big = np.tile(X, 1000), np.tile(y, 1000)          # the same data, 1000 times
    for small, big in zip(batch_gradient(w, b, X, y), batch_gradient(w, b, X_big, y_big)):
        assert close(small, big, 1e-10)


def test_the_classic_mistakes_get_the_labels_shown_in_the_lecture():
    X, y, w, b = data(np.random.default_rng(11), 2, 5)
    m = 5
    f_w, f_b = (lambda v: batch_loss(v, b, X, y)), (lambda v: batch_loss(w, v, X, y))
    cases = [
        ("[wrong shape]", lambda v: (predict(v, b, X) - y) * X / m, f_w, w),
        ("[transposed]", lambda v: X @ (predict(v, b, X) - y).T / m, f_w, w),
        ("[missing batch sum]", lambda v: (predict(w, v, X) - y) / m, f_b, b),
        ("[missing keepdims]", lambda v: np.sum(predict(w, v, X) - y, axis=1) / m, f_b, b),
        ("[factor ×5]", lambda v: (predict(v, b, X) - y) @ X.T, f_w, w),
        ("[sign flipped]", lambda v: (y - predict(v, b, X)) @ X.T / m, f_w, w),
    ]
    for label, grad_fn, f, point in cases:
        with pytest.raises(mc.GradientCheckError) as error:
            mc.check_gradient(grad_fn, f, point)
        assert str(error.value).startswith(label), str(error.value)
    assert ((predict(w, b, X) - y) * X).shape == (2, 5)


# ------------------------------------------------------------------ the house data (sections 5-6)
make_houses = NS["make_houses"]
X_RAW, PRICES = make_houses()
MEAN, STD = X_RAW.mean(axis=1, keepdims=True), X_RAW.std(axis=1, keepdims=True)
X_STD = (X_RAW - MEAN) / STD


def with_ones(X):
    return np.vstack([X, np.ones((1, X.shape[1]))])


train = NS["train"]


def least_squares():
    best = np.linalg.lstsq(with_ones(X_STD).T, PRICES[0], rcond=None)[0]
    return best, batch_loss(best[:2].reshape(1, 2), best[2:].reshape(1, 1), X_STD, PRICES)


def test_the_house_data():
    assert X_RAW.shape == (2, 60) and PRICES.shape == (1, 60)
    assert np.all((X_RAW[0] >= 40) & (X_RAW[0] <= 200))
    assert set(np.unique(X_RAW[1])) <= {1, 2, 3, 4, 5, 6}
    assert np.round(np.vstack([X_RAW, PRICES]).T[:3], 1).tolist() == [[193.0, 5.0, 770.2], [73.2, 1.0, 285.4],
                                                                      [172.6, 4.0, 688.3]]
    assert close(X_STD.mean(axis=1), [0, 0], 1e-12) and close(X_STD.std(axis=1), [1, 1], 1e-12)
    assert round(np.corrcoef(X_RAW)[0, 1], 2) == 0.85


@pytest.mark.parametrize("X", [X_RAW, X_STD], ids=["raw", "standardised"])
def test_hessian_of_the_batch_loss_is_x_tilde_x_tilde_t_over_m(X):
    theta = np.linalg.lstsq(with_ones(X).T, PRICES[0], rcond=None)[0] + 0.1   # near the minimum: |f| small
    f = lambda t: batch_loss(t[:2].reshape(1, 2), t[2:].reshape(1, 1), X, PRICES)
    H = with_ones(X) @ with_ones(X).T / X.shape[1]
    assert close(mc.numerical_hessian(f, theta), H, 1e-5)


def eigenvalues(X):
    return np.linalg.eigvalsh(with_ones(X) @ with_ones(X).T / X.shape[1])


def test_stated_eigenvalues_learning_rate_limits_and_condition_numbers():
    raw, std = eigenvalues(X_RAW), eigenvalues(X_STD)
    assert 1.7e4 < raw[-1] < 1.85e4 and 0.09 < raw[0] < 0.12          # "about 1.8·10⁴", "about 0.1"
    assert 1e-4 < 2 / raw[-1] < 1.2e-4 and raw[-1] / raw[0] > 1e5      # "below about 10⁻⁴", "above 10⁵"
    assert round(2 / std[-1], 2) == 1.08 and round(std[-1] / std[0]) == 13


def test_model_answer_feature_scales():
    # written answer (a): sizes about 40 times the rooms; Hessian entries ≈ 1.8·10⁴ and ≈ 11, ratio above 10³
    assert 35 < X_RAW[0].mean() / X_RAW[1].mean() < 45
    sq = (X_RAW ** 2).mean(axis=1)
    assert 1.7e4 < sq[0] < 1.85e4 and round(sq[1]) == 11 and sq[0] / sq[1] > 1e3


def test_gradient_descent_on_raw_features_is_stable_only_below_2_over_lambda_max():
    limit = 2 / eigenvalues(X_RAW)[-1]
    with np.errstate(over="ignore", invalid="ignore"):
        assert not np.isfinite(train(X_RAW, PRICES, 1.1 * limit, 2000)[2][-1]) or \
            train(X_RAW, PRICES, 1.1 * limit, 2000)[2][-1] > 1e10
    assert train(X_RAW, PRICES, 0.9 * limit, 2000)[2][-1] < train(X_RAW, PRICES, 0.9 * limit, 0)[2][0]


def test_training_on_standardised_features_reaches_least_squares():
    w, b, losses = train(X_STD, PRICES, 0.3, 200)
    best, best_loss = least_squares()
    assert np.all(np.diff(losses) < 0)
    assert 0 < losses[-1] - best_loss < 1e-5                          # "below 10⁻⁵ after 200 steps"
    assert close(np.append(w, b), best, 1e-3)
    assert round(losses[0], 1) == 125875.5 and round(best_loss, 3) == 369.877
    gaps = losses - best_loss                                          # straight line on the log scale:
    lam_min = eigenvalues(X_STD)[0]                                    # rate (1 − α λ_min)² per step
    assert abs(gaps[150] / gaps[149] - (1 - 0.3 * lam_min) ** 2) < 1e-3


def test_training_on_raw_features_crawls():
    losses_raw = train(X_RAW, PRICES, 1e-4, 200)[2]
    _, best_loss = least_squares()
    assert losses_raw[10] < losses_raw[0] / 10                         # first drops
    assert 1.4 < losses_raw[-1] / best_loss < 1.6                      # still about 50 % above the minimum
    assert round(losses_raw[-1], 1) == 554.8


def test_weights_in_original_units():
    w, b, _ = train(X_STD, PRICES, 0.3, 200)
    w_units = w / STD.T
    b_units = b - w_units @ MEAN
    assert close(predict(w_units, b_units, X_RAW), predict(w, b, X_STD), 1e-12)
    assert round(w_units[0, 0], 2) == 2.97 and round(w_units[0, 1], 1) == 19.5 and round(b_units[0, 0], 1) == 44.0
    assert abs(w_units[0, 0] - 3) < 0.1 and abs(w_units[0, 1] - 20) < 1.5   # "roughly 3 per m² and 20 per room"


# ------------------------------------------------------------------ a shape trap (section 7) and the errata
def test_column_minus_flat_vector_broadcasts_to_a_matrix():
    col, row = np.arange(3.0).reshape(3, 1), np.arange(3.0)
    assert (col - row).shape == (3, 3)
    assert (np.zeros((1, 3)) - row).shape == (1, 3)


def test_bias_inside_the_sum_is_added_n_times():
    rng = np.random.default_rng(7)
    w, x, b = rng.normal(size=4), rng.normal(size=4), 0.8
    assert close(np.sum(w * x + b), w @ x + 4 * b, 1e-12)
