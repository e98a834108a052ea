#!/bin/sh
# make demo: start a sandbox node, watch it (one frame without a terminal),
# always tear it down.
set -eu
MVTEP=$1
DIR=$(mktemp -d "${TMPDIR:-/tmp}/mvtep-demo.XXXXXX")
cleanup() { "$MVTEP" sandbox down --dir "$DIR" >/dev/null 2>&1 || true; rm -rf "$DIR"; }
trap cleanup EXIT INT TERM
eval "$("$MVTEP" sandbox up --dir "$DIR")"
"$MVTEP" watch
