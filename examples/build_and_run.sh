#!/bin/sh
# build_and_run.sh BUILD_DIR — install the build into a scratch prefix,
# build examples/session_demo against it with find_package(preflight) and
# with pkg-config, and run both.
set -eu
build=$1
src=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
# No build tree or sources on the example's paths: only the install.
cmake -S "$src" -B "$tmp/ex" -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/ex" >/dev/null
libdir=$(ls -d "$tmp/prefix"/lib*/ | head -1)
PKG_CONFIG_PATH="$libdir/pkgconfig" cc -std=c11 -Wall -Wextra -Werror \
  $(PKG_CONFIG_PATH="$libdir/pkgconfig" pkg-config --cflags preflight) \
  "$src/session_demo.c" -o "$tmp/demo-pc" \
  $(PKG_CONFIG_PATH="$libdir/pkgconfig" pkg-config --libs preflight)
for exe in "$tmp/ex/session_demo" "$tmp/demo-pc"; do
  LD_LIBRARY_PATH="$libdir" "$exe" "$tmp/prefix/share/sms-preflight" > "$tmp/out"
  grep -q '^batch: 3 rows, .* 1 duplicates$' "$tmp/out" || { cat "$tmp/out"; exit 1; }
  grep -q '^send: dry_run, verdict .*POST https://api.us-1.platform.polyai.app/v1/outbound-sms$' "$tmp/out" ||
    { cat "$tmp/out"; exit 1; }
  [ "$(grep -c '"row":' "$tmp/out")" = 3 ] || { cat "$tmp/out"; exit 1; }
  echo "$(basename "$exe"): ok"
done
