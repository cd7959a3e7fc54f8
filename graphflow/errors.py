"""``tf.errors``: TF1's exception classes (defined in ``graphflow.framework.errors``, which
graphflow raises) and the error codes."""

from __future__ import annotations

from graphflow.framework.errors import (
                                        AbortedError,
                                        AlreadyExistsError,
                                        CancelledError,
                                        DataLossError,
                                        DeadlineExceededError,
                                        FailedPreconditionError,
                                        InternalError,
                                        InvalidArgumentError,
                                        NotFoundError,
                                        OpError,
                                        OutOfRangeError,
                                        PermissionDeniedError,
                                        ResourceExhaustedError,
                                        UnauthenticatedError,
                                        UnavailableError,
                                        UnimplementedError,
                                        UnknownError,
)

OK, CANCELLED, UNKNOWN, INVALID_ARGUMENT, DEADLINE_EXCEEDED, NOT_FOUND = 0, 1, 2, 3, 4, 5
ALREADY_EXISTS, PERMISSION_DENIED, RESOURCE_EXHAUSTED, FAILED_PRECONDITION = 6, 7, 8, 9
ABORTED, OUT_OF_RANGE, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS = 10, 11, 12, 13, 14, 15
UNAUTHENTICATED = 16

__all__ = [
    "ABORTED", "ALREADY_EXISTS", "CANCELLED", "DATA_LOSS", "DEADLINE_EXCEEDED",
    "FAILED_PRECONDITION", "INTERNAL", "INVALID_ARGUMENT", "NOT_FOUND", "OK", "OUT_OF_RANGE",
    "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "UNAUTHENTICATED", "UNAVAILABLE", "UNIMPLEMENTED",
    "UNKNOWN", "AbortedError", "AlreadyExistsError", "CancelledError", "DataLossError",
    "DeadlineExceededError", "FailedPreconditionError", "InternalError", "InvalidArgumentError",
    "NotFoundError", "OpError", "OutOfRangeError", "PermissionDeniedError",
    "ResourceExhaustedError", "UnauthenticatedError", "UnavailableError", "UnimplementedError",
    "UnknownError",
]
