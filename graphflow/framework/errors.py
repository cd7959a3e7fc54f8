"""Error classes users see, following TensorFlow 1.x's ``tf.errors`` names.

Graph-build mistakes raise ``ValueError``/``TypeError`` subclasses (as TF does)
whose message names the node, its op type, the offending shapes/dtypes and the
fix. Run-time failures raise ``OpError`` subclasses that carry the failing
node's name and op type.
"""

from __future__ import annotations


class GraphflowError(Exception):
    """Base class of every graphflow-specific error."""


class OpError(GraphflowError):
    """A failure while running a node; ``node_name`` and ``op_type`` say which."""

    def __init__(self, message: str, node_name: str | None = None,
                 op_type: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.node_name = node_name
        self.op_type = op_type


class InvalidArgumentError(OpError, ValueError):
    """A node received an invalid value (bad feed shape, NaN under check_numerics, ...)."""


class NotFoundError(OpError, KeyError):
    """A requested node, tensor or file does not exist."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return self.message


class FailedPreconditionError(OpError):
    """The graph cannot run yet, e.g. a variable was read before it was initialized."""


class UnimplementedError(OpError, NotImplementedError):
    """The graph uses something graphflow does not implement (an op type, a dtype)."""


class InternalError(OpError):
    """A kernel failed in a way its shape rule did not predict (a graphflow bug)."""


class OutOfRangeError(OpError):
    """An iterator or queue is exhausted (``get_next`` past the end of a Dataset)."""


class ResourceExhaustedError(OpError):
    """A resource ran out (a tensor larger than ``SessionConfig.max_tensor_bytes``, ...)."""


class CancelledError(OpError):
    """An operation was cancelled (e.g. a Coordinator asked the threads to stop)."""


class UnknownError(OpError):
    """An error of no other class (e.g. an exception raised inside a ``py_func``)."""


class DeadlineExceededError(OpError):
    """A deadline expired before the operation finished."""


class AlreadyExistsError(OpError):
    """Something to be created (a file, a resource) already exists."""


class PermissionDeniedError(OpError):
    """The caller may not do this (e.g. a file cannot be written)."""


class UnauthenticatedError(OpError):
    """The request has no valid credentials (TF1's name; graphflow never raises it)."""


class AbortedError(OpError):
    """An operation was aborted (e.g. a concurrent-update conflict)."""


class UnavailableError(OpError):
    """A service is unavailable (TF1's name; graphflow has no remote services)."""


class GraphBuildError(GraphflowError, ValueError):
    """A node cannot be added to the graph (shape/dtype/attr error) — raised at build time."""


class DataLossError(GraphflowError, ValueError):
    """A file is truncated, corrupt, or not the format it claims to be."""


def node_error(name: str, op_type: str, message: str, fix: str | None = None) -> str:
    """The one format of an error about a node: ``"AddV2 node 'scope/add_1': <message>.
    Fix: <fix>"`` (every layer words its node errors through this helper)."""
    text = f"{op_type} node '{name}': {message}"
    if fix:
        text += f". Fix: {fix}"
    return text


def node_run_error(name: str, op_type: str, message: str, fix: str | None = None
                   ) -> InvalidArgumentError:
    """The error a kernel raises for a bad run-time value: an InvalidArgumentError worded by
    ``node_error`` and carrying the node's name and op type."""
    return InvalidArgumentError(node_error(name, op_type, message, fix), name, op_type)
