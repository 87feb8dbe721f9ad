#!/bin/sh
# Installs the build into a scratch prefix and builds the README's example
# against it through pkg-config, as a user of the library would.
#   install_pkgconfig.sh BUILD_DIR C_COMPILER
set -eu
build=$1
cc=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
pc=$(find "$tmp/prefix" -name loopcompat.pc)
[ -n "$pc" ] || { echo "install_pkgconfig: no loopcompat.pc installed" >&2; exit 1; }
cat > "$tmp/app.c" <<'C'
#include <stdio.h>
#include <loopcompat/loopcompat.h>

static void hello(lc_loop *loop, void *arg) { puts(arg); lc_loop_stop(loop); }

int main(void)
{
    lc_loop *loop;
    if (lc_loop_new(&loop, NULL) < 0)
        return 1;
    lc_timer t = {0};
    lc_call_later(loop, &t, 1000000, hello, "one millisecond later");
    lc_loop_run(loop);
    lc_loop_free(loop);
    return 0;
}
C
flags=$(PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --cflags --libs loopcompat)
"$cc" -Wall -Wextra -Werror "$tmp/app.c" $flags -o "$tmp/app"
out=$("$tmp/app")
[ "$out" = "one millisecond later" ] || { echo "install_pkgconfig: app printed '$out'" >&2; exit 1; }
echo "install_pkgconfig: built and ran an app against $(basename "$(dirname "$(dirname "$pc")")")/pkgconfig/loopcompat.pc"
