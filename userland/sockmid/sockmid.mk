# SPDX-License-Identifier: GPL-2.0
#
# sockmid, its unit tests and its systemd unit; included by
# userland/Makefile, whose variables (BUILD, flags, PREFIX, DESTDIR...) it
# uses.
#
#   sockmid/sockmid                   the daemon
#   build/tests/test_sockmid_*        its unit tests, run by make check
#
# make install adds $(SBINDIR)/sockmid, man8/sockmid.8 and
# $(UNITDIR)/sockmid.service.

UNITDIR ?= $(PREFIX)/lib/systemd/system

SOCKMID_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(wildcard sockmid/*.c))
SOCKMID_MAN8 := man/sockmid.8

sockmid/sockmid: $(SOCKMID_OBJS) $(COMMON_OBJS)
	$(quiet) LD $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(LDLIBS)

# Each unit test links the pieces it tests, not the daemon.
$(BUILD)/tests/test_sockmid_config: $(BUILD)/sockmid/config.o
$(BUILD)/tests/test_sockmid_wire: $(BUILD)/sockmid/wire.o \
	$(BUILD)/sockmid/replay.o $(BUILD)/sockmid/kernel.o
$(BUILD)/tests/test_sockmid_fsm: $(BUILD)/sockmid/fsm.o
$(filter $(BUILD)/tests/test_sockmid_%,$(TEST_OBJS)): SOCKMI_CPPFLAGS += -Isockmid

sockmid-all: sockmid/sockmid

sockmid-install: sockmid-all
	$(INSTALL) -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(UNITDIR)
	$(INSTALL) -m 0755 sockmid/sockmid $(DESTDIR)$(SBINDIR)/
	$(INSTALL) -m 0644 $(SOCKMID_MAN8) $(DESTDIR)$(MANDIR)/man8/
	sed 's|@SBINDIR@|$(SBINDIR)|g' sockmid/sockmid.service.in \
		>$(DESTDIR)$(UNITDIR)/sockmid.service

sockmid-uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/sockmid $(DESTDIR)$(MANDIR)/man8/sockmid.8 \
		$(DESTDIR)$(UNITDIR)/sockmid.service

sockmid-clean:
	rm -f sockmid/sockmid

all: sockmid-all
install: sockmid-install
uninstall: sockmid-uninstall
clean: sockmid-clean

.PHONY: sockmid-all sockmid-install sockmid-uninstall sockmid-clean

-include $(SOCKMID_OBJS:.o=.d)
