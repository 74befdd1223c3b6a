#!/usr/bin/env bash
# The installed C++ client library, used as a stranger would: `cmake --install --component client`
# into a scratch prefix, then the out-of-tree example (examples/client) built against those files
# alone, once with CMake (find_package(JupiterClient)) and once with pkg-config.
# Usage: client_library_test.sh BUILD_DIR OUT_DIR; the two programs are OUT_DIR/cmake-example and
# OUT_DIR/pkgconfig-example (each runs against a cluster: tests/integration/client_library_test.cpp).
# JUPITER_EXAMPLE_FLAGS: compiler and linker flags for the examples (a program that loads a library
# built with the sanitizers must itself be built with them, or ASan aborts it); CXX: the compiler
# (c++ when unset; the library's own, since each compiler's sanitizers have their own runtime).
set -euo pipefail
build=$(cd "$1" && pwd)
out=$2
src=$(cd "$(dirname "$0")/../.." && pwd)
flags=${JUPITER_EXAMPLE_FLAGS:-}
mkdir -p "$out"
prefix="$out/prefix"
cmake --install "$build" --component client --prefix "$prefix" >/dev/null
for f in include/jupiter/client.hpp; do [ -e "$prefix/$f" ] || { echo "FAILED: no $f installed"; exit 1; }; done
lib=$(find "$prefix" -name 'libjupiter-client.so.0' | head -1)
[ -n "$lib" ] || { echo "FAILED: no libjupiter-client.so.0 installed"; exit 1; }
# Only jupiter::client is exported (the internal libraries linked in stay hidden).
if nm -D --defined-only "$lib" | c++filt | grep ' T ' | grep -v 'jupiter::client::' | grep -q 'jupiter::'; then
  echo "FAILED: the library exports internal symbols:"; nm -D --defined-only "$lib" | c++filt | grep 'jupiter::' | grep -v 'jupiter::client::' | head
  exit 1
fi

cmake -S "$src/examples/client" -B "$out/cmake-build" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="$flags" >/dev/null
ninja -C "$out/cmake-build" >/dev/null
cp "$out/cmake-build/jupiter-client-example" "$out/cmake-example"

pc=$(dirname "$(find "$prefix" -name jupiter-client.pc | head -1)")
# shellcheck disable=SC2046,SC2086
${CXX:-c++} -std=c++20 -O1 $flags -o "$out/pkgconfig-example" "$src/examples/client/main.cpp" \
  $(PKG_CONFIG_PATH="$pc" pkg-config --cflags --libs jupiter-client) -Wl,-rpath,"$(dirname "$lib")"
echo "built against $prefix: $out/cmake-example $out/pkgconfig-example"
