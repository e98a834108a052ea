#!/bin/sh
# make demo: start a sandbox node, show it, always tear it down.
set -eu
MVTEP=$1
DIR=$(mktemp -d "${TMPDIR:-/tmp}/mvtep-demo.XXXXXX")
cleanup() { "$MVTEP" sandbox down --dir "$DIR" >/dev/null 2>&1 || true; rm -rf "$DIR"; }
trap cleanup EXIT INT TERM
"$MVTEP" sandbox up --dir "$DIR" >/dev/null
OVS_RUNDIR="$DIR" "$MVTEP" show
