"""Models built with graphflow: the window-based NER classifier of CS224N lecture 3."""
