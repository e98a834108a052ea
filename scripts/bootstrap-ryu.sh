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
"$VENV/bin/python" -m pip install -q --upgrade pip
# pbr is ryu's setup_requires; pbr 6+ with these old setuptools reports the
# package as version 0.0.0, so an older pbr is installed first.
"$VENV/bin/python" -m pip install -q "setuptools<58" wheel "pbr<6"
"$VENV/bin/python" -m pip install -q --no-build-isolation "ryu==4.34"
# The project's other dependencies (not os-ken: this environment is ryu's).
"$VENV/bin/python" -m pip install -q ovsdbapp pyroute2 pyudev rich pytest hypothesis pyparsing
touch "$VENV/.installed"
