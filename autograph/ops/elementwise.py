"""Elementwise primitives: each forward beside its gradient rule."""

from __future__ import annotations

import math

import numpy as np

from autograph.core.dispatch import constant_result, implements, reject
from autograph.core.node import Primitive, value_of


def broadcast_failure(a, b) -> str | None:
    """Why two operands failed: their shapes, if those are the cause."""
    try:
        np.broadcast_shapes(np.shape(a), np.shape(b))
    except ValueError:
        return f"shapes {np.shape(a)} and {np.shape(b)} do not broadcast"
    return None      # another failure (e.g. integers to a negative power): numpy's message


def _astype_grad(g, ans, x, dtype):
    if dtype.kind not in "fc":         # to integers or booleans: a step function, slope 0
        return np.zeros(np.shape(x), value_of(x).dtype)
    return astype(g, x.dtype)


_astype = Primitive("astype", lambda x, dtype: np.asarray(x).astype(dtype, copy=False),
                    _astype_grad)


def astype(x, dtype):
    """`x` converted to `dtype`; its gradient is converted back to x's dtype.

    >>> astype(Node([1.5, 2.5], dtype=np.float32), np.float64).dtype
    dtype('float64')
    """
    return _astype(x, dtype=np.dtype(dtype))


exp = Primitive("exp", np.exp,
                lambda g, ans, x: g * ans)

log = Primitive("log", np.log,
                lambda g, ans, x: g / x, domain="positive")

sqrt = Primitive("sqrt", np.sqrt,
                 lambda g, ans, x: g * 0.5 / ans, domain="positive")

absolute = Primitive("absolute", np.absolute,
                     lambda g, ans, x: g * np.sign(value_of(x)))

# Ties send the gradient to the first operand, as d/da max(a, b) does from the right.
maximum = Primitive("maximum", np.maximum,
                    lambda g, ans, a, b: g * (a >= b),
                    lambda g, ans, a, b: g * (a < b),
                    explain=broadcast_failure)

minimum = Primitive("minimum", np.minimum,
                    lambda g, ans, a, b: g * (a <= b),
                    lambda g, ans, a, b: g * (a > b),
                    explain=broadcast_failure)

_where = Primitive("where", np.where,
                   None,   # the condition is a plain array: `where` below unwraps it
                   lambda g, ans, condition, a, b: _where(condition, g, 0.0),
                   lambda g, ans, condition, a, b: _where(condition, 0.0, g),
                   explain=lambda c, a, b: (f"condition {np.shape(c)}, {np.shape(a)} and "
                                            f"{np.shape(b)} do not broadcast"))


def where(condition, a, b):
    """`a` where `condition` holds, else `b`; the gradient flows to the branch taken.

    >>> x = ag.parameter([-2.0, 3.0], name="x")
    >>> y = where(x > 0, x, 0.01 * x)        # a leaky ReLU
    >>> y
    Node([-0.02,  3.  ], op=where)
    >>> y.sum().backward(); x.grad
    array([0.01, 1.  ])
    """
    return _where(value_of(condition), a, b)


implements(np.exp)(exp)
implements(np.log)(log)
implements(np.sqrt)(sqrt)
implements(np.absolute)(absolute)
implements(np.maximum)(maximum)
implements(np.minimum)(minimum)


@implements(np.where)
def _numpy_where(condition, x=None, y=None):
    if x is None and y is None:           # np.where(c): the indices where c holds, no gradient
        return np.nonzero(value_of(condition))
    return where(condition, x, y)


# Results with no gradient: truth values, indices, shapes. They run on the values.
constant_result(
    np.greater, np.greater_equal, np.less, np.less_equal, np.equal, np.not_equal,
    np.logical_and, np.logical_or, np.logical_xor, np.logical_not,
    np.isfinite, np.isinf, np.isnan, np.signbit,
    np.shape, np.ndim, np.size, np.result_type, np.iscomplexobj, np.isrealobj,
    np.argmax, np.argmin, np.argsort, np.nonzero, np.flatnonzero, np.count_nonzero,
    np.searchsorted, np.isclose, np.allclose, np.array_equal, np.array_equiv,
    np.zeros_like, np.ones_like, np.empty_like,
    np.any, np.all, np.digitize,
    np.can_cast, np.min_scalar_type, np.may_share_memory, np.shares_memory)


