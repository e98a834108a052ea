#!/bin/sh
# A second virtual environment with the original ryu 4.34 instead of os-ken,
# so the OpenFlow decode tests also run on ryu's codec (make test does that).
# ryu 4.34 only builds with setuptools<58 (its setup hooks use easy_install
# APIs that later setuptools removed).  Newer pips no longer apply
# PIP_CONSTRAINT inside build isolation, so ryu is built without isolation,
# against the setuptools<58 installed in this environment.
set -eu
PYTHON=${PYTHON:-python3}
VENV=${1:-.venv-ryu}
rm -rf "$VENV"
"$PYTHON" -m venv "$VENV"
echo "bootstrap: installing ryu 4.34 into $VENV, for the decode tests on ryu's codec (once)" >&2
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# pip's and the old setuptools' notices are shown only when the install fails.
if ! {
    "$VENV/bin/python" -m pip install -q --upgrade pip &&
    # pbr is ryu's setup_requires; pbr 6+ with these old setuptools reports the
    # package as version 0.0.0, so an older pbr is installed first.
    "$VENV/bin/python" -m pip install -q "setuptools<58" wheel "pbr<6" &&
    "$VENV/bin/python" -m pip install -q --no-build-isolation "ryu==4.34" &&
    # The project's other dependencies (not os-ken: this environment is ryu's).
    "$VENV/bin/python" -m pip install -q ovsdbapp pyroute2 pyudev rich pytest hypothesis pyparsing
} >"$log" 2>&1; then
    cat "$log" >&2
    echo "bootstrap: installing ryu into $VENV failed (pip's output above)" >&2
    exit 2
fi
touch "$VENV/.installed"
