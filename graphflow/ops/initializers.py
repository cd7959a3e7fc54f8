"""TF1 variable initializers (``tf.zeros_initializer``, ``tf.glorot_uniform_initializer``...).

Each initializer is an object called as ``init(shape, dtype=None, partition_info=None)``
that *builds graph ops* producing the initial value, exactly as TF1's ``init_ops`` classes:
``get_variable`` calls it under ``<var>/Initializer/``, so the nodes read, e.g.,
``dense/kernel/Initializer/random_uniform/RandomUniform``. Random initializers use the
seeded random ops (``RandomUniform``, ``RandomStandardNormal``, ``TruncatedNormal``) with
TF1's seed rules (``gf.set_random_seed`` and/or ``seed=``); nothing random is baked into a
constant. ``dtype=None`` in a call means the dtype given to the constructor (float32).

Variance scaling (TF1 ``VarianceScaling``): with ``fan_in, fan_out`` from the shape (last
two dims, times the receptive field for rank > 2), ``n`` = fan_in, fan_out or their mean
(``mode``) and ``s = scale / max(1, n)``: ``"uniform"`` samples U(-sqrt(3 s), sqrt(3 s));
``"truncated_normal"`` (and its old alias ``"normal"``) samples a normal truncated at two
standard deviations with stddev ``sqrt(s) / 0.87962566103423978`` (the std of the unit
normal truncated to [-2, 2]), so the samples' std is sqrt(s); ``"untruncated_normal"``
samples N(0, s). Glorot = scale 1, fan_avg; He = scale 2, fan_in; LeCun = scale 1, fan_in.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from graphflow.framework import dtypes
from graphflow.framework.tensor import Tensor
from graphflow.framework.tensor_shape import as_shape
from graphflow.ops import array_ops, op_builder, random_ops

#: std of the standard normal truncated to [-2, 2] (scipy.stats.truncnorm.std(a=-2, b=2)).
TRUNCATED_NORMAL_STDDEV = 0.87962566103423978

__all__ = [
    "Initializer", "Zeros", "Ones", "Constant", "RandomUniform", "RandomNormal",
    "TruncatedNormal", "VarianceScaling", "GlorotUniform", "GlorotNormal",
    "zeros_initializer", "ones_initializer", "constant_initializer",
    "random_uniform_initializer", "random_normal_initializer", "truncated_normal_initializer",
    "variance_scaling_initializer", "glorot_uniform_initializer", "glorot_normal_initializer",
    "he_normal", "he_uniform", "lecun_normal", "lecun_uniform",
]


def _shape_list(shape: Any, who: str) -> list[int]:
    """A fully defined shape as a list of ints (initializers build fixed-shape values)."""
    if isinstance(shape, Tensor):
        raise TypeError(f"{who}: shape must be a list of ints, got tensor '{shape.name}'")
    s = as_shape(shape)
    if not s.is_fully_defined():
        raise ValueError(f"{who}: shape {s} must be fully defined to build an initial value")
    return [int(d) for d in s.as_list()]


def _float_dtype(dtype: Any, who: str) -> dtypes.DType:
    dt = dtypes.as_dtype(dtype)
    if not dt.is_floating:
        raise ValueError(f"{who}: Expected floating point type, got {dt.name}. Random "
                         "initializers only build float tensors; use gf.zeros_initializer() "
                         "or gf.constant_initializer() for integer variables")
    return dt


def compute_fans(shape: list[int]) -> tuple[int, int]:
    """TF1's ``_compute_fans``: (fan_in, fan_out) of a weight shape. Rank 0: (1, 1); rank 1:
    (n, n); rank 2: (rows, cols); rank >= 3 (conv kernels [..., in, out]): the last two dims
    times the receptive field size (product of the leading dims)."""
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return int(shape[0]), int(shape[0])
    if len(shape) == 2:
        return int(shape[0]), int(shape[1])
    receptive = 1
    for d in shape[:-2]:
        receptive *= d
    return int(shape[-2] * receptive), int(shape[-1] * receptive)


class Initializer:
    """Base class: ``__call__(shape, dtype=None, partition_info=None) -> Tensor``."""

    def __call__(self, shape: Any, dtype: Any = None, partition_info: Any = None) -> Tensor:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Initializer:
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class Zeros(Initializer):
    """All zeros (``tf.zeros_initializer``); any dtype."""

    def __init__(self, dtype: Any = dtypes.float32) -> None:
        self.dtype = dtypes.as_dtype(dtype)

    def __call__(self, shape: Any, dtype: Any = None, partition_info: Any = None) -> Tensor:
        dt = dtypes.as_dtype(dtype or self.dtype)
        return array_ops.zeros(_shape_list(shape, "zeros_initializer"), dt)

    def get_config(self) -> dict[str, Any]:
        return {"dtype": self.dtype.name}


class Ones(Initializer):
    """All ones (``tf.ones_initializer``); any dtype."""

    def __init__(self, dtype: Any = dtypes.float32) -> None:
        self.dtype = dtypes.as_dtype(dtype)

    def __call__(self, shape: Any, dtype: Any = None, partition_info: Any = None) -> Tensor:
        dt = dtypes.as_dtype(dtype or self.dtype)
        return array_ops.ones(_shape_list(shape, "ones_initializer"), dt)

    def get_config(self) -> dict[str, Any]:
        return {"dtype": self.dtype.name}


class Constant(Initializer):
    """A constant value (``tf.constant_initializer(value)``): a scalar fills the shape; an
    array of exactly as many elements is reshaped to it; as in TF1, a shorter list is padded
    with its last element (``verify_shape=True`` instead demands the exact shape)."""

    def __init__(self, value: Any = 0, dtype: Any = dtypes.float32,
                 verify_shape: bool = False) -> None:
        if isinstance(value, Tensor):
            raise TypeError(f"constant_initializer: value must be a Python or numpy value, got "
                            f"tensor '{value.name}'; pass the tensor itself as get_variable's "
                            "initializer instead")
        self.value = value
        self.dtype = dtypes.as_dtype(dtype)
        self._verify_shape = verify_shape

    def __call__(self, shape: Any, dtype: Any = None, partition_info: Any = None) -> Tensor:
        dt = dtypes.as_dtype(dtype or self.dtype)
        dims = _shape_list(shape, "constant_initializer")
        value = np.asarray(self.value)
        n = int(np.prod(dims))
        if self._verify_shape and list(value.shape) != dims:
            raise TypeError(f"constant_initializer: expected a value of shape {dims}, got "
                            f"{list(value.shape)} (verify_shape=True)")
        if value.size == 1:
            return op_builder.constant(value.reshape(()), dtype=dt, shape=dims)
        if value.size > n:
            raise ValueError(f"constant_initializer: too many elements provided: the shape "
                             f"{dims} needs at most {n}, but the value has {value.size}")
        flat = value.reshape(-1)
        if value.size < n:  # TF1: the last element fills the remaining entries
            flat = np.concatenate([flat, np.repeat(flat[-1:], n - value.size)])
        return op_builder.constant(flat.reshape(dims).astype(dt.np_dtype), dtype=dt)

    def get_config(self) -> dict[str, Any]:
        return {"value": self.value, "dtype": self.dtype.name,
                "verify_shape": self._verify_shape}


class RandomUniform(Initializer):
    """U(minval, maxval) samples (``tf.random_uniform_initializer``); maxval None means 1."""

    def __init__(self, minval: float = 0.0, maxval: float | None = None,
                 seed: int | None = None, dtype: Any = dtypes.float32) -> None:
        self.minval = minval
        self.maxval = 1.0 if maxval is None else maxval
        self.seed = seed
        self.dtype = dtypes.as_dtype(dtype)
        if not self.maxval > self.minval:
            raise ValueError(f"random_uniform_initializer: maxval {self.maxval} must be greater "
                             f"than minval {self.minval}")

    def __call__(self, shape: Any, dtype: Any = None, partition_info: Any = None) -> Tensor:
        dt = _float_dtype(dtype or self.dtype, "random_uniform_initializer")
        return random_ops.random_uniform(_shape_list(shape, "random_uniform_initializer"),
                                         self.minval, self.maxval, dt, seed=self.seed)

    def get_config(self) -> dict[str, Any]:
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed,
                "dtype": self.dtype.name}


class RandomNormal(Initializer):
    """N(mean, stddev^2) samples (``tf.random_normal_initializer``)."""

    def __init__(self, mean: float = 0.0, stddev: float = 1.0, seed: int | None = None,
                 dtype: Any = dtypes.float32) -> None:
        if stddev < 0:
            raise ValueError(f"random_normal_initializer: stddev must be >= 0, got {stddev}")
        self.mean, self.stddev, self.seed = mean, stddev, seed
        self.dtype = dtypes.as_dtype(dtype)

    def __call__(self, shape: Any, dtype: Any = None, partition_info: Any = None) -> Tensor:
        dt = _float_dtype(dtype or self.dtype, "random_normal_initializer")
        return random_ops.random_normal(_shape_list(shape, "random_normal_initializer"),
                                        self.mean, self.stddev, dt, seed=self.seed)

    def get_config(self) -> dict[str, Any]:
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed,
                "dtype": self.dtype.name}


class TruncatedNormal(Initializer):
    """Normal samples redrawn until within two standard deviations of the mean
    (``tf.truncated_normal_initializer``); the samples' std is 0.8796 * stddev."""

    def __init__(self, mean: float = 0.0, stddev: float = 1.0, seed: int | None = None,
                 dtype: Any = dtypes.float32) -> None:
        if stddev < 0:
            raise ValueError(f"truncated_normal_initializer: stddev must be >= 0, got {stddev}")
        self.mean, self.stddev, self.seed = mean, stddev, seed
        self.dtype = dtypes.as_dtype(dtype)

    def __call__(self, shape: Any, dtype: Any = None, partition_info: Any = None) -> Tensor:
        dt = _float_dtype(dtype or self.dtype, "truncated_normal_initializer")
        return random_ops.truncated_normal(_shape_list(shape, "truncated_normal_initializer"),
                                           self.mean, self.stddev, dt, seed=self.seed)

    def get_config(self) -> dict[str, Any]:
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed,
                "dtype": self.dtype.name}


