#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host checks of libsockmi as it is shipped, run by `make -C userland check`
# (lib/lib.mk passes LIB_SO, LIB_A, LIB_SONAME, MAKE and CC): the symbols it
# exports, its soname, `make lib-install` into a DESTDIR, programs built from
# the installed header and `pkg-config sockmi` alone (shared and static),
# the examples' Makefile, the man pages, `make lib-uninstall`. TAP-like output.
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1
SUITE=libsockmi-install
failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { echo "ok - $SUITE: $*"; }
not_ok() { echo "not ok - $SUITE: $*"; failed=1; }
# check "what" CMD...: passes if CMD succeeds; shows its output if not.
check() {
	local what=$1 out
	shift
	if out=$("$@" 2>&1); then
		ok "$what"
	else
		not_ok "$what"
		printf '%s\n' "$out" | sed 's/^/#   /' | head -n 20
	fi
}
# expect "what" GOT WANT
expect() {
	if [[ $2 == "$3" ]]; then
		ok "$1"
	else
		not_ok "$1"
		printf '#   got:      %s\n#   expected: %s\n' "$2" "$3"
	fi
}

api="export_socket import_socket sockmi_last_error sockmi_strerror"

expect "the shared library exports the API and nothing else" \
	"$(nm -D --defined-only "$LIB_SO" | awk '$2 == "T" { sub(/@.*/, "", $3); print $3 }' | sort | xargs)" \
	"$api"
expect "every exported symbol is versioned SOCKMI_0.1" \
	"$(nm -D --defined-only "$LIB_SO" | awk '$2 == "T" && $3 !~ /@@SOCKMI_0\.1$/' | wc -l)" "0"
expect "soname is $LIB_SONAME" \
	"$(readelf -d "$LIB_SO" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')" "$LIB_SONAME"
expect "the static library defines the API and nothing else" \
	"$(nm --defined-only -g "$LIB_A" | awk 'NF == 3 { print $3 }' | sort | xargs)" \
	"$api"

dest=$tmp/dest
check "make lib-install DESTDIR=... PREFIX=/usr" \
	$MAKE -s lib-install DESTDIR="$dest" PREFIX=/usr
for f in /usr/lib/libsockmi.so.0 /usr/lib/libsockmi.so /usr/lib/libsockmi.a \
	/usr/include/sockmi.h /usr/lib/pkgconfig/sockmi.pc \
	/usr/share/man/man3/import_socket.3 /usr/share/man/man3/export_socket.3 \
	/usr/share/man/man3/sockmi_strerror.3 /usr/share/man/man3/sockmi_last_error.3 \
	/usr/share/man/man7/sockmi.7; do
	check "installed $f" test -e "$dest$f"
done
expect "sockmi.pc names the installed prefix" \
	"$(sed -n 's/^prefix=//p' "$dest/usr/lib/pkgconfig/sockmi.pc")" "/usr"

# Build as a user would: the installed header and pkg-config, nothing else.
export PKG_CONFIG_PATH=$dest/usr/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$dest
cat >"$tmp/smoke.c" <<'EOF'
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sockmi.h>

int main(void)
{
	struct import_req req = { .fd = -1, .states = SOCKMI_CONNECTED };

	/* Both fail before talking to the kernel. */
	if (import_socket(&req, 1, 0) != -1 || errno != EBADF ||
	    !strstr(sockmi_last_error(), "reqs[0]"))
		return 1;
	if (export_socket(-1, 0, AF_UNIX, "") != -1 || errno != EAFNOSUPPORT)
		return 2;
	if (!*sockmi_strerror(ENOENT))
		return 3;
	puts("smoke ok");
	return 0;
}
EOF
check "pkg-config sockmi --cflags --libs" pkg-config --exists sockmi
# shellcheck disable=SC2046
check "a program builds from the installed header, shared" \
	$CC -std=c11 -Wall -Wextra -Werror -o "$tmp/smoke" "$tmp/smoke.c" \
	$(pkg-config --cflags --libs sockmi)
check "it runs with the installed libsockmi.so" \
	env LD_LIBRARY_PATH="$dest/usr/lib" "$tmp/smoke"
expect "it loads the library by its soname" \
	"$(readelf -d "$tmp/smoke" | sed -n 's/.*Shared library: \[\(libsockmi[^]]*\)\]/\1/p')" \
	"$LIB_SONAME"
# shellcheck disable=SC2046
check "a program builds from the installed header, static" \
	$CC -std=c11 -Wall -Wextra -Werror -o "$tmp/smoke-static" "$tmp/smoke.c" \
	$(pkg-config --cflags sockmi) -L"$dest/usr/lib" -Wl,-Bstatic -lsockmi \
	-Wl,-Bdynamic $(pkg-config --static --libs-only-l sockmi | sed 's/-lsockmi//')
check "it runs without libsockmi.so" "$tmp/smoke-static"
expect "it does not load libsockmi.so" \
	"$(readelf -d "$tmp/smoke-static" | grep -c libsockmi)" "0"
mkdir "$tmp/ex"
check "the examples build with their Makefile and pkg-config" \
	$MAKE -s -C examples OUT="$tmp/ex" CFLAGS="-O2 -Wall -Wextra -Werror"
unset PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR

for page in man/*.[378]; do
	if [[ $(head -c 4 "$page") == ".so " ]]; then
		continue
	fi
	out=$(MANWIDTH=80 LC_ALL=C.UTF-8 man --warnings -l "$page" 2>&1 >/dev/null)
	expect "man --warnings -l $page: no warnings" "$out" ""
done

check "make lib-uninstall" $MAKE -s lib-uninstall DESTDIR="$dest" PREFIX=/usr
expect "make lib-uninstall leaves no file behind" \
	"$(find "$dest" -not -type d | sed "s|^$dest||" | xargs)" ""

exit $failed
