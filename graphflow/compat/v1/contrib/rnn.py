"""``tf.contrib.rnn``: TF1's RNN cells and the static drivers under their contrib names
(the same classes as ``tf.nn.rnn_cell`` / ``gf.nn.rnn_cell``)."""

from __future__ import annotations

from graphflow.nn import rnn_cell, static_bidirectional_rnn, static_rnn

BasicLSTMCell = rnn_cell.BasicLSTMCell
BasicRNNCell = rnn_cell.BasicRNNCell
DeviceWrapper = rnn_cell.DeviceWrapper
DropoutWrapper = rnn_cell.DropoutWrapper
GRUCell = rnn_cell.GRUCell
LSTMCell = rnn_cell.LSTMCell
LSTMStateTuple = rnn_cell.LSTMStateTuple
MultiRNNCell = rnn_cell.MultiRNNCell
RNNCell = rnn_cell.RNNCell
ResidualWrapper = rnn_cell.ResidualWrapper

__all__ = ["BasicLSTMCell", "BasicRNNCell", "DeviceWrapper", "DropoutWrapper", "GRUCell",
           "LSTMCell", "LSTMStateTuple", "MultiRNNCell", "RNNCell", "ResidualWrapper",
           "static_bidirectional_rnn", "static_rnn"]
