# SPDX-License-Identifier: GPL-2.0
#
# SockMi: build the kernel modules and the userland, test them in a VM.
#
#   make                 modules (W=1) and userland
#   make KDIR=/path      build the modules against another kernel tree
#   make check           the whole test suite inside QEMU (see tests/check)
#   make check-6.12      the same on Debian 13's 6.12 kernel, fetched once
#                        into a cache (docs/kernel-6.12.md)
#   make bench           the benchmarks inside QEMU: a Markdown table, and
#                        bench-out/bench.json (see tests/bench/bench.sh)
#   make vm-shell        a root shell in the test VM with the build loadable
#   make deps            install the Debian packages all of this needs
#   make demo            live migration of a download's server, A->B->C->A
#   make install         modules_install + userland + headers, DESTDIR-aware
#   make lint            checkpatch, W=1 + sparse, cppcheck (tests/lint/run)
#   make lint-6.12       the same against Debian 13's 6.12 headers
#   make fuzz            libFuzzer harnesses + netlink fuzzer in the VM
#   make check-debug     the netns suite on the KASAN/lockdep/kmemleak kernel
#   make stress          1,000 migrations of live streams under netem, alone
#                        in the VM, leaks checked (docs/stress.md)

KVER ?= $(shell uname -r)
# The running kernel's build tree, else the newest Debian amd64 headers.
KDIR ?= $(or $(wildcard /lib/modules/$(KVER)/build), \
	     $(shell ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -n 1))
# The kernel the test VM boots (newest Debian amd64 image) and its headers.
VM_KVER ?= $(shell ls /boot/vmlinuz-*-amd64 2>/dev/null | sed 's|.*/vmlinuz-||' | sort -V | tail -n 1)
VM_KDIR ?= $(or $(wildcard /usr/src/linux-headers-$(VM_KVER)), $(wildcard /lib/modules/$(VM_KVER)/build))

PREFIX ?= /usr/local
DESTDIR ?=
INSTALL_MOD_DIR ?= updates/sockmi

KBUILD = $(MAKE) -C $(KDIR) M=$(CURDIR) W=1

.PHONY: all modules userland check check-build modules_install install \
	headers_install clean deps vm-shell demo help bench lint fuzz check-debug \
	build-6.12 check-6.12 lint-6.12 stress

all: modules userland

modules:
	@test -n "$(KDIR)" -a -d "$(KDIR)" || { \
	  echo "No kernel build tree: apt-get install linux-headers-amd64, or make KDIR=/path/to/build" >&2; exit 1; }
	$(KBUILD) modules

userland:
	$(MAKE) -C userland

modules_install: modules
	$(KBUILD) INSTALL_MOD_DIR=$(INSTALL_MOD_DIR) \
		$(if $(DESTDIR),INSTALL_MOD_PATH=$(DESTDIR)) modules_install

headers_install:
	install -D -m 0644 uapi/linux/sockmi.h $(DESTDIR)$(PREFIX)/include/linux/sockmi.h
	install -D -m 0644 uapi/linux/netfilter/xt_SOCKMI.h \
		$(DESTDIR)$(PREFIX)/include/linux/netfilter/xt_SOCKMI.h

install: modules_install headers_install
	$(MAKE) -C userland install PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)

# The suite boots the kernel the VM runs, so build the modules against it.
check-build:
	@test -n "$(VM_KDIR)" || { \
	  echo "No Debian kernel to test with: run 'make deps' first" >&2; exit 1; }
	$(MAKE) KDIR=$(VM_KDIR) all
	$(MAKE) -C tests/vm/warn_test KDIR=$(VM_KDIR)

check: check-build
	KVER=$(VM_KVER) KDIR=$(VM_KDIR) tests/check

# Debian 13's 6.12: tests/vm/kernel-6.12 downloads and unpacks it once in
# its cache (nothing is installed), then the same build and suite.
K612 = tests/vm/kernel-6.12
build-6.12:
	$(K612) fetch >/dev/null
	$(MAKE) check-build VM_KVER=$$($(K612) kver) VM_KDIR=$$($(K612) kdir)

check-6.12:
	$(K612) fetch >/dev/null
	$(MAKE) check VM_KVER=$$($(K612) kver) VM_KDIR=$$($(K612) kdir)

# Tools built here, run in one VM boot; the table on stdout, the JSON in
# bench-out/ (BENCH_OUT is the guest's path, the tree is shared).
BENCH_BIN := tests/bench/build
BENCH_CFLAGS := -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -Iuapi
bench: check-build
	@mkdir -p $(BENCH_BIN)
	$(CC) $(BENCH_CFLAGS) -o $(BENCH_BIN)/sockmi-bench tests/bench/sockmi-bench.c -lpthread
	$(CC) $(BENCH_CFLAGS) -o $(BENCH_BIN)/criu-holder tests/bench/criu-holder.c
	$(CC) $(BENCH_CFLAGS) -o $(BENCH_BIN)/tcpblast tests/bench/tcpblast.c
	tests/vm/run --kver $(VM_KVER) --timeout 1500 -- tests/bench/bench.sh

vm-shell: check-build
	tests/vm/run --kver $(VM_KVER) --shell

deps:
	./install-deps

# Static analysis; about a minute, so not part of make check.
lint:
	KDIR=$(VM_KDIR) tests/lint/run

# The same with the modules built (W=1, sparse) against 6.12's headers.
lint-6.12:
	$(K612) fetch >/dev/null
	KDIR=$$($(K612) kdir) tests/lint/run

# docs/fuzzing.md: FUZZ_TIME seconds per parser, then FUZZ_NL_ITER
# netlink messages inside the VM around live connections.
FUZZ_TIME ?= 20
FUZZ_NL_ITER ?= 20000
fuzz: check-build
	$(MAKE) -C tests/fuzz run FUZZ_TIME=$(FUZZ_TIME)
	tests/vm/run --kver $(VM_KVER) -e FUZZ_NL_ITER=$(FUZZ_NL_ITER) -e NETNS_FILE_TIMEOUT=14400 \
		-e FUZZ_NL_BYTES=4000000 -- tests/run-netns tests/netns/fuzz.sh

# docs/debug-kernel.md: builds the kernel first if needed (long), and the
# modules against it; not in make check or .ci/run.
check-debug: userland
	tests/vm/debug-kernel check $(TESTS)

# docs/stress.md: tests/netns/stress.sh with STRESS_MIGRATIONS migrations
# (make check runs it with 150), alone in one VM boot so that its
# kernel-wide memory checks are not skipped.
STRESS_MIGRATIONS ?= 1000
stress: check-build
	tests/vm/run --kver $(VM_KVER) --timeout 5400 \
		-e STRESS_MIGRATIONS=$(STRESS_MIGRATIONS) -e STRESS_TIMEOUT=5000 \
		-e NETNS_FILE_TIMEOUT=5200 \
		-e STRESS_LOG_DIR=$(CURDIR)/stress-out -- \
		tests/run-netns tests/netns/modules.sh tests/netns/stress.sh

# The packages first (VM_KVER may name no kernel before), then the build
# the VM loads, then one VM run: see demo/run.
demo:
	./install-deps
	$(MAKE) -s --no-print-directory check-build
	demo/run

clean:
	@if [ -n "$(KDIR)" ] && [ -d "$(KDIR)" ]; then $(KBUILD) clean; fi
	$(MAKE) -C userland clean
	$(MAKE) -C tests/vm/warn_test clean KDIR=$(KDIR)

help:
	@sed -n '3,/^$$/p' Makefile | sed -e '/^$$/d' -e 's/^# \{0,1\}//'
