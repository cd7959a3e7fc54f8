"""What graphflow deliberately does not do that TF 1.x did, and what to use instead: the
messages of the ``AttributeError`` a ``compat.v1`` namespace raises for such a name (a module
``__getattr__``), so a TF1 program stops with a reason, never a bare AttributeError."""

from __future__ import annotations

_QUEUES = ("queues and queue runners are not supported (graphflow has no threads feeding "
           "the graph); feed numpy batches through feed_dict, or use tf.data.Dataset "
           "(from_tensor_slices/batch/shuffle/repeat + make_one_shot_iterator)")
_DISTRIBUTED = ("distributed TensorFlow (servers, clusters, device setters) is not supported: "
                "graphflow runs in one process on the CPU; for data-parallel training use "
                "graphflow.distributed.DataParallelTrainer (Ray)")
_READERS = ("TF1 file readers feed queues, which graphflow does not have; read the files in "
            "Python and feed numpy arrays, or use tf.data.Dataset.from_tensor_slices")
_ESTIMATOR = ("tf.estimator is not supported; write the training loop with a Session "
              "(placeholders, an optimizer's minimize(), sess.run)")
_EAGER = ("eager execution is not supported: graphflow is a graph-mode (TF1) framework; build "
          "the graph and run it in a Session")
_GPU = ("graphflow runs every node on the CPU (numpy); there are no GPU devices to list or "
        "configure. tf.device('/gpu:0') is accepted and recorded in NodeDef.device")
_CONTRIB = ("tf.contrib.{name} is not supported: graphflow provides tf.contrib.layers "
            "(initializers, regularizers, flatten, fully_connected) and tf.contrib.rnn (the "
            "RNN cells, static_rnn) only; use the core API (tf.layers, tf.nn, tf.train)")

#: name under a namespace -> the reason and the replacement.
TOP_LEVEL = {
    **{n: _QUEUES for n in ("FIFOQueue", "RandomShuffleQueue", "PaddingFIFOQueue",
                            "PriorityQueue", "QueueBase")},
    **{n: _READERS for n in ("TFRecordReader", "TextLineReader", "WholeFileReader",
                             "FixedLengthRecordReader", "IdentityReader", "ReaderBase",
                             "read_file", "decode_csv")},
    "estimator": _ESTIMATOR,
    "enable_eager_execution": _EAGER, "contrib": _CONTRIB,
    "keras": ("tf.keras is not supported; use tf.layers / tf.nn / tf.losses with a Session"),
    "distribute": _DISTRIBUTED, "config": _GPU,
    "Server": _DISTRIBUTED, "ClusterSpec": _DISTRIBUTED,
    "py_function": ("tf.py_function is eager-only; use tf.py_func"),
}

TRAIN = {
    **{n: _QUEUES for n in ("QueueRunner", "start_queue_runners", "add_queue_runner",
                            "string_input_producer", "input_producer", "range_input_producer",
                            "slice_input_producer", "batch", "shuffle_batch", "batch_join",
                            "shuffle_batch_join", "maybe_batch", "limit_epochs")},
    **{n: _DISTRIBUTED for n in ("Server", "ClusterSpec", "replica_device_setter",
                                 "SyncReplicasOptimizer", "MonitoredTrainingSession",
                                 "MonitoredSession", "SingularMonitoredSession",
                                 "Supervisor", "SessionManager", "Scaffold")},
}


def message(namespace: str, name: str, table: dict[str, str]) -> str:
    """The text of the AttributeError for ``namespace.name``."""
    reason = table.get(name)
    if reason is not None:
        return f"{namespace}.{name}: {reason.format(name=name)}"
    return (f"{namespace}.{name} is not provided by graphflow (see README.md, 'TF1 programs', "
            "for the TF1 names graphflow covers and what is out of scope)")
