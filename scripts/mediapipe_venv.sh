#!/usr/bin/env bash
# Make sure .venv-mediapipe holds MediaPipe Tasks, pinned, in its own environment: its pins
# (opencv-contrib-python, flatbuffers ~= 25.9, ...) need not agree with TensorFlow's, and the tests only
# talk to it through a child process (tests/converters/mediapipe_segment.py).
# Prints the venv's python on success; exits 3 when PyPI cannot be reached (the tests then skip).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${EDGE_DEEPLAB_MEDIAPIPE_VENV:-$repo/.venv-mediapipe}"
requirement="$repo/tests/converters/mediapipe-requirements.txt"
stamp="$venv/.installed"
if [ -f "$stamp" ] && [ ! "$requirement" -nt "$stamp" ] && "$venv/bin/python" -c "import mediapipe" 2>/dev/null; then
    echo "$venv/bin/python"
    exit 0
fi
[ -x "$venv/bin/python" ] || python3 -m venv "$venv" >&2
if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --timeout 30 --retries 1 \
        -r "$requirement" >&2; then
    echo "pip could not install $(tr '\n' ' ' < "$requirement")into $venv (is PyPI reachable?)" >&2
    exit 3
fi
touch "$stamp"
echo "$venv/bin/python"
