"""CS224N assignment-3 style window model (embedding lookup of a word window, one hidden
layer, dropout fed through a placeholder, Adam, L2 regularization, Saver), written as TF1
code. main() returns 0 when training lowered the loss and the restored model agrees."""

import os
import tempfile

import numpy as np

import graphflow.compat.v1 as tf


class Config:
    n_word_ids = 30
    window_size = 1
    n_window_features = 2 * window_size + 1
    embed_size = 8
    hidden_size = 16
    n_classes = 4
    dropout = 0.5
    batch_size = 32
    n_epochs = 15
    lr = 0.01
    l2 = 1e-4


class WindowModel(object):
    def __init__(self, config):
        self.config = config
        self.input_placeholder = tf.placeholder(tf.int32, [None, config.n_window_features],
                                                name="input")
        self.labels_placeholder = tf.placeholder(tf.int32, [None], name="labels")
        self.dropout_placeholder = tf.placeholder(tf.float32, name="dropout")
        self.build()

    def add_embedding(self):
        embeddings = tf.Variable(tf.random_uniform(
            [self.config.n_word_ids, self.config.embed_size], -1.0, 1.0, seed=3))
        e = tf.nn.embedding_lookup(embeddings, self.input_placeholder)
        return tf.reshape(e, [-1, self.config.n_window_features * self.config.embed_size])

    def build(self):
        c = self.config
        x = self.add_embedding()
        xavier = tf.contrib.layers.xavier_initializer(seed=4)
        with tf.variable_scope("layer1"):
            W = tf.get_variable("W", [c.n_window_features * c.embed_size, c.hidden_size],
                                initializer=xavier)
            b1 = tf.get_variable("b1", [c.hidden_size], initializer=tf.constant_initializer(0))
        with tf.variable_scope("layer2"):
            U = tf.get_variable("U", [c.hidden_size, c.n_classes], initializer=xavier)
            b2 = tf.get_variable("b2", [c.n_classes], initializer=tf.constant_initializer(0))
        h = tf.nn.relu(tf.matmul(x, W) + b1)
        h_drop = tf.nn.dropout(h, self.dropout_placeholder, seed=5)
        self.pred = tf.matmul(h_drop, U) + b2
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=self.labels_placeholder, logits=self.pred), reduction_indices=[0])
        self.loss = loss + c.l2 * (tf.nn.l2_loss(W) + tf.nn.l2_loss(U))
        self.train_op = tf.train.AdamOptimizer(c.lr).minimize(self.loss)
        self.predictions = tf.argmax(self.pred, 1)

    def create_feed_dict(self, inputs, labels=None, dropout=1.0):
        feed = {self.input_placeholder: inputs, self.dropout_placeholder: dropout}
        feed[self.labels_placeholder] = labels  # None at prediction time, as TF1 allows
        return feed


def main(argv):
    config = Config()
    rng = np.random.RandomState(1)
    windows = rng.randint(config.n_word_ids, size=(256, config.n_window_features))
    labels = windows[:, config.window_size] % config.n_classes  # the centre word decides
    with tf.Graph().as_default():
        model = WindowModel(config)
        saver = tf.train.Saver()
        directory = tempfile.mkdtemp()
        with tf.Session() as session:
            session.run(tf.global_variables_initializer())
            first = session.run(model.loss, model.create_feed_dict(windows, labels))
            for _epoch in range(config.n_epochs):
                order = rng.permutation(len(windows))
                for i in range(0, len(windows), config.batch_size):
                    idx = order[i:i + config.batch_size]
                    session.run(model.train_op, model.create_feed_dict(
                        windows[idx], labels[idx], config.dropout))
            last = session.run(model.loss, model.create_feed_dict(windows, labels))
            preds = session.run(model.predictions, model.create_feed_dict(windows))
            saver.save(session, os.path.join(directory, "model.weights"))
        with tf.Session() as session:
            saver.restore(session, os.path.join(directory, "model.weights"))
            again = session.run(model.predictions, model.create_feed_dict(windows))
    assert last < 0.5 * first, (first, last)
    assert (preds == labels).mean() > 0.9
    assert (again == preds).all()
    return 0


if __name__ == "__main__":
    tf.app.run(main=main)