_MODES = ("fan_in", "fan_out", "fan_avg")
_DISTRIBUTIONS = ("normal", "uniform", "truncated_normal", "untruncated_normal")


class VarianceScaling(Initializer):
    """Samples scaled to the weight's fan (``tf.variance_scaling_initializer``); see the
    module docstring for the formulas."""

    def __init__(self, scale: float = 1.0, mode: str = "fan_in",
                 distribution: str = "truncated_normal", seed: int | None = None,
                 dtype: Any = dtypes.float32) -> None:
        if not scale > 0:
            raise ValueError(f"variance_scaling_initializer: `scale` must be a positive float, "
                             f"got {scale}")
        if mode not in _MODES:
            raise ValueError(f"variance_scaling_initializer: Invalid `mode` argument: {mode!r} "
                             f"(use one of {', '.join(_MODES)})")
        dist = distribution.lower()
        if dist not in _DISTRIBUTIONS:
            raise ValueError(f"variance_scaling_initializer: Invalid `distribution` argument: "
                             f"{distribution!r} (use one of {', '.join(_DISTRIBUTIONS)})")
        self.scale, self.mode, self.distribution, self.seed = scale, mode, dist, seed
        self.dtype = dtypes.as_dtype(dtype)

    def __call__(self, shape: Any, dtype: Any = None, partition_info: Any = None) -> Tensor:
        who = "variance_scaling_initializer"
        dt = _float_dtype(dtype or self.dtype, who)
        dims = _shape_list(shape, who)
        scale_dims = dims
        if partition_info is not None and hasattr(partition_info, "full_shape"):
            scale_dims = list(partition_info.full_shape)
        fan_in, fan_out = compute_fans(scale_dims)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}
        s = self.scale / max(1.0, n[self.mode])
        if self.distribution in ("normal", "truncated_normal"):
            stddev = math.sqrt(s) / TRUNCATED_NORMAL_STDDEV
            return random_ops.truncated_normal(dims, 0.0, stddev, dt, seed=self.seed)
        if self.distribution == "untruncated_normal":
            return random_ops.random_normal(dims, 0.0, math.sqrt(s), dt, seed=self.seed)
        limit = math.sqrt(3.0 * s)
        return random_ops.random_uniform(dims, -limit, limit, dt, seed=self.seed)

    def get_config(self) -> dict[str, Any]:
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                "seed": self.seed, "dtype": self.dtype.name}


