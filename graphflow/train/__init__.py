"""``gf.train``: optimizers that emit update ops into the graph, global step, checkpoints."""

from graphflow.train import training_ops  # noqa: F401  (registers the Apply* op records)
from graphflow.train.adagrad import AdagradOptimizer
from graphflow.train.adam import AdamOptimizer
from graphflow.train.gradient_descent import GradientDescentOptimizer
from graphflow.train.lazy_adam import LazyAdamOptimizer
from graphflow.train.learning_rate_decay import (
    cosine_decay,
    exponential_decay,
    inverse_time_decay,
    natural_exp_decay,
    piecewise_constant,
    polynomial_decay,
)
from graphflow.train.momentum import MomentumOptimizer
from graphflow.train.moving_averages import ExponentialMovingAverage
from graphflow.train.optimizer import (
                                       Optimizer,
                                       create_global_step,
                                       get_global_step,
                                       get_or_create_global_step,
)
from graphflow.train.rmsprop import RMSPropOptimizer
from graphflow.train.saver import Saver, latest_checkpoint, load_checkpoint

__all__ = ["AdagradOptimizer", "RMSPropOptimizer", "cosine_decay", "exponential_decay",
           "inverse_time_decay", "natural_exp_decay", "piecewise_constant", "polynomial_decay",
           "AdamOptimizer", "GradientDescentOptimizer", "LazyAdamOptimizer", "MomentumOptimizer",
           "Optimizer", "ExponentialMovingAverage",
           "Saver", "create_global_step", "get_global_step", "get_or_create_global_step",
           "latest_checkpoint", "load_checkpoint"]

# TF1's tf.train checkpoint-state functions and Coordinator.
from graphflow.train.checkpoint_state import (  # noqa: E402
    checkpoint_exists,
    get_checkpoint_state,
    update_checkpoint_state,
)
from graphflow.train.coordinator import Coordinator  # noqa: E402

__all__ += ["Coordinator", "checkpoint_exists", "get_checkpoint_state",
            "update_checkpoint_state"]
