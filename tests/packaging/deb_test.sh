#!/usr/bin/env bash
# The Debian package, end to end: `cmake --install` into a scratch root lays out what the package
# holds; `cpack -G DEB` builds the .deb with its shared-library dependencies; lintian finds no error
# or warning (what remains is overridden in packaging/debian/lintian-overrides, with the reason);
# `dpkg -i` installs it on this machine (the maintainer script creates the jupiter user and its
# folders), the installed `jupiter` runs, the installed units pass `systemd-analyze verify`, the
# jupiter user can create the cluster's keys (0600) with the installed configuration, and
# `dpkg --purge` takes it all away again. Needs root (dpkg -i); skipped (exit 77) otherwise.
# Usage: deb_test.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)

skip() { echo "SKIPPED: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "installing a package needs root (run the suite as root, as CI does)"
for tool in cpack dpkg dpkg-deb lintian systemd-analyze adduser; do
  command -v "$tool" >/dev/null || skip "$tool is not installed (scripts/setup.sh installs it)"
done
if dpkg-query -W -f='${Status}' jupiter 2>/dev/null | grep -q "install ok installed"; then
  skip "a jupiter package is already installed on this machine; this test will not replace it"
fi

work=$(mktemp -d /tmp/jupiter-deb-test.XXXXXX)
had_user=0
getent passwd jupiter >/dev/null && had_user=1
cleanup() {
  dpkg --purge jupiter >/dev/null 2>&1 || true
  if [ "$had_user" -eq 0 ] && getent passwd jupiter >/dev/null; then
    deluser --system jupiter >/dev/null 2>&1 || true
    rm -rf /var/lib/jupiter
  fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAILED: $*"; exit 1; }

echo "== cmake --install into a scratch root"
DESTDIR="$work/root" cmake --install "$build" >/dev/null
for f in usr/bin/jupiter usr/bin/jupiter-query usr/bin/jupiter-command etc/jupiter/jupiter.toml \
         lib/systemd/system/jupiter-query@.service lib/systemd/system/jupiter.target etc/logrotate.d/jupiter \
         usr/share/man/man1/jupiter.1.gz usr/share/doc/jupiter/copyright usr/share/jupiter/grafana/jupiter-dashboard.json; do
  [ -e "$work/root/$f" ] || fail "cmake --install did not lay out /$f"
done
"$work/root/usr/bin/jupiter" --help >/dev/null || fail "the installed-tree jupiter does not run"

echo "== cpack -G DEB"
cpack -G DEB -B "$work/pkg" --config "$build/CPackConfig.cmake" >/dev/null
deb=$(ls "$work"/pkg/jupiter_*.deb)
dpkg-deb -f "$deb" Depends | tee "$work/depends"
grep -q 'libzmq5' "$work/depends" || fail "Depends lacks libzmq5 (shlibdeps)"
grep -q 'librocksdb' "$work/depends" || fail "Depends lacks librocksdb (shlibdeps)"
grep -q 'adduser' "$work/depends" || fail "Depends lacks adduser (the maintainer script uses it)"
dpkg-deb -c "$deb" >"$work/contents"
grep -q ' ./usr/bin/jupiter-gateway$' "$work/contents" || fail "the package has no /usr/bin/jupiter-gateway"
for f in usr/include/jupiter/client.hpp 'usr/lib/.*/libjupiter-client.so.0' 'usr/lib/.*/pkgconfig/jupiter-client.pc' \
         'usr/lib/.*/cmake/JupiterClient/JupiterClientConfig.cmake'; do
  grep -q " ./$f" "$work/contents" || fail "the package has no /$f (the C++ client library)"
done

echo "== lintian"
lintian_rc=0
lintian --fail-on error,warning --tag-display-limit 0 "$deb" >"$work/lintian.txt" 2>&1 || lintian_rc=$?
grep -v 'running with root privileges' "$work/lintian.txt" || true
[ "$lintian_rc" -eq 0 ] || fail "lintian reports errors or warnings (above)"

echo "== dpkg -i"
dpkg -i "$deb" >/dev/null
/usr/bin/jupiter --help >/dev/null || fail "the installed jupiter does not run"
getent passwd jupiter >/dev/null || fail "postinst did not create the jupiter user"
[ "$(stat -c %U /var/lib/jupiter)" = jupiter ] || fail "/var/lib/jupiter is not the jupiter user's"
[ "$(stat -c %U /var/log/jupiter)" = jupiter ] || fail "/var/log/jupiter is not the jupiter user's"
[ "$(stat -c %a /var/lib/jupiter)" = 700 ] || fail "/var/lib/jupiter is not private (0700)"
grep -qx /etc/jupiter/jupiter.toml /var/lib/dpkg/info/jupiter.conffiles || fail "jupiter.toml is not a conffile"

echo "== systemd-analyze verify"
units=(/lib/systemd/system/jupiter.target /lib/systemd/system/jupiter-keys.service)
for role in broker command query monitor gateway; do
  # A template is verified through an instance: the node's name.
  ln -sf "/lib/systemd/system/jupiter-$role@.service" "$work/jupiter-$role@$role-1.service"
  units+=("$work/jupiter-$role@$role-1.service")
done
# It only warns about an unknown or misspelled directive: any output at all is a failure.
systemd-analyze verify --man=no "${units[@]}" >"$work/verify" 2>&1 || { cat "$work/verify"; fail "systemd-analyze verify refused the units"; }
[ ! -s "$work/verify" ] || { cat "$work/verify"; fail "systemd-analyze verify has remarks on the units"; }

echo "== the installed configuration, used as the units use it"
runuser -u jupiter -- /usr/bin/jupiter --dir /var/lib/jupiter config >"$work/config"
grep -q 'logs_dir = "/var/log/jupiter"' "$work/config" || fail "jupiter --dir /var/lib/jupiter does not find /etc/jupiter/jupiter.toml"
runuser -u jupiter -- /usr/bin/jupiter --dir /var/lib/jupiter keys
[ "$(stat -c %a /var/lib/jupiter/keys/query-1.key_secret)" = 600 ] || fail "a node's secret key is not 0600"
[ "$(stat -c %U /var/lib/jupiter/keys/admin.key_secret)" = jupiter ] || fail "the admin key is not the jupiter user's"

echo "== dpkg --purge"
dpkg --purge jupiter >/dev/null
[ ! -e /usr/bin/jupiter ] || fail "/usr/bin/jupiter is still there after purge"
[ ! -e /var/log/jupiter ] || fail "/var/log/jupiter is still there after purge"
[ -d /var/lib/jupiter/keys ] || fail "purge removed the cluster's data and keys (they are kept on purpose)"
echo "OK"
