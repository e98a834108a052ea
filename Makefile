# The two commands of the README: `make demo` and `make test`.
# Everything they need is installed from here: nothing by hand.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
RYU    := .venv-ryu
# The decode tests, run a second time on the original ryu's codec.
CODEC_TESTS := tests/test_ofcodec.py tests/test_ofdecode_robust.py tests/test_ofclient.py tests/test_flows_oracle.py tests/test_flows_corpus.py

.PHONY: test demo typecheck clean

$(STAMP): pyproject.toml scripts/bootstrap.sh
	@PYTHON=$(PYTHON) VENV=$(VENV) sh scripts/bootstrap.sh
	@touch $@

$(RYU)/.installed: scripts/bootstrap-ryu.sh
	@PYTHON=$(PYTHON) sh scripts/bootstrap-ryu.sh $(RYU)

## make test: type-check the project and run the whole suite (real OVN sandboxes included),
## then the OpenFlow decode tests again on ryu 4.34 instead of os-ken
test: $(STAMP) $(RYU)/.installed
	$(VENV)/bin/mypy
	$(PY) -m pytest
	MVTEP_OFP_CODEC=ryu PYTHONPATH=. $(RYU)/bin/python -m pytest -p no:cacheprovider $(CODEC_TESTS)

typecheck: $(STAMP)
	$(VENV)/bin/mypy

## make demo: a real OVN multi-VTEP node, summarised, then torn down
demo: $(STAMP)
	@sh scripts/demo.sh $(VENV)/bin/mvtep

clean:
	rm -rf $(VENV) $(RYU) .mypy_cache .pytest_cache .hypothesis
