/* internal.h: libcairn's structures shared between its own files. */
#ifndef CAIRN_INTERNAL_H
#define CAIRN_INTERNAL_H

#include <stdio.h>
#include <string.h>

#include "cairn.h"
#include "note.h"
#include "util.h"

struct cairn_event {
	char		*source;
	char		*id;		/* NULL when the event has none */
	char		*account;	/* NULL when the event names none */
	int		 stream;	/* index into cairn_stream_names */
	struct cairn_buf canon;		/* normalised event, canonical JSON */
	uint8_t		 sha[CAIRN_HASH_LEN];	/* event_sha256 */
	struct cairn_buf entry;		/* the stored entry, after append */
};

/* Room for e's stored entry: the envelope adds at most ~450 bytes plus the
 * source (escaped) to the normalised event. */
#define CAIRN_ENTRY_ROOM(e)	((e)->canon.len + 2 * strlen((e)->source) + 512)

/* Index of a stream name, or -1. */
int	cairn_stream_index(const char *);

#endif
