"""Every number the tutorial prints, transcribed here from its text, held against the report.

The numbers below are copied from *Building a Multilayer Perceptron* (the seed text), not
from autograph.tutorial.printed: the test reads the "recomputed here" column of the report's
index.html and checks it within half a unit of the last digit the tutorial printed.
"""

from html.parser import HTMLParser

import numpy as np
import pytest

from autograph.tutorial.report import compare, numbers_in

# key in the report -> (the tutorial's printed text, half a unit of its last digit)
TUTORIAL = {
    "y[0:10]": ([1, 0, 1, 1, 1, 0, 0, 0, 0, 1], 0.05),
    "ff_logistic[0:10,:]": ([[1.0, 0.75460182]], 5e-9),
    "W": ([[0.98436901, 0.61562226], [0.15471633, 0.83146947], [0.81569707, 0.09204188]], 5e-9),
    "V": ([0.8877899, 0.01643906, 0.86393011], 5e-9),
    "X": ([[-1.52856484, -3.19097569], [-0.56729303, -2.3126519], [-2.72058873, -1.11283706]],
          5e-9),
    "first_3_outputs": ([0.86159527, 0.65919976, 0.8759911], 5e-9),
    "first_3_outputs_pred": ([1.0, 1.0, 1.0], 0.05),
    "data[0,:] * w": ([[-1.50467186, -1.96443566], [-0.23649394, -2.65319885],
                       [-1.24684586, -0.29370339]], 5e-9),
    "a_i": ([-2.57033683, -2.03932623, -0.88767989], 5e-9),
    "h": ([0.07107206, 0.11513536, 0.29158885], 5e-9),
    "a_2": ([0.64565741], 5e-9),
    "y": ([0.6560312], 5e-8),
    "x_temp": ([[0.545, 0.238], [0.872, 0.177], [0.371, 0.76]], 5e-4),
    "sigmoid(x_temp)": ([[0.63297478, 0.55922072], [0.70516169, 0.54413484],
                         [0.59170059, 0.68135373]], 5e-9),
    "tanh(x_temp)": ([[0.49676344, 0.23360578], [0.70238885, 0.17517446],
                      [0.35486609, 0.64107696]], 5e-9),
    "ReLu(x_temp)": ([[0.545, 0.238], [0.872, 0.177], [0.371, 0.76]], 5e-4),
    "leaky_ReLu(x_temp, 0.01)": ([[0.545, 0.238], [0.872, 0.177], [0.371, 0.76]], 5e-4),
    "parameters 2-3-3": ([21], 0.5),
    "parameters 2-3-3-3": ([33], 0.5),
    "ff_nn_2_v3[0:5]": ([[0.20216983, 0.13695254, 0.66087763],
                         [0.25471053, 0.11371593, 0.63157355],
                         [0.16181301, 0.16726807, 0.67091892],
                         [0.21431385, 0.13150355, 0.6541826],
                         [0.20059063, 0.13664066, 0.66276871]], 5e-9),
    "nn3[0:5]": ([[0.14564756, 0.118766, 0.73558643], [0.13115102, 0.13289294, 0.73595605],
                  [0.15343812, 0.1130349, 0.73352698], [0.14177793, 0.12236817, 0.7358539],
                  [0.1470072, 0.1174373, 0.7355555]], 5e-9),
    "nn3_pred[0:5]": ([2, 2, 2, 2, 2], 0.5),
    "h1[0:5]": ([[0.83134602, 0.97468111, 0.01280102], [0.85492522, 0.86678168, 0.10075084],
                 [0.59471722, 0.97268828, 0.0146361], [0.83269313, 0.94206466, 0.0356623],
                 [0.84672789, 0.99297467, 0.00264793]], 5e-9),
    "h2[0:5]": ([[0.03639988, 0.59453961, 0.88437948], [0.05068968, 0.5164686, 0.86972511],
                 [0.03008168, 0.62887252, 0.88373331], [0.03992494, 0.57399953, 0.88022924],
                 [0.03510774, 0.60217442, 0.88658792]], 5e-9),
    "nn3_v2[0:5]": ([[7.13324047e-02, 1.48524336e-03, 9.27182352e-01],
                     [2.23670047e-02, 5.09100401e-02, 9.26722955e-01],
                     [1.96202089e-01, 5.32725276e-04, 8.03265186e-01],
                     [4.48304629e-02, 7.88769059e-03, 9.47281846e-01],
                     [1.23605886e-01, 1.30132544e-04, 8.76263982e-01]], 5e-9),
    "nn3_pred_v2[0:5]": ([2, 2, 2, 2, 2], 0.5),
    "derivative_v": ([[-5.77182772e+01, -1.46908800e+01, 7.24091572e+01],
                      [8.48206695e+00, -8.55365889e+00, 7.15919389e-02],
                      [5.21896533e+00, -5.63958175e+01, 5.11768522e+01]], 5e-7),
    "autograph V.grad": ([[-5.77182772e+01, -1.46908800e+01, 7.24091572e+01],
                           [8.48206695e+00, -8.55365889e+00, 7.15919389e-02],
                           [5.21896533e+00, -5.63958175e+01, 5.11768522e+01]], 5e-7),
    "derivative_w": ([[-31.39030402, 18.07760568, 21.62027152],
                      [-37.09958634, 41.53504906, -12.72079506]], 5e-9),
    "autograph W.grad": ([[-31.39030402, 18.07760568, 21.62027152],
                           [-37.09958634, 41.53504906, -12.72079506]], 5e-9),
}
# In [30], cost and classification rate (a fraction of 300 points) every 1000 epochs
TRAINING = {0: (-320.5080195131097, 126), 1000: (-296.39723655779954, 128),
            2000: (-276.8417363259807, 130), 3000: (-261.0504429295131, 133),
            4000: (-248.26395147589318, 128), 5000: (-237.81632648428135, 117),
            6000: (-229.1615446256186, 110), 8000: (-215.6264693679105, 162),
            9000: (-210.182584922862, 173)}
