/* ingest.h: one syslog message in, from any transport. */
#ifndef CAIRN_INGEST_H
#define CAIRN_INGEST_H

#include <stddef.h>
#include <stdint.h>

enum {
	INGEST_NOWAIT,	/* queue full: drop and count (UDP) */
	INGEST_BLOCK,	/* queue full: wait for room (TCP, TLS) */
	INGEST_WAIT	/* wait for the commit itself (RELP acknowledges after) */
};

/* Parses, validates and queues one message from peer; source names the
 * authenticated origin.  With INGEST_WAIT returns the commit's result. */
int	syslog_ingest(const uint8_t *, size_t, const char *peer,
	    const char *source, int trusted, int mode);

#endif
