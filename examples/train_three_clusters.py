"""The tutorial's training section with autograph: a 2-layer sigmoid / softmax network on
three Gaussian clusters, by full-batch gradient descent on the summed cross-entropy.

    python examples/train_three_clusters.py

The tutorial updates with learning_rate = 10e-7 and reaches a classification rate of 0.58
after 10000 epochs; a sensible learning rate gets above 0.95 in a few hundred.
"""

from functools import partial

import autograph as ag
from autograph.data import three_clusters
from autograph.nn import cross_entropy, legacy, unit_report


def main(epochs: int = 1000, lr: float = 1e-3) -> float:
    data, classes = three_clusters(seed=1234)                    # the tutorial's data
    # The tutorial's W, V, b1, b2 from np.random.seed(1), drawn in its order.
    model = ag.MLP([2, 3, 3], hidden="sigmoid", output="softmax", init="normal",
                   rng=legacy(1), names=["W", "b1", "V", "b2"])
    print(model)
    summed = partial(cross_entropy, reduction="sum")             # minus the tutorial's cost
    history = ag.fit(model, data, classes, loss=summed,
                     optimizer=ag.GradientDescent(model, lr=lr), epochs=epochs)
    for epoch in range(0, epochs, epochs // 10):
        print(f"epoch {epoch:>5}: cost {-history.loss[epoch]:10.4f}  "
              f"classification rate {history.classification_rate[epoch]:.3f}")
    print(history)
    print(unit_report(model, data))
    return history.classification_rate[-1]


if __name__ == "__main__":
    main()