# What the tutorial states wrongly: its printed value, and the true one.
WRONG = {"comment 0.831": (0.831, 0.6560312), "parameters 2-3-1": (12, 13),
         "parameters 2-3-2": (18, 17)}


class Entries(HTMLParser):
    """The report's printed-number boxes: data-key -> [recomputed text, printed text, mark]."""

    def __init__(self):
        super().__init__()
        self.entries, self.key, self.field = {}, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "div" and attrs.get("class") == "entry":
            self.key = attrs["data-key"]
            self.entries[self.key] = {"pre": [], "mark": ""}
        elif self.key and tag == "pre":
            self.field = "pre"
            self.entries[self.key]["pre"].append("")
        elif self.key and tag == "span" and "mark" in attrs.get("class", ""):
            self.field = "mark"
            self.entries[self.key]["mark"] = attrs["class"] + " "

    def handle_endtag(self, tag):
        if tag in ("pre", "span"):
            self.field = None

    def handle_data(self, data):
        if self.key and self.field == "pre":
            self.entries[self.key]["pre"][-1] += data
        elif self.key and self.field == "mark":
            self.entries[self.key]["mark"] += data


@pytest.fixture(scope="module")
def entries(demo_report):
    folder, _, _ = demo_report
    parser = Entries()
    parser.feed((folder / "index.html").read_text(encoding="utf-8"))
    return parser.entries


def recomputed(entry) -> np.ndarray:
    return np.array([value for value, _ in numbers_in(entry["pre"][0])])


@pytest.mark.parametrize("key", sorted(TUTORIAL))
def test_each_printed_number_is_reproduced(entries, key):
    printed, half_unit = TUTORIAL[key]
    ours = recomputed(entries[key])
    np.testing.assert_allclose(ours, np.ravel(printed), rtol=0, atol=half_unit * 1.0001)
    assert entries[key]["mark"].startswith("mark ok")


