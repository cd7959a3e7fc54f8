"""CS224N assignment-2 style softmax classifier, written exactly as TF1 code (only the import
line differs). Trains on a toy linearly separable problem; main() returns 0 on success."""

import os
import tempfile

import numpy as np

import graphflow.compat.v1 as tf

flags = tf.app.flags
flags.DEFINE_integer("n_epochs", 60, "number of epochs")
flags.DEFINE_float("lr", 0.5, "learning rate")
flags.DEFINE_string("ckpt_dir", "", "where to save (default: a temp dir)")
FLAGS = flags.FLAGS


class Config(object):
    n_samples = 120
    n_features = 5
    n_classes = 3
    batch_size = 40


def softmax(x):
    x_max = tf.reduce_max(x, reduction_indices=[1], keep_dims=True)
    e = tf.exp(tf.sub(x, x_max))
    return tf.div(e, tf.reduce_sum(e, reduction_indices=[1], keep_dims=True))


def cross_entropy_loss(y, yhat):
    return -tf.reduce_sum(tf.to_float(y) * tf.log(yhat))


class SoftmaxModel(object):
    def __init__(self, config):
        self.config = config
        self.input_placeholder = tf.placeholder(tf.float32, shape=(None, config.n_features))
        self.labels_placeholder = tf.placeholder(tf.int32, shape=(None, config.n_classes))
        with tf.variable_scope("softmax"):
            W = tf.get_variable("W", (config.n_features, config.n_classes),
                                initializer=tf.contrib.layers.xavier_initializer(seed=1))
            b = tf.get_variable("b", (config.n_classes,), initializer=tf.zeros_initializer())
        self.pred = softmax(tf.matmul(self.input_placeholder, W) + b)
        self.loss = cross_entropy_loss(self.labels_placeholder, self.pred) / \
            tf.cast(tf.shape(self.input_placeholder)[0], tf.float32)
        self.train_op = tf.train.GradientDescentOptimizer(FLAGS.lr).minimize(self.loss)
        self.accuracy = tf.reduce_mean(tf.cast(tf.equal(
            tf.arg_max(self.pred, 1), tf.arg_max(self.labels_placeholder, 1)), tf.float32))


def main(_):
    config = Config()
    rng = np.random.RandomState(0)
    centers = rng.randn(config.n_classes, config.n_features) * 3
    labels = rng.randint(config.n_classes, size=config.n_samples)
    inputs = (centers[labels] + rng.randn(config.n_samples, config.n_features)).astype(
        np.float32)
    onehot = np.eye(config.n_classes, dtype=np.int32)[labels]
    with tf.Graph().as_default():
        tf.set_random_seed(1)
        model = SoftmaxModel(config)
        init = tf.initialize_all_variables()
        saver = tf.train.Saver()
        ckpt_dir = FLAGS.ckpt_dir or tempfile.mkdtemp()
        with tf.Session(config=tf.ConfigProto(allow_soft_placement=True)) as sess:
            sess.run(init)
            losses = []
            for epoch in range(FLAGS.n_epochs):
                total = 0.0
                for start in range(0, config.n_samples, config.batch_size):
                    feed = {model.input_placeholder: inputs[start:start + config.batch_size],
                            model.labels_placeholder: onehot[start:start + config.batch_size]}
                    _, loss = sess.run([model.train_op, model.loss], feed_dict=feed)
                    total += loss
                losses.append(total)
                if epoch % 20 == 0:
                    tf.logging.info("epoch %d: loss %.4f", epoch, total)
            acc = sess.run(model.accuracy, {model.input_placeholder: inputs,
                                            model.labels_placeholder: onehot})
            path = saver.save(sess, os.path.join(ckpt_dir, "softmax.ckpt"), global_step=epoch)
        with tf.Session() as sess:
            saver.restore(sess, tf.train.latest_checkpoint(ckpt_dir))
            acc2 = sess.run(model.accuracy, {model.input_placeholder: inputs,
                                             model.labels_placeholder: onehot})
    assert losses[-1] < 0.2 * losses[0], losses
    assert acc > 0.95 and acc2 == acc, (acc, acc2)
    assert tf.train.get_checkpoint_state(ckpt_dir).model_checkpoint_path == path
    return 0


if __name__ == "__main__":
    tf.app.run()
