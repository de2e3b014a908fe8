"""The tutorial's own functions, as it prints them (its names, its argument orders, its bugs).

Written with numpy calls only, as the tutorial writes them, so they run on arrays; where the
report differentiates one of them, it calls it on autograph Nodes. Where the printed cell is
cut off (ff_nn_2 of section 1.3.3 and ff_nn_2_v2, whose bodies the export lost) or not shown
(`a`, `logistic`'s helpers, `tanh`, `ReLu`, `leaky_ReLu`, `predict` before In [30]), the body
here is the one that reproduces every number the tutorial prints from them.

>>> import numpy as np
>>> sigmoid(np.array([0.0]))
array([0.5])
>>> predict(np.array([[0.2, 0.7, 0.1]]))
array([1])
"""

from __future__ import annotations

import numpy as np

# --- section 1.3.1: the logistic unit ------------------------------------------------------


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def a(x, w, b):
    """The linear activation w . x + b (In [2], not printed)."""
    return x.dot(w) + b


def logistic(x, w, b):
    s = sigmoid(a(x, w, b))
    y = np.round(s)
    return np.array([y, s]).T


# --- section 1.3.3: the 2-3-1 network, one sample at a time, then vectorised ----------------


def ff_nn_2_loop(x, w, v, b_1, b_2, n_dims, n_hidden_layers):
    """The loop version (the tutorial's first `ff_nn_2`; the export kept only its last two
    lines): for each sample, each hidden unit is a logistic unit, and so is the output.
    Rows: (predicted class, probability of y = 1)."""
    y = np.zeros((x.shape[0], 2))
    for i in range(x.shape[0]):
        h = np.zeros(n_hidden_layers)
        for j in range(n_hidden_layers):
            h[j] = logistic(x[i:i + 1, :n_dims], w[j], b_1[j])[0, 1]
        y[i, :] = logistic(h, v, b_2)
    return np.array(y)


def ff_nn_2_v2(x, w, b_1, b_2, v=None):
    """The vectorised version (In [12], lost in the export); `v` is a global in the
    tutorial's call `ff_nn_2_v2(x, w, b_1, b_2)`."""
    h = sigmoid(x.dot(w.T) + b_1)
    return logistic(h, v, b_2)


# --- section 1.5: the units and the bigger networks -----------------------------------------


def tanh(x):
    return np.tanh(x)


def ReLu(x):
    return x * (x > 0)


def leaky_ReLu(x, alpha):
    return np.where(x < 0, alpha * x, x)


def softmax(x):
    return np.exp(x) / (np.exp(x).sum(axis=1, keepdims=True))


def predict(y):
    return np.argmax(y, axis=1)


def classification_rate(y_true, y_pred):
    return np.mean(np.array(y_true) == np.array(y_pred))


def ff_nn_2_v3(x, w, b_1, b_2, v):
    """In [17]: the 2-3-3 softmax network (the tutorial reads `v` as a global)."""
    a_1 = np.dot(x, w) + b_1
    h = sigmoid(a_1)
    a_2 = np.dot(h, v) + b_2
    y = softmax(a_2)
    return y


def ff_nn_3(x, W1, W2, W3, b1, b2, b3):
    a_1 = np.dot(x, W1) + b1
    h1 = sigmoid(a_1)
    a_2 = np.dot(h1, W2) + b2
    h2 = sigmoid(a_2)
    a_3 = np.dot(h2, W3) + b3
    y = softmax(a_3)
    return h1, h2, y


def ff_nn_3_v2(x, W1, W2, W3, b1, b2, b3, hidden_layer1, hidden_layer2):
    a_1 = np.dot(x, W1) + b1
    h1 = hidden_layer1(a_1)
    a_2 = np.dot(h1, W2) + b2
    h2 = hidden_layer2(a_2)
    a_3 = np.dot(h2, W3) + b3
    y = softmax(a_3)
    return y


# --- section 2.2: the training section (In [25]-[30]) ---------------------------------------


def ff_nn_2(x, W, V, b1, b2):
    """The training section's feed-forward pass: (hidden H, softmax output Y)."""
    a_1 = x.dot(W) + b1
    h = sigmoid(a_1)
    a_2 = h.dot(V) + b2
    exp_a_2 = np.exp(a_2)
    y = exp_a_2 / (exp_a_2.sum(axis=1, keepdims=True))
    return h, y


def derivative_v(H, Y, T):
    """The loop version, as printed."""
    N, K = T.shape
    _, J = H.shape
    dv = np.zeros((J, K))
    for n in range(N):
        for j in range(J):
            for k in range(K):
                dv[j, k] += (T[n, k] - Y[n, k]) * H[n, j]
    return dv


def derivative_v_v2(H, T, Y):
    return H.T.dot(T - Y)


def derivative_w(data, T, Y, H, V):
    dw_2 = (T - Y).dot(V.T) * H * (1 - H)
    return data.T.dot(dw_2)


def derivative_b2(T, Y):
    return (T - Y).sum(axis=0)


def derivative_b1(T, Y, H, V):
    return ((T - Y).dot(V.T) * H * (1 - H)).sum(axis=0)


def cost(T, Y):
    tot = T * np.log(Y)
    return tot.sum()


LEARNING_RATE = 10e-7     # In [30]: 10e-7 is 1e-6


__all__ = ["LEARNING_RATE", "ReLu", "a", "classification_rate", "cost", "derivative_b1",
           "derivative_b2", "derivative_v", "derivative_v_v2", "derivative_w", "ff_nn_2",
           "ff_nn_2_loop", "ff_nn_2_v2", "ff_nn_2_v3", "ff_nn_3", "ff_nn_3_v2", "leaky_ReLu",
           "logistic", "predict", "sigmoid", "softmax", "tanh"]