# --- numpy's elementwise functions ------------------------------------------------------------
# Each gradient rule is written with autograph's own primitives (or numpy functions that
# dispatch to them), so it runs on arrays for a first derivative and on Nodes for higher ones.
# Constants are Python floats: a numpy float64 scalar would turn float32 results into float64.

_LN2 = float(np.log(2.0))
_LN10 = float(np.log(10.0))


def _unary(name, forward, rule, domain="real"):
    function = Primitive(name, forward, rule, domain=domain)
    implements(forward)(function)
    return function


def _zero_grad(g, ans, *inputs, **params):
    # A step function: zero wherever it is differentiable (the steps themselves have measure 0).
    return np.zeros(np.shape(value_of(g)), dtype=np.result_type(value_of(g)))


sin = _unary("sin", np.sin, lambda g, ans, x: g * cos(x))
cos = _unary("cos", np.cos, lambda g, ans, x: -g * sin(x))
tan = _unary("tan", np.tan, lambda g, ans, x: g * (1.0 + ans * ans), domain="unit")
arcsin = _unary("arcsin", np.arcsin, lambda g, ans, x: g / sqrt(1.0 - x * x), domain="unit")
arccos = _unary("arccos", np.arccos, lambda g, ans, x: -g / sqrt(1.0 - x * x), domain="unit")
arctan = _unary("arctan", np.arctan, lambda g, ans, x: g / (1.0 + x * x))
sinh = _unary("sinh", np.sinh, lambda g, ans, x: g * cosh(x))
cosh = _unary("cosh", np.cosh, lambda g, ans, x: g * sinh(x))
arcsinh = _unary("arcsinh", np.arcsinh, lambda g, ans, x: g / sqrt(x * x + 1.0))
# (x - 1)(x + 1) rather than x*x - 1: no cancellation just above 1
arccosh = _unary("arccosh", np.arccosh, lambda g, ans, x: g / sqrt((x - 1.0) * (x + 1.0)),
                 domain="above_one")
arctanh = _unary("arctanh", np.arctanh, lambda g, ans, x: g / ((1.0 - x) * (1.0 + x)),
                 domain="unit")
exp2 = _unary("exp2", np.exp2, lambda g, ans, x: g * ans * _LN2)
expm1 = _unary("expm1", np.expm1, lambda g, ans, x: g * (ans + 1.0))
log2 = _unary("log2", np.log2, lambda g, ans, x: g / (x * _LN2), domain="positive")
log10 = _unary("log10", np.log10, lambda g, ans, x: g / (x * _LN10), domain="positive")
log1p = _unary("log1p", np.log1p, lambda g, ans, x: g / (x + 1.0), domain="positive")
square = _unary("square", np.square, lambda g, ans, x: g * 2.0 * x)
reciprocal = _unary("reciprocal", np.reciprocal, lambda g, ans, x: -g * ans * ans,
                    domain="nonzero")
cbrt = _unary("cbrt", np.cbrt, lambda g, ans, x: g / (3.0 * ans * ans), domain="nonzero")
fabs = _unary("fabs", np.fabs, lambda g, ans, x: g * np.sign(value_of(x)), domain="nonzero")
deg2rad = _unary("deg2rad", np.deg2rad, lambda g, ans, x: g * (np.pi / 180.0))
rad2deg = _unary("rad2deg", np.rad2deg, lambda g, ans, x: g * (180.0 / np.pi))
implements(np.radians)(deg2rad)
implements(np.degrees)(rad2deg)

# Step functions: recorded like any op (the graph shows them), with a zero gradient.
sign = _unary("sign", np.sign, _zero_grad, domain="nonzero")
floor = _unary("floor", np.floor, _zero_grad)
ceil = _unary("ceil", np.ceil, _zero_grad)
trunc = _unary("trunc", np.trunc, _zero_grad)
rint = _unary("rint", np.rint, _zero_grad)


