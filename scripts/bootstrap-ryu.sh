#!/bin/sh
# A second virtual environment with the original ryu 4.34 instead of os-ken,
# so the OpenFlow decode tests also run on ryu's codec (make test does that).
# ryu 4.34 only builds with setuptools<58 in its build environment; the
# constraint applies to that install alone.
set -eu
PYTHON=${PYTHON:-python3}
VENV=${1:-.venv-ryu}
rm -rf "$VENV"
"$PYTHON" -m venv "$VENV"
constraints=$(mktemp)
trap 'rm -f "$constraints"' EXIT
echo "setuptools<58" > "$constraints"
"$VENV/bin/python" -m pip install -q --upgrade pip
PIP_CONSTRAINT="$constraints" "$VENV/bin/python" -m pip install -q "ryu==4.34"
# The project's other dependencies (not os-ken: this environment is ryu's).
"$VENV/bin/python" -m pip install -q ovsdbapp pyroute2 pyudev rich pytest hypothesis pyparsing
touch "$VENV/.installed"
