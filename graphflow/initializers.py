"""``gf.initializers``: TF1's ``tf.initializers`` namespace.

The initializer classes (``gf.initializers.zeros()``, ``glorot_uniform(seed=1)``, ...) and
the variable-initializer ops (``global_variables()``, ``variables(var_list)``). The
implementations live in ``graphflow.ops.initializers`` and ``graphflow.ops.variables``; the
same classes are exported at the top level under TF1's names (``gf.zeros_initializer``...).
"""

from graphflow.ops import initializers as _impl
from graphflow.ops import variables as _variables

Initializer = _impl.Initializer
zeros = _impl.Zeros
ones = _impl.Ones
constant = _impl.Constant
random_uniform = _impl.RandomUniform
random_normal = _impl.RandomNormal
truncated_normal = _impl.TruncatedNormal
variance_scaling = _impl.VarianceScaling
glorot_uniform = _impl.GlorotUniform
glorot_normal = _impl.GlorotNormal
he_normal = _impl.he_normal
he_uniform = _impl.he_uniform
lecun_normal = _impl.lecun_normal
lecun_uniform = _impl.lecun_uniform
global_variables = _variables.global_variables_initializer
variables = _variables.variables_initializer

__all__ = [
    "Initializer", "constant", "glorot_normal", "glorot_uniform", "global_variables",
    "he_normal", "he_uniform", "lecun_normal", "lecun_uniform", "ones", "random_normal",
    "random_uniform", "truncated_normal", "variables", "variance_scaling", "zeros",
]
