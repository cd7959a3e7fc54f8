"""Text helpers: escaping, identifiers, shape and value formatting."""

from __future__ import annotations

import numpy as np

import graphflow as gf
from graphflow.framework.tensor import TensorSpec
from graphflow.viz import labels


def test_html_text_escapes_markup_and_keeps_dot_text_ascii() -> None:
    text = labels.html_text('a"b <c> & \'d\' {e} \\ ü 名')
    assert text == ("a&quot;b &lt;c&gt; &amp; &#x27;d&#x27; {e} \\ &#252; &#21517;")
    assert text.isascii()
    assert labels.html_text("two\nlines") == "two<br/>lines"


def test_quoted_escapes_backslashes_and_quotes() -> None:
    assert labels.quoted('a\\b "c"\nd') == '"a\\\\b \\"c\\"\\nd"'


def test_id_maker_is_deterministic_and_collision_free() -> None:
    make = labels.IdMaker("n_")
    assert make("a/b") == "n_a_b"
    assert make("a_b") == "n_a_b__2"
    assert make("a:b") == "n_a_b__3"
    assert make("a/b") == "n_a_b"
    assert labels.IdMaker("n_")("ü/\"x\"") == "n____x_"


def test_shape_text() -> None:
    assert labels.shape_text(TensorSpec(gf.float32, [])) == "()"
    assert labels.shape_text(TensorSpec(gf.float32, [3])) == "(3,)"
    assert labels.shape_text(TensorSpec(gf.int32, [None, 4])) == "(?, 4) int32"
    assert labels.shape_text(TensorSpec(gf.float64, None)) == "? float64"
    assert labels.shape_text(None) == ""


def test_format_value_prints_small_tensors() -> None:
    assert labels.format_value(np.float32(6.0)) == "6"
    assert labels.format_value(np.array(-0.0)) == "0"
    assert labels.format_value(np.array(2.5)) == "2.5"
    assert labels.format_value(np.array(1 / 3), precision=3) == "0.333"
    assert labels.format_value(np.array([1, 2], np.int32)) == "[1, 2]"
    assert labels.format_value(np.array([True, False])) == "[True, False]"
    assert labels.format_value(np.array([[1.0, 0.5], [0.0, 2.0]])) == "[[1, 0.5],\n [0, 2]]"
    assert labels.format_value(np.array([b"ab"])) == "[b'ab']"


def test_format_value_summarises_large_tensors() -> None:
    a = np.full((10, 5), 2.0, np.float32)
    assert labels.format_value(a) == "(10, 5) mean=2 norm=14.1"
    a[0, 0] = np.nan
    a[0, 1] = np.inf
    assert labels.format_value(a).endswith("NaN/Inf=2")
    assert labels.format_value(np.full(8, np.nan)) == "(8,) NaN=8"
    assert labels.format_value(np.ones(9, bool)) == "(9,) true=9"
