// SPDX-License-Identifier: GPL-2.0
/*
 * Write the seed corpus of fuzz_wire: one valid body of each message type
 * (mode 0: decode) and, sealed, of a few (mode 1), made by the encoder.
 *
 *   wire_seeds DIR
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

static void put(const char *dir, const char *name, uint8_t mode, uint8_t type,
		const uint8_t *buf, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f || fputc(mode, f) == EOF || fputc(type, f) == EOF ||
	    fwrite(buf, 1, len, f) != len || fclose(f)) {
		perror(path);
		exit(1);
	}
}

static struct sockmi_tuple tuple(const char *local, const char *remote)
{
	struct sockmi_tuple t = { 0 };
	const char *why;

	if (sockmi_addr_parse(local, SOCKMI_PORT_REQUIRED, &t.local, &why))
		abort();
	t.family = t.local.family;
	if (remote) {
		if (sockmi_addr_parse(remote, SOCKMI_PORT_REQUIRED, &t.remote, &why))
			abort();
		t.has_remote = true;
	}
	return t;
}

int main(int argc, char *argv[])
{
	static uint8_t body[SOCKMID_RECORD_BODY_MAX];
	static const uint8_t blob[] = "a piece of a checkpoint";
	struct sockmid_msg m[12];
	const char *why;
	char name[64];
	unsigned int i, n = 0;
	int len;

	if (argc != 2) {
		fprintf(stderr, "usage: wire_seeds DIR\n");
		return 2;
	}
	memset(m, 0, sizeof(m));
	m[n].type = SOCKMID_MSG_REQUEST;
	m[n].request.flags = SOCKMID_REQ_TO | SOCKMID_REQ_TAKEOVER;
	m[n].request.tcp_state = 1;
	m[n].request.tuple = tuple("10.0.0.1:80", "10.0.0.9:40000");
	if (sockmi_addr_parse("10.0.0.2", SOCKMI_PORT_FORBIDDEN, &m[n].request.to, &why))
		abort();
	n++;
	m[n].type = SOCKMID_MSG_REQUEST;
	m[n].request.tcp_state = 10;
	m[n].request.tuple = tuple("[2001:db8::1]:443", NULL);
	n++;
	m[n].type = SOCKMID_MSG_OFFER;
	m[n].offer.exporter = 0x1122334455667788ULL;
	m[n].offer.port = 8878;
	m[n].offer.sockets = 12;
	m[n].offer.load = 150;
	n++;
	m[n].type = SOCKMID_MSG_CONFIRM;
	m[n].confirm.winner = 99;
	n++;
	m[n].type = SOCKMID_MSG_META;
	m[n].meta.tcp_state = 8;
	m[n].meta.tuple = tuple("[2001:db8::1]:443", "[2001:db8::9]:50000");
	m[n].meta.len = 4096;
	n++;
	m[n].type = SOCKMID_MSG_DATA;
	m[n].data.data = blob;
	m[n].data.len = sizeof(blob);
	n++;
	m[n].type = SOCKMID_MSG_STAGED;
	m[n].staged.stage_id = 5;
	n++;
	m[n].type = SOCKMID_MSG_REFUSED;
	m[n].result.err = ENOSPC;
	snprintf(m[n].result.text, sizeof(m[n].result.text), "connected list full");
	n++;
	m[n++].type = SOCKMID_MSG_COMMIT;
	m[n].type = SOCKMID_MSG_ABORT;
	m[n].result.err = ETIMEDOUT;
	snprintf(m[n].result.text, sizeof(m[n].result.text), "no answer");
	n++;
	m[n].type = SOCKMID_MSG_DONE;
	n++;

	for (i = 0; i < n; i++) {
		len = sockmid_msg_encode(&m[i], body, sizeof(body));
		if (len < 0) {
			fprintf(stderr, "cannot encode seed %u: %d\n", i, len);
			return 1;
		}
		snprintf(name, sizeof(name), "body-%02u-%s", i,
			 sockmid_msg_name(m[i].type));
		put(argv[1], name, 0, m[i].type, body, (size_t)len);
		/* the same body through seal/open */
		snprintf(name, sizeof(name), "sealed-%02u-%s", i,
			 sockmid_msg_name(m[i].type));
		put(argv[1], name, 1, m[i].type, body, (size_t)len);
	}
	return 0;
}