@pytest.mark.parametrize("epoch", sorted(TRAINING))
def test_each_printed_training_line_is_reproduced(entries, epoch):
    cost, right = TRAINING[epoch]
    ours = recomputed(entries[f"epoch {epoch}"])
    assert ours[0] == pytest.approx(cost, rel=1e-14, abs=0)
    assert ours[1] == pytest.approx(right / 300, rel=1e-15)
    assert entries[f"epoch {epoch}"]["mark"].startswith("mark ok")


def test_the_line_the_export_lost_is_shown_and_labelled(entries):
    entry = entries["epoch 7000"]
    assert "not in the tutorial" in entry["pre"][1]
    assert recomputed(entry)[1] == pytest.approx(136 / 300)       # 0.4533...


@pytest.mark.parametrize("key", sorted(WRONG))
def test_numbers_the_tutorial_states_wrongly_are_marked(entries, key):
    printed, true = WRONG[key]
    entry = entries[key]
    assert recomputed(entry)[0] == pytest.approx(true, abs=5e-8)
    assert numbers_in(entry["pre"][1])[0][0] == printed
    assert entry["mark"].startswith("mark bad") and "the tutorial is wrong here" in entry["mark"]


def test_the_first_three_probabilities_on_data_are_shown_as_different(entries):
    # the tutorial computed them on x of In [1]; on `data` the loop network gives these
    ours = recomputed(entries["The same network on the printed samples, `data[0:3,:]`"])
    assert ours[0] == pytest.approx(0.6560312, abs=5e-8)      # = In [11]'s y for data[0]
    assert not np.allclose(ours, [0.86159527, 0.65919976, 0.8759911], atol=1e-3)


def test_the_report_says_it_and_the_terminal_summary_counts(demo_report):
    folder, ok, lines = demo_report
    assert ok
    summary = "\n".join(lines)
    assert "the tutorial's printed outputs: 37 of 40 reproduced" in summary
    assert "3 caught as its own mistakes" in summary and "NOT REPRODUCED" not in summary
    assert "2 of 2 printed gradients (dV, dW) reproduced" in summary
    images = [p for p in folder.iterdir() if p.suffix in (".png", ".svg")]
    assert len(images) >= 10


ERRATA = {   # every erratum of the list, by a phrase the report must state
    "parameter counts": "The parameter counts 12 and 18 are wrong: 13 and 17",
    "tanh": "tanh(x) = 2 sigma(2x) - 1",
    "softmax index": "sums over i, the index of the output",
    "minimising the log-likelihood": "the log-likelihood is maximised",
    "Multinomial(n)": "Multinomial(1, y_n1, ..., y_nC)",
    "the stray C in (11)": "has a stray C",
    "lambda : x": "takes no argument and returns the global x",
    "format templates": "has no placeholder",
    "the unit test": "can never fail",
    "unbalanced parentheses": "missing its closing parenthesis",
    "eq. (12)": "eq. (12) and (16)-(17) as printed: no sum over k&#x27;",
    "eq. (8)": "eq. (8) as printed: the softmax normaliser sums k = 1..2 of three classes",
    "eq. (20)-(23)": "eq. (20)-(23) as printed: the sum over k runs 1..2 of three classes",
    "stale H": "the stale H of In [25]",
    "0.831": "0.831 is not y",
    "x, not data": "computed on <code>x</code> from In [1], not on",
}


@pytest.mark.parametrize("name", sorted(ERRATA))
def test_every_erratum_is_stated(demo_report, name):
    folder, _, _ = demo_report
    assert ERRATA[name] in (folder / "index.html").read_text(encoding="utf-8")


def test_compare_holds_half_a_unit_of_the_last_digit():
    assert compare("0.12345678", 0.123456784).agrees
    assert not compare("0.12345678", 0.123456786).agrees
    assert compare("7.13324047e-02", 0.0713324047).agrees
    assert not compare("[1. 2.]", [1.0, 2.0, 3.0]).agrees
    # a float's full repr: the last of 17 digits may move with the order of a sum
    assert compare("-248.26395147589318", -248.2639514758932).agrees
    assert not compare("-248.26395147589318", -248.26395147589).agrees
