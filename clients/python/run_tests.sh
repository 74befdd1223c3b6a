#!/bin/bash
# Runs the Python client's tests against a real cluster (started and stopped by the tests
# themselves, in a temporary folder, on free loopback ports). CI calls this.
#   clients/python/run_tests.sh [pytest args]          e.g. -k failover, -x
# The binaries: $JUPITER_BIN_DIR (default: the repository's build/bin).
# Needs Debian's python3-zmq, python3-msgpack and python3-pytest (apt-get install -y ...).
set -u
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
# Debian's interpreter (the one python3-zmq and python3-msgpack are installed for), not a pyenv shim.
py="${PYTHON:-/usr/bin/python3}"
[ -x "$py" ] || py="$(command -v python3)"
if ! "$py" -c 'import zmq, msgpack, pytest' 2>/dev/null; then
    echo "run_tests.sh: $py lacks zmq, msgpack or pytest: apt-get install -y python3-zmq python3-msgpack python3-pytest" >&2
    exit 2
fi
export JUPITER_BIN_DIR="${JUPITER_BIN_DIR:-$repo/build/bin}"
export PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONDONTWRITEBYTECODE=1
cd "$repo"
# No cache folder in the repository; the tests bound their own time (SIGALRM), no plugin needed.
"$py" -m pytest -q -p no:cacheprovider clients/python/tests "$@"
rc=$?
if [ "$rc" -eq 5 ]; then
    echo "run_tests.sh: pytest collected no tests: that is a failure" >&2
    exit 1
fi
exit "$rc"
