# The two commands of the README: `make demo` and `make test`.
# Everything they need is installed from here: nothing by hand.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: test demo typecheck clean

$(STAMP): pyproject.toml scripts/bootstrap.sh
	@PYTHON=$(PYTHON) VENV=$(VENV) sh scripts/bootstrap.sh
	@touch $@

## make test: type-check the project and run the whole suite (real OVN sandboxes included)
test: $(STAMP)
	$(VENV)/bin/mypy
	$(PY) -m pytest

typecheck: $(STAMP)
	$(VENV)/bin/mypy

## make demo: a real OVN multi-VTEP node, summarised, then torn down
demo: $(STAMP)
	@sh scripts/demo.sh $(VENV)/bin/mvtep

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .hypothesis
