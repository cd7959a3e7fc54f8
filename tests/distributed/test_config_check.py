"""What data-parallel NER training accepts, checked before any cluster starts (no Ray
needed): softmax window models, a constant learning rate, no character CNN."""

from __future__ import annotations

import pytest

from graphflow.distributed.ner import check_data_parallel_config
from graphflow.models.window_ner import WindowNERConfig


@pytest.mark.parametrize("change", [{"output": "crf"}, {"lr_decay": 0.85}, {"char_cnn": True}])
def test_unsupported_configs_are_refused_with_the_fix(change: dict) -> None:
    supported = {"output": "softmax", "lr_decay": 1.0, "char_cnn": False}
    check_data_parallel_config(WindowNERConfig(**supported))
    with pytest.raises(ValueError, match="--output softmax --lr-decay 1 --no-char-cnn"):
        check_data_parallel_config(WindowNERConfig(**{**supported, **change}))
