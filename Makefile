# The two fresh-machine commands (see README):  make demo   and   make test
# Each creates/uses the virtualenv in .venv and installs what it needs, including
# graphviz's `dot` (for SVG/PNG rendering) when the machine has apt-get or brew.

VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: demo test venv system-deps lint protos docs bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

venv: $(STAMP)

system-deps:
	@command -v dot >/dev/null 2>&1 || { \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    (apt-get install -y -qq graphviz >/dev/null 2>&1 || \
	     (apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq graphviz >/dev/null 2>&1)) \
	    || echo "warning: could not install graphviz; SVG/PNG rendering will be unavailable"; \
	  elif command -v brew >/dev/null 2>&1; then brew install graphviz; \
	  else echo "warning: graphviz's dot not found; install it for SVG/PNG rendering"; fi; }
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    (apt-get install -y -qq chromium >/dev/null 2>&1 || \
	     (apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq chromium >/dev/null 2>&1)) \
	    || echo "warning: could not install chromium; the explorer's browser test will be skipped"; \
	  else echo "warning: chromium not found; the explorer's browser test will be skipped"; fi; }

test: venv system-deps
	$(PY) -m pytest -q

# The main job: train the lecture's window NER classifier on the bundled demo corpus,
# evaluate it, predict the lecture's sentences, and render its training graph.
DEMO_OUT ?= out/ner_demo
demo: venv system-deps
	$(PY) -m graphflow ner train --out $(DEMO_OUT)
	$(PY) -m graphflow ner eval $(DEMO_OUT) --data graphflow/data/demo/test.txt
	$(PY) -m graphflow ner predict $(DEMO_OUT) \
	  "Last night, Paris Hilton wowed in a sequin gown" \
	  "Samuel Quinn was arrested in the Hilton Hotel in Paris in April 1989"
	$(PY) -m graphflow render $(DEMO_OUT)/train_graph.pb --collapse 1 -o $(DEMO_OUT)/train_graph.svg
	$(PY) -m graphflow render $(DEMO_OUT)/model.pb -o $(DEMO_OUT)/model.svg
	$(PY) -m graphflow render $(DEMO_OUT)/train_graph.pb --collapse 1 -o $(DEMO_OUT)/train_graph.html
	@echo "pictures: $(DEMO_OUT)/train_graph.svg (training graph, scopes collapsed), $(DEMO_OUT)/model.svg (frozen model)"
	@echo "explorer: open $(DEMO_OUT)/train_graph.html in a browser (pan/zoom, expand scopes, node details)"

# ruff and mypy come with the test extra (pyproject.toml); mypy checks the packages listed
# under [tool.mypy] files (framework, compiler, runtime, io and every other clean package).
lint: venv
	$(PY) -m ruff check graphflow tests examples benchmarks scripts
	$(PY) -m mypy

protos:
	$(PY) -m pip install --quiet grpcio-tools==1.85.1
	$(PY) scripts/gen_protos.py

# The API reference: one HTML page per module of graphflow (the public namespaces gf, gf.nn,
# gf.train, gf.layers, gf.losses, gf.io, gf.viz, gf.debug, gf.test, gf.summary and the
# packages behind them), generated from the docstrings by pdoc into docs/api/ (not committed).
docs: venv
	$(PY) -m pip install --quiet -e '.[docs]'
	rm -rf docs/api
	$(PY) -m pdoc --docformat google --output-directory docs/api graphflow '!graphflow.proto'
	@echo "API reference: docs/api/index.html"

clean:
	rm -rf $(VENV) build *.egg-info