@implements(np.fix)
def fix(x, out=None):
    """Round towards zero, as `numpy.fix`: trunc, with a zero gradient."""
    reject("fix", out=out)
    return trunc(x)


def _binary(name, forward, rule_a, rule_b, domain="real"):
    function = Primitive(name, forward, rule_a, rule_b, domain=domain,
                         explain=broadcast_failure)
    implements(forward)(function)
    return function


def _safe_log(x):
    # log(x) where x > 0, else 0: for the exponent's gradient of a power with a base <= 0
    positive = value_of(x) > 0
    return where(positive, log(where(positive, x, 1.0)), 0.0)


arctan2 = _binary("arctan2", np.arctan2,
                  lambda g, ans, a, b: g * b / (a * a + b * b),
                  lambda g, ans, a, b: -g * a / (a * a + b * b))


def _hypot_rule(g, ans, x):
    # x / hypot, and 0 at (0, 0) (a subgradient, as for the 2-norm at 0) rather than 0 / 0
    return g * x / where(value_of(ans) == 0, 1.0, ans)


hypot = _binary("hypot", np.hypot,
                lambda g, ans, a, b: _hypot_rule(g, ans, a),
                lambda g, ans, a, b: _hypot_rule(g, ans, b))
logaddexp = _binary("logaddexp", np.logaddexp,
                    lambda g, ans, a, b: g * exp(a - ans),
                    lambda g, ans, a, b: g * exp(b - ans))
logaddexp2 = _binary("logaddexp2", np.logaddexp2,
                     lambda g, ans, a, b: g * exp2(a - ans),
                     lambda g, ans, a, b: g * exp2(b - ans))
# a - floor(a / b) * b and a - trunc(a / b) * b: the quotient is a step function of a and b
remainder = _binary("remainder", np.remainder,
                    lambda g, ans, a, b: g,
                    lambda g, ans, a, b: -g * np.floor_divide(value_of(a), value_of(b)),
                    domain="nonzero")
fmod = _binary("fmod", np.fmod,
               lambda g, ans, a, b: g,
               lambda g, ans, a, b: -g * np.trunc(np.divide(value_of(a), value_of(b))),
               domain="nonzero")
# fmax and fmin skip NaNs: the gradient goes to the operand that was taken; ties to the first
fmax = _binary("fmax", np.fmax,
               lambda g, ans, a, b: g * ((a >= b) | np.isnan(value_of(b))),
               lambda g, ans, a, b: g * ~((a >= b) | np.isnan(value_of(b))))
fmin = _binary("fmin", np.fmin,
               lambda g, ans, a, b: g * ((a <= b) | np.isnan(value_of(b))),
               lambda g, ans, a, b: g * ~((a <= b) | np.isnan(value_of(b))))
float_power = _binary("float_power", np.float_power,
                      lambda g, ans, a, b: g * b * np.float_power(a, b - 1.0),
                      lambda g, ans, a, b: g * ans * _safe_log(a),
                      domain="positive")
# |a| with the sign of b: +-1 times a's gradient; b only lends its sign
copysign = _binary("copysign", np.copysign,
                   lambda g, ans, a, b: g * np.where(np.signbit(value_of(a)) ==
                                                     np.signbit(value_of(b)), 1.0, -1.0),
                   _zero_grad, domain="nonzero")

# floor(a / b): a step function of both. heaviside(x, h0): 0, 1, or h0 where x == 0.
floor_divide = _binary("floor_divide", np.floor_divide, _zero_grad, _zero_grad,
                       domain="nonzero")
heaviside = _binary("heaviside", np.heaviside, _zero_grad,
                    lambda g, ans, x, h0: g * (value_of(x) == 0))

# --- numpy's elementwise functions that are not ufuncs ------------------------------------------

# sinc'(x) = (cos(pi x) - sinc(x)) / x loses digits to cancellation near 0, where its Taylor
# series (odd powers, terms up to x^9) is exact to about 1e-14 for |x| < 0.1: used there.
_SINC_SERIES = tuple((-1) ** k * 2 * k * np.pi ** (2 * k) / math.factorial(2 * k + 1)
                     for k in range(1, 6))
