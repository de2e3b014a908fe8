"""Losses against finite differences and plain-numpy references, stable at logits of +-1000."""

import numpy as np
import pytest

import autograph as ag
from autograph import nn
from tests.helpers import assert_gradients_close

rng = np.random.default_rng(2)
Z = rng.standard_normal((6, 4))
LABELS = np.array([0, 3, 1, 1, 2, 0])
T = np.eye(4)[LABELS]


def numpy_cross_entropy(z, T):
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    return -(T * np.log(p)).sum()


@pytest.mark.parametrize("targets", [LABELS, T], ids=["labels", "one-hot"])
def test_cross_entropy_is_the_categorical_negative_log_likelihood(targets):
    assert nn.cross_entropy(Z, targets, reduction="sum") == pytest.approx(numpy_cross_entropy(Z, T))
    assert nn.cross_entropy(Z, targets) == pytest.approx(numpy_cross_entropy(Z, T) / 6)


@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_cross_entropy_matches_finite_differences(reduction):
    assert_gradients_close(lambda z: nn.cross_entropy(z, LABELS, reduction=reduction), Z)
    soft = rng.dirichlet(np.ones(4), size=6)                 # soft targets, rows sum to 1
    assert_gradients_close(lambda z, t: nn.cross_entropy(z, t, reduction=reduction), Z, soft)


def test_cross_entropy_gradient_is_softmax_minus_targets():
    z = ag.parameter(Z)
    nn.cross_entropy(z, LABELS, reduction="sum").backward()
    p = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(z.grad, p - T)


def test_cross_entropy_second_derivative_is_diag_p_minus_p_pT():
    z0 = np.array([0.3, -1.2, 2.0])
    p = np.exp(z0) / np.exp(z0).sum()
    hessian = ag.hessian(lambda z: nn.cross_entropy(ag.reshape(z, (1, 3)), [2]))(z0)
    np.testing.assert_allclose(hessian, np.diag(p) - np.outer(p, p), atol=1e-12)


def test_cross_entropy_is_finite_at_plus_minus_1000():
    z = ag.parameter([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 1000.0]])
    loss = nn.cross_entropy(z, [1, 0], reduction="sum")
    loss.backward()
    assert loss.item() == pytest.approx(2000.0 + 2000.0 + np.log(2.0))
    np.testing.assert_allclose(z.grad, [[1.0, -1.0, 0.0], [-1.0, 0.5, 0.5]], atol=1e-300)


def test_a_softmax_output_is_read_as_its_logits():
    z = ag.parameter([[1000.0, -1000.0, 0.0]])
    loss = nn.cross_entropy(ag.softmax(z), [1])                 # log(softmax) would be -inf
    loss.backward()
    assert loss.item() == pytest.approx(2000.0)
    np.testing.assert_allclose(z.grad, [[1.0, -1.0, 0.0]], atol=1e-300)
    same = nn.cross_entropy(ag.softmax(ag.constant(Z)), LABELS).item()
    assert same == pytest.approx(nn.cross_entropy(Z, LABELS).item())


@pytest.mark.parametrize("axis", [0, -2])
def test_a_softmax_over_another_axis_is_refused_not_read_as_logits(axis):
    # it used to be taken for logits: 0.529 where the truth for its logits is 0.741
    probabilities = ag.softmax(ag.constant(Z), axis=axis)
    with pytest.raises(ValueError, match=rf"softmax\(z, axis={axis}\) of shape \(6, 4\), not a "
                                         r"softmax over the classes .* pass the logits"):
        nn.cross_entropy(probabilities, LABELS)


def test_a_softmax_over_the_last_axis_of_any_batch_shape_is_read_as_its_logits():
    z = rng.standard_normal((2, 3, 4))
    labels = rng.integers(0, 4, (2, 3))
    expected = numpy_cross_entropy(z.reshape(6, 4), np.eye(4)[labels.reshape(6)]) / 6
    for output in (ag.softmax(ag.constant(z)), ag.softmax(ag.constant(z), axis=2), z):
        assert nn.cross_entropy(output, labels).item() == pytest.approx(expected)
    one = nn.cross_entropy(ag.softmax(ag.constant(Z[0])), LABELS[0]).item()
    assert one == pytest.approx(numpy_cross_entropy(Z[:1], T[:1]))


@pytest.mark.parametrize("loss,output,use", [
    (nn.cross_entropy, lambda z: ag.sigmoid(z), "use binary_cross_entropy"),
    (nn.binary_cross_entropy, lambda z: ag.softmax(z), "use cross_entropy")])
def test_the_other_loss_s_output_unit_is_refused(loss, output, use):
    with pytest.raises(ValueError, match=use):
        loss(output(ag.constant(Z)), T)


def test_a_log_softmax_output_may_be_passed_as_logits():
    assert nn.cross_entropy(ag.log_softmax(ag.constant(Z)), LABELS).item() == \
        pytest.approx(numpy_cross_entropy(Z, T) / 6)


