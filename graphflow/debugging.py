"""``gf.debugging``: TF's ``tf.debugging`` namespace (``check_numerics``)."""

from graphflow.ops.array_ops import check_numerics

__all__ = ["check_numerics"]