_SINC_NEAR_ZERO = 0.1


def _sinc_slope(x):
    near_zero = np.abs(value_of(x)) < _SINC_NEAR_ZERO
    u = x * x
    series = _SINC_SERIES[-1]
    for c in reversed(_SINC_SERIES[:-1]):
        series = series * u + c
    exact = (cos(np.pi * x) - sinc(x)) / where(near_zero, 1.0, x)
    return where(near_zero, series * x, exact)


sinc = Primitive("sinc", np.sinc, lambda g, ans, x: g * _sinc_slope(x))
implements(np.sinc)(sinc)


@implements(np.clip)
def clip(a, a_min=None, a_max=None, out=None, *, min=None, max=None, **kwargs):
    """`a` limited to [a_min, a_max], as `numpy.clip`: maximum(a, a_min), then minimum with
    a_max. The gradient flows to `a` inside the interval, its ends included, and to the bound
    that was taken outside it.

    >>> x = ag.parameter([-2.0, 0.5, 3.0], name="x")
    >>> np.clip(x, 0.0, 1.0).sum().backward(); x.grad
    array([0., 1., 0.])
    """
    reject("clip", out=out)
    if kwargs:
        raise TypeError(f"numpy.clip: unsupported keyword(s) {', '.join(kwargs)} on Nodes")
    if min is not None:
        if a_min is not None:
            raise ValueError("numpy.clip: give a_min or min, not both")
        a_min = min
    if max is not None:
        if a_max is not None:
            raise ValueError("numpy.clip: give a_max or max, not both")
        a_max = max
    if a_min is not None:
        a = maximum(a, a_min)
    if a_max is not None:
        a = minimum(a, a_max)
    return a


def _nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    return np.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)


_nan_to_num_op = Primitive("nan_to_num", _nan_to_num,
                           lambda g, ans, x, **params: where(np.isfinite(value_of(x)), g, 0.0))


@implements(np.nan_to_num)
def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    """NaN and infinities replaced by finite numbers, as `numpy.nan_to_num`; the gradient
    flows through the finite entries only (the replaced ones are constants).

    >>> x = ag.parameter([1.0, np.nan, np.inf], name="x")
    >>> y = np.nan_to_num(x, posinf=9.0); y
    Node([1., 0., 9.], op=nan_to_num)
    >>> y.sum().backward(); x.grad
    array([1., 0., 0.])
    """
    return _nan_to_num_op(x, nan=nan, posinf=posinf, neginf=neginf)


_round = Primitive("round", lambda x, decimals=0: np.round(x, decimals), _zero_grad)


@implements(np.round, np.around)
def round(a, decimals=0, out=None):
    """`a` rounded to `decimals` places, as `numpy.round`: a step function, zero gradient."""
    reject("round", out=out)
    return _round(a, decimals=decimals)


# --- the parts of a complex number, for the real numbers autograph differentiates ---------------

def _real_only(name, x):
    if np.iscomplexobj(value_of(x)):
        raise TypeError(f"numpy.{name}: complex numbers are out of scope in autograph "
                        f"(got {np.result_type(value_of(x))})")


@implements(np.real)
def real(val):
    """The real part: a real Node itself."""
    _real_only("real", val)
    return val


@implements(np.real_if_close)
def real_if_close(a, tol=100):
    """A real Node itself, as `numpy.real_if_close` returns a real array."""
    _real_only("real_if_close", a)
    return a


@implements(np.conjugate)
def conjugate(x):
    """The complex conjugate: a real Node itself (np.conj is the same function)."""
    _real_only("conjugate", x)
    return x


_imag = Primitive("imag", np.imag, _zero_grad)


@implements(np.imag)
def imag(val):
    """The imaginary part of a real Node: zeros, recorded with a zero gradient."""
    _real_only("imag", val)
    return _imag(val)


_angle = Primitive("angle", lambda z, deg=False: np.angle(z, deg), _zero_grad)


@implements(np.angle)
def angle(z, deg=False):
    """The argument of a real number, as `numpy.angle`: 0 or pi (180), a zero gradient."""
    _real_only("angle", z)
    return _angle(z, deg=deg)
