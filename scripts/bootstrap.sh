#!/bin/sh
# Create the virtual environment and install multivtep with its test tools.
# Debian splits venv support out of python3 (python3-venv); install it when
# missing and we are allowed to.
set -eu
PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}
if ! "$PYTHON" -m venv "$VENV" 2>/dev/null; then
    rm -rf "$VENV"
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
        "$PYTHON" -m venv "$VENV"
    else
        echo "bootstrap: '$PYTHON -m venv' failed; install python3-venv (as root: apt-get install python3-venv)" >&2
        exit 2
    fi
fi
# tmux: the watch view's end-to-end tests drive it in a real terminal.
if ! command -v tmux >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && apt-get install -y -qq tmux >/dev/null || echo "bootstrap: could not install tmux" >&2
fi
for tool in apt-get apt-cache dpkg-deb; do
    command -v "$tool" >/dev/null || { echo "bootstrap: $tool is missing: the sandbox needs Debian's apt and dpkg" >&2; exit 2; }
done
# pip's and setuptools' notices (the "Editable installation" banner among
# them) are shown only when the install fails.
echo "bootstrap: installing multivtep and its test tools into $VENV (a minute or two, once)" >&2
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! { "$VENV/bin/python" -m pip install -q --upgrade pip &&
       "$VENV/bin/python" -m pip install -q -e '.[test]'; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "bootstrap: installing into $VENV failed (pip's output above)" >&2
    exit 2
fi