class GlorotUniform(VarianceScaling):
    """Glorot/Xavier uniform: U(-limit, limit), limit = sqrt(6 / (fan_in + fan_out))
    (``tf.glorot_uniform_initializer``; get_variable's default for float variables)."""

    def __init__(self, seed: int | None = None, dtype: Any = dtypes.float32) -> None:
        super().__init__(1.0, "fan_avg", "uniform", seed, dtype)

    def get_config(self) -> dict[str, Any]:
        return {"seed": self.seed, "dtype": self.dtype.name}


class GlorotNormal(VarianceScaling):
    """Glorot/Xavier normal: truncated normal whose samples have std
    sqrt(2 / (fan_in + fan_out)) (``tf.glorot_normal_initializer``)."""

    def __init__(self, seed: int | None = None, dtype: Any = dtypes.float32) -> None:
        super().__init__(1.0, "fan_avg", "truncated_normal", seed, dtype)

    def get_config(self) -> dict[str, Any]:
        return {"seed": self.seed, "dtype": self.dtype.name}


# TF1's top-level names are the classes themselves (``tf.zeros_initializer()`` instantiates).
zeros_initializer = Zeros
ones_initializer = Ones
constant_initializer = Constant
random_uniform_initializer = RandomUniform
random_normal_initializer = RandomNormal
truncated_normal_initializer = TruncatedNormal
variance_scaling_initializer = VarianceScaling
glorot_uniform_initializer = GlorotUniform
glorot_normal_initializer = GlorotNormal


def he_normal(seed: int | None = None) -> VarianceScaling:
    """He normal (``tf.initializers.he_normal``): truncated normal, std sqrt(2 / fan_in)."""
    return VarianceScaling(2.0, "fan_in", "truncated_normal", seed)


def he_uniform(seed: int | None = None) -> VarianceScaling:
    """He uniform: U(-limit, limit), limit = sqrt(6 / fan_in)."""
    return VarianceScaling(2.0, "fan_in", "uniform", seed)


def lecun_normal(seed: int | None = None) -> VarianceScaling:
    """LeCun normal: truncated normal, std sqrt(1 / fan_in)."""
    return VarianceScaling(1.0, "fan_in", "truncated_normal", seed)


def lecun_uniform(seed: int | None = None) -> VarianceScaling:
    """LeCun uniform: U(-limit, limit), limit = sqrt(3 / fan_in)."""
    return VarianceScaling(1.0, "fan_in", "uniform", seed)
