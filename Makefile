# The two commands of the README: `make demo` and `make test`.
# Everything they need is installed from here: nothing by hand.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
RYU    := .venv-ryu
# The decode tests, run a second time on the original ryu's codec.
CODEC_TESTS := tests/test_ofcodec.py tests/test_ofdecode_robust.py tests/test_ofclient.py tests/test_flows_oracle.py tests/test_flows_corpus.py

# Where `mvtep sandbox` caches the OVN releases it fetches (mvtep/sandbox/packages.py).
OVN_CACHE = $${XDG_CACHE_HOME:-$$HOME/.cache}/multivtep
# The releases the suite runs real nodes of (tests/conftest.py).
TEST_RELEASES := 25.03 26.03 23.03

.PHONY: test demo typecheck lint clean distclean fetch

$(STAMP): pyproject.toml scripts/bootstrap.sh
	@PYTHON=$(PYTHON) VENV=$(VENV) sh scripts/bootstrap.sh
	@touch $@

$(RYU)/.installed: scripts/bootstrap-ryu.sh
	@PYTHON=$(PYTHON) sh scripts/bootstrap-ryu.sh $(RYU)

## make test: lint (ruff), check the layers (import-linter), type-check (mypy --strict), run the
## whole suite (real OVN sandboxes included), then the OpenFlow decode tests again on ryu 4.34
test: $(STAMP) $(RYU)/.installed fetch
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy
	$(PY) -m pytest
	MVTEP_OFP_CODEC=ryu PYTHONPATH=. $(RYU)/bin/python -m pytest -p no:cacheprovider $(CODEC_TESTS)

## make fetch: the OVN releases the suite needs, with progress (once: then they are cached)
fetch: $(STAMP)
	@for release in $(TEST_RELEASES); do $(VENV)/bin/mvtep sandbox fetch --ovn $$release || exit 2; done

typecheck: $(STAMP)
	$(VENV)/bin/mypy

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

## make demo: a real OVN multi-VTEP node, summarised, then torn down
demo: $(STAMP)
	@sh scripts/demo.sh $(VENV)/bin/mvtep

## make clean: the virtual environments and tool caches; says where the OVN release cache is
clean:
	rm -rf $(VENV) $(RYU) .mypy_cache .pytest_cache .hypothesis
	@if [ -d "$(OVN_CACHE)" ]; then \
	    echo "kept the OVN release cache: $(OVN_CACHE) ($$(du -sh "$(OVN_CACHE)" | cut -f1)); make distclean removes it too"; \
	fi

## make distclean: clean, and the OVN release cache (not while a sandbox runs from it)
distclean:
	@if [ -x $(VENV)/bin/mvtep ]; then $(VENV)/bin/mvtep sandbox clean; else rm -rf "$(OVN_CACHE)"; fi
	@$(MAKE) --no-print-directory clean
