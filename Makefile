# The two fresh-machine commands (see README):  make demo   and   make test
# Each creates/uses the virtualenv in .venv and installs what it needs, including
# graphviz's `dot` (for SVG/PNG rendering) when the machine has apt-get or brew.

VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: demo test venv system-deps lint protos bench clean

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

test: venv system-deps
	$(PY) -m pytest -q

demo: venv system-deps
	$(PY) examples/computation_graph.py

lint: venv
	$(PY) -m pip install --quiet ruff
	$(PY) -m ruff check graphflow tests examples benchmarks scripts

protos:
	$(PY) -m pip install --quiet grpcio-tools==1.85.1
	$(PY) scripts/gen_protos.py

clean:
	rm -rf $(VENV) build *.egg-info
