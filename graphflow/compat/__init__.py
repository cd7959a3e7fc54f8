"""``graphflow.compat``: ``import graphflow.compat.v1 as tf`` runs TF 1.x programs (see
``graphflow.compat.v1``)."""