def test_bad_targets_and_reductions_say_what_is_wrong():
    with pytest.raises(ValueError, match=r"class indices must lie in \[0, 4\) .*, got 0 .. 4"):
        nn.cross_entropy(Z, [0, 1, 2, 3, 4, 0])
    with pytest.raises(ValueError, match="neither class indices nor one-hot"):
        nn.cross_entropy(Z, np.full(6, 0.5))
    with pytest.raises(ValueError, match="reduction must be 'mean' or 'sum'"):
        nn.cross_entropy(Z, LABELS, reduction="none")


def test_labels_as_a_column_are_labels():
    assert nn.cross_entropy(Z, LABELS[:, None]).item() == nn.cross_entropy(Z, LABELS).item()


Y = np.array([1.0, 0.0, 1.0, 1.0, 0.0, 0.0])


def test_binary_cross_entropy_is_the_bernoulli_negative_log_likelihood():
    z = rng.standard_normal((6, 1))
    p = 1 / (1 + np.exp(-z[:, 0]))
    expected = -(Y * np.log(p) + (1 - Y) * np.log(1 - p))
    assert nn.binary_cross_entropy(z, Y, reduction="sum").item() == pytest.approx(expected.sum())
    assert nn.binary_cross_entropy(z, Y[:, None]).item() == pytest.approx(expected.mean())
    assert_gradients_close(lambda z: nn.binary_cross_entropy(z, Y), z)


def test_binary_cross_entropy_is_finite_at_plus_minus_1000_and_reads_sigmoid_outputs():
    z = ag.parameter([[1000.0], [-1000.0], [1000.0]])
    loss = nn.binary_cross_entropy(nn.sigmoid(z), [0.0, 1.0, 1.0], reduction="sum")
    loss.backward()
    assert loss.item() == pytest.approx(2000.0)
    np.testing.assert_allclose(z.grad, [[1.0], [-1.0], [0.0]], atol=1e-300)


def test_mean_squared_error():
    out = rng.standard_normal((6, 1))
    assert nn.mean_squared_error(out, Y).item() == pytest.approx(((out[:, 0] - Y) ** 2).mean())
    assert_gradients_close(lambda o: nn.mean_squared_error(o, Y, reduction="sum"), out)


def test_targets_never_broadcast_into_a_matrix():
    with pytest.raises(ag.ShapeError, match=r"targets \(5,\) do not match the output \(6, 1\)"):
        nn.mean_squared_error(np.zeros((6, 1)), np.zeros(5))


def test_classification_rate_is_the_fraction_of_right_predictions():
    assert nn.classification_rate(Z, LABELS) == np.mean(Z.argmax(axis=1) == LABELS)
    assert nn.classification_rate(Z, T) == nn.classification_rate(Z, LABELS)
    assert nn.classification_rate(np.array([[2.0, 1.0], [0.0, 3.0]]), [0, 0]) == 0.5


def test_classification_rate_for_one_output_column():
    logits = np.array([[-2.0], [0.5], [3.0]])
    assert nn.classification_rate(logits, [0, 1, 1]) == 1.0                 # logits: cut at 0
    assert nn.classification_rate(nn.sigmoid(ag.constant(logits)), [0, 1, 1]) == 1.0   # at 0.5
    assert nn.classification_rate(np.array([0.2, 0.4, 0.9]), [0, 0, 1], threshold=0.5) == 1.0


def test_targets_given_as_nodes_receive_gradients():
    assert_gradients_close(lambda o, t: nn.mean_squared_error(o, t), rng.standard_normal((6, 1)),
                           rng.standard_normal(6))
    assert_gradients_close(lambda z, t: nn.binary_cross_entropy(z, t), rng.standard_normal(6),
                           rng.uniform(0, 1, 6))


def test_without_a_recorded_graph_mlp_logits_give_the_same_loss():
    model = nn.MLP([4, 5, 4], hidden="tanh", output="softmax", rng=0)
    recorded = nn.cross_entropy(model(Z), LABELS).item()
    with ag.no_grad():
        assert nn.cross_entropy(model.logits(Z), LABELS).item() == pytest.approx(recorded)
        np.testing.assert_allclose(model(Z).value, ag.softmax(model.logits(Z)).value)


@pytest.mark.parametrize("loss,unit", [(nn.cross_entropy, ag.softmax),
                                       (nn.binary_cross_entropy, ag.sigmoid)])
def test_a_probability_output_made_under_no_grad_is_refused_not_misread(loss, unit):
    """Under no_grad the logits below a softmax are not recorded: reading the probabilities
    as logits would give a wrong loss silently, so the loss says what to pass instead."""
    z = ag.constant([[2.0, -1.0, 0.5]])
    with ag.no_grad():
        probabilities = unit(z)
    with pytest.raises(ValueError, match=r"under no_grad\(\).*model.logits"):
        loss(probabilities, np.array([[0.0, 1.0, 0.0]]))
