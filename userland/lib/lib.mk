# SPDX-License-Identifier: GPL-2.0
#
# libsockmi, its examples and manual pages; included by userland/Makefile,
# whose variables (BUILD, CC, flags, PREFIX, DESTDIR...) it uses.
#
#   lib/libsockmi.so.$(LIB_VERSION)   soname libsockmi.so.$(LIB_SOVERSION),
#                                     only the symbols of lib/libsockmi.map
#   lib/libsockmi.a                   one object, internals localized
#   build/examples/*                  the examples, linked statically
#
# make install adds: $(LIBDIR)/libsockmi.{so*,a}, $(INCLUDEDIR)/sockmi.h,
# $(PKGCONFIGDIR)/sockmi.pc, man pages of sections 3 and 7.

LIB_VERSION := $(shell sed -n 's/^\#define SOCKMI_VERSION "\(.*\)"/\1/p' common/version.h)
LIB_SOVERSION := 0
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig

LIB_SO := lib/libsockmi.so.$(LIB_VERSION)
LIB_SONAME := libsockmi.so.$(LIB_SOVERSION)
LIB_A := lib/libsockmi.a
LIB_PKGS := libnl-genl-3.0
LIB_LIBS = $(shell $(PKG_CONFIG) --libs $(LIB_PKGS))

# Position-independent, internals hidden: for the shared library, the
# static one and sockmictl alike.
LIB_OBJS := $(patsubst %.c,$(BUILD)/pic/%.o,$(wildcard lib/*.c))
LIB_COMMON_OBJS := $(patsubst %,$(BUILD)/pic/common/%.o,nl proto addr)
LIB_ALL_OBJS := $(LIB_OBJS) $(LIB_COMMON_OBJS)

LIB_EXAMPLES := $(patsubst examples/%.c,$(BUILD)/examples/%,$(wildcard examples/*.c))
LIB_MAN3 := $(wildcard man/*.3)
LIB_MAN7 := $(wildcard man/*.7)

$(BUILD)/pic/%.o: %.c Makefile lib/lib.mk
	$(quiet) CC $@
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(SOCKMI_CPPFLAGS) -Ilib $(CPPFLAGS) $(SOCKMI_CFLAGS) $(CFLAGS) \
		-fPIC -fvisibility=hidden $(DEPFLAGS) -c -o $@ $<

$(LIB_SO): $(LIB_ALL_OBJS) lib/libsockmi.map
	$(quiet) LD $@
	$(Q)$(CC) $(LDFLAGS) -shared -Wl,-soname,$(LIB_SONAME) \
		-Wl,--version-script=lib/libsockmi.map -Wl,-z,defs \
		-o $@ $(LIB_ALL_OBJS) $(LIB_LIBS) $(LDLIBS)
	$(Q)ln -sf $(notdir $@) lib/$(LIB_SONAME)
	$(Q)ln -sf $(LIB_SONAME) lib/libsockmi.so

# A relocatable link into one object whose hidden symbols become local, so
# that static users see nothing but the API either.
$(LIB_A): $(LIB_ALL_OBJS)
	$(quiet) AR $@
	$(Q)$(CC) -r -nostdlib -o $(BUILD)/libsockmi-all.o $(LIB_ALL_OBJS)
	$(Q)objcopy --localize-hidden $(BUILD)/libsockmi-all.o
	$(Q)rm -f $@
	$(Q)$(AR) rcs $@ $(BUILD)/libsockmi-all.o

# Built the way a user builds them, but against this tree's static library.
$(BUILD)/examples/%: examples/%.c lib/sockmi.h $(LIB_A)
	$(quiet) CC $@
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -Ilib $(CPPFLAGS) $(SOCKMI_CFLAGS) $(CFLAGS) $(LDFLAGS) \
		-o $@ $< $(LIB_A) $(LIB_LIBS) $(LDLIBS)

lib-all: $(LIB_SO) $(LIB_A) $(LIB_EXAMPLES)

# sockmictl calls the library (import_socket(), the EXPORT request).
sockmictl/sockmictl: $(LIB_OBJS)
$(UNIT_TESTS): $(LIB_OBJS)
$(SOCKMICTL_OBJS) $(TEST_OBJS): SOCKMI_CPPFLAGS += -Ilib

# What the host can check without the kernel modules: the library's
# exported symbols, its soname, and an installation used via pkg-config.
lib-check: lib-all
	@LIB_SO=$(LIB_SO) LIB_A=$(LIB_A) LIB_SONAME=$(LIB_SONAME) \
		MAKE="$(MAKE)" CC="$(CC)" lib/check-install.sh

lib-install: lib-all
	$(INSTALL) -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) \
		$(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(MANDIR)/man3 \
		$(DESTDIR)$(MANDIR)/man7
	$(INSTALL) -m 0755 $(LIB_SO) $(DESTDIR)$(LIBDIR)/
	ln -sf $(notdir $(LIB_SO)) $(DESTDIR)$(LIBDIR)/$(LIB_SONAME)
	ln -sf $(LIB_SONAME) $(DESTDIR)$(LIBDIR)/libsockmi.so
	$(INSTALL) -m 0644 $(LIB_A) $(DESTDIR)$(LIBDIR)/
	$(INSTALL) -m 0644 lib/sockmi.h $(DESTDIR)$(INCLUDEDIR)/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
		-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(LIB_VERSION)|' \
		lib/sockmi.pc.in >$(DESTDIR)$(PKGCONFIGDIR)/sockmi.pc
	$(INSTALL) -m 0644 $(LIB_MAN3) $(DESTDIR)$(MANDIR)/man3/
	$(INSTALL) -m 0644 $(LIB_MAN7) $(DESTDIR)$(MANDIR)/man7/

lib-uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/$(notdir $(LIB_SO)) \
		$(DESTDIR)$(LIBDIR)/$(LIB_SONAME) $(DESTDIR)$(LIBDIR)/libsockmi.so \
		$(DESTDIR)$(LIBDIR)/libsockmi.a $(DESTDIR)$(INCLUDEDIR)/sockmi.h \
		$(DESTDIR)$(PKGCONFIGDIR)/sockmi.pc
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man3/,$(notdir $(LIB_MAN3)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man7/,$(notdir $(LIB_MAN7)))

lib-clean:
	rm -f lib/libsockmi.so* $(LIB_A)

all: lib-all
check: lib-check
install: lib-install
uninstall: lib-uninstall
clean: lib-clean

.PHONY: lib-all lib-check lib-install lib-uninstall lib-clean
.SECONDARY: $(LIB_ALL_OBJS)

-include $(LIB_ALL_OBJS:.o=.d)
