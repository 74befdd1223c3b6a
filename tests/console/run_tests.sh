#!/bin/bash
# The console's test in a real headless browser (tests/console/test_console.py), against a real
# cluster it starts and stops itself. CI calls this after the Python client's tests.
#   tests/console/run_tests.sh [pytest args]
# Needs Debian's chromium, chromium-driver and python3-selenium (and what the Python client's tests
# need: python3-zmq, python3-msgpack, python3-pytest). The binaries: $JUPITER_BIN_DIR (default build/bin).
set -u
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
py="${PYTHON:-/usr/bin/python3}"
[ -x "$py" ] || py="$(command -v python3)"
if ! "$py" -c 'import zmq, msgpack, pytest, selenium' 2>/dev/null || ! command -v chromedriver >/dev/null; then
    echo "run_tests.sh: the console test needs: apt-get install -y chromium chromium-driver python3-selenium" \
         "python3-zmq python3-msgpack python3-pytest" >&2
    exit 2
fi
export JUPITER_BIN_DIR="${JUPITER_BIN_DIR:-$repo/build/bin}"
export PYTHONPATH="$repo/clients/python${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONDONTWRITEBYTECODE=1
cd "$repo"
"$py" -m pytest -q -s -p no:cacheprovider tests/console "$@"
rc=$?
if [ "$rc" -eq 5 ]; then
    echo "run_tests.sh: pytest collected no tests: that is a failure" >&2
    exit 1
fi
exit "$rc"
