"""Train a multilayer perceptron on scikit-learn's 8x8 handwritten digits.

    pip install ".[data]"   # scikit-learn, which ships the digits: nothing is downloaded
    python examples/train_digits.py

64 pixels -> 256 ReLU units -> 10 logits, cross-entropy, Adam, mini-batches of 32. Prints the
accuracy on a held-out quarter of the images (about 98%), a report of dead units, and saves
the parameters to digits_mlp.npz.

The matrices here are small (batches of 32 x 64 pixels): on a machine with few cores that are
busy, BLAS threads cost more than they gain, and OPENBLAS_NUM_THREADS=1 (or OMP_NUM_THREADS=1)
can make training several times faster (measured: 6 s instead of 38 s on 2 shared cores).
"""


import autograph as ag
from autograph.data import digits
from autograph.nn import classification_rate, save, unit_report


def main(epochs: int = 60, seed: int = 0) -> float:
    (X_train, y_train), (X_test, y_test) = digits(test_fraction=0.25, seed=seed)
    # Standardise each pixel with the training set's statistics; border pixels that are
    # almost always 0 get a floor on their spread instead of a division by ~0.
    mean, spread = X_train.mean(axis=0), X_train.std(axis=0) + 0.01
    X_train, X_test = (X_train - mean) / spread, (X_test - mean) / spread

    model = ag.MLP([64, 256, 10], hidden="relu", rng=seed)
    print(model)
    history = ag.fit(model, X_train, y_train, optimizer=ag.Adam(model, lr=1e-3),
                     epochs=epochs, batch_size=32, seed=seed)
    print(history)

    with ag.no_grad():
        accuracy = classification_rate(model(X_test), y_test)
    print(f"test accuracy: {accuracy:.4f} on {len(X_test)} images the model never saw")
    print(unit_report(model, X_test))
    save(model, "digits_mlp.npz")
    return accuracy


if __name__ == "__main__":
    main()
