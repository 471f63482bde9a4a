# SPDX-License-Identifier: GPL-2.0
#
# libxt_SOCKMI.so, the iptables and ip6tables extension of the SOCKMI
# target, and its manual page; included by userland/Makefile, whose
# variables (CC, flags, Q, PREFIX, DESTDIR...) it uses.
#
#   iptables/libxt_SOCKMI.so   iptables loads it from $(XTLIBDIR), or from
#                              the directories in XTABLES_LIBDIR (tests)
#   iptables/libxt_SOCKMI.t    rule -> expected iptables-save line, run by
#                              tests/netns/xt_sockmi.sh in the VM
#
# make install adds $(XTLIBDIR)/libxt_SOCKMI.so and man8/xt_SOCKMI.8.

XT_PKG := xtables
ifneq ($(filter-out clean uninstall xt-clean xt-uninstall,$(or $(MAKECMDGOALS),all)),)
ifneq ($(shell $(PKG_CONFIG) --exists $(XT_PKG) && echo ok),ok)
$(error missing library: $(XT_PKG) (Debian: apt-get install libxtables-dev))
endif
endif
XTLIBDIR ?= $(shell $(PKG_CONFIG) --variable=xtlibdir $(XT_PKG))
XT_SO := iptables/libxt_SOCKMI.so
XT_MAN8 := man/xt_SOCKMI.8

# Not linked against libxtables: iptables provides its symbols on load.
$(XT_SO): iptables/libxt_SOCKMI.c $(UAPI)/linux/netfilter/xt_SOCKMI.h \
		Makefile iptables/iptables.mk
	$(quiet) CC $@
	$(Q)$(CC) $(SOCKMI_CPPFLAGS) $(shell $(PKG_CONFIG) --cflags $(XT_PKG)) \
		$(CPPFLAGS) $(SOCKMI_CFLAGS) $(CFLAGS) -fPIC -shared $(LDFLAGS) \
		-o $@ $<

xt-install: $(XT_SO)
	$(INSTALL) -d $(DESTDIR)$(XTLIBDIR) $(DESTDIR)$(MANDIR)/man8
	$(INSTALL) -m 0644 $(XT_SO) $(DESTDIR)$(XTLIBDIR)/
	$(INSTALL) -m 0644 $(XT_MAN8) $(DESTDIR)$(MANDIR)/man8/

xt-uninstall:
	rm -f $(DESTDIR)$(XTLIBDIR)/libxt_SOCKMI.so \
		$(DESTDIR)$(MANDIR)/man8/xt_SOCKMI.8

xt-clean:
	rm -f $(XT_SO)

all: $(XT_SO)
install: xt-install
uninstall: xt-uninstall
clean: xt-clean

.PHONY: xt-install xt-uninstall xt-clean
