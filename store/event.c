/* event.c: turning a sender's JSON into a prepared, canonical event. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "catalog.h"
#include "cjson.h"
#include "internal.h"

#define MAX_SOURCE	256
#define MAX_EVENT	(64 * 1024)	/* one event's JSON, as sent */

static void
seterr(struct cairn_verr *errs, size_t maxerr, size_t *nerr, const char *field,
    const char *rule, const char *msg)
{
	if (nerr != NULL)
		*nerr = 1;
	if (errs == NULL || maxerr == 0)
		return;
	snprintf(errs[0].field, sizeof errs[0].field, "%s", field);
	snprintf(errs[0].rule, sizeof errs[0].rule, "%s", rule);
	snprintf(errs[0].msg, sizeof errs[0].msg, "%s", msg);
}

/* Copies a string member of ev, or NULL when absent. */
static int
dupmember(json_t *ev, const char *key, char **out)
{
	json_t *v;

	*out = NULL;
	if ((v = json_object_get(ev, key)) == NULL || !json_is_string(v))
		return 0;
	if ((*out = strdup(json_string_value(v))) == NULL)
		return CAIRN_ENOMEM;
	return 0;
}

/* Prepares an already parsed event; takes ownership of ev. */
static int
prepare(const struct cairn_catalog *cat, const char *source, json_t *ev,
    int flags, cairn_event **out, struct cairn_verr *errs, size_t maxerr,
    size_t *nerr)
{
	struct cairn_buf sent = { 0 };
	cairn_event *e = NULL;
	const char *stream;
	int rc, vflags;

	if (!json_is_object(ev)) {
		json_decref(ev);
		seterr(errs, maxerr, nerr, "", "type", "an event is a JSON object");
		return CAIRN_EVALIDATE;
	}
	if ((e = calloc(1, sizeof *e)) == NULL) {
		rc = CAIRN_ENOMEM;
		goto fail;
	}
	/* event_sha256 is over the event as sent, canonicalised (DESIGN.md).
	 * Room for a typical event at once: growing from nothing reallocated
	 * the buffer twice or three times an event. */
	if ((rc = cairn_buf_reserve(&sent, 1024)) != 0 ||
	    (rc = cairn_cjson_encode(ev, &sent)) != 0)
		goto fail;
	cairn_sha256(sent.p, sent.len, e->sha);
	vflags = (flags & CAIRN_EVENT_SYSTEM) ? CAIRN_VALIDATE_SYSTEM : 0;
	if ((rc = cairn_catalog_validate(cat, ev, vflags, &stream, errs, maxerr,
	    nerr)) != 0)
		goto fail;
	if ((e->stream = cairn_stream_index(stream)) < 0) {
		rc = CAIRN_EINVAL;
		goto fail;
	}
	/* The normalised event: as sent, times in UTC and "tz" added. */
	if ((rc = cairn_buf_reserve(&e->canon, sent.len + 64)) != 0 ||
	    (rc = cairn_cjson_encode(ev, &e->canon)) != 0)
		goto fail;
	if ((e->source = strdup(source)) == NULL) {
		rc = CAIRN_ENOMEM;
		goto fail;
	}
	/* The stored entry's room, taken here on the sender's thread: the
	 * writer thread allocating it contended with the senders freeing their
	 * events for malloc's locks, and the writer bounds the ingest rate. */
	if ((rc = cairn_buf_reserve(&e->entry, CAIRN_ENTRY_ROOM(e))) != 0)
		goto fail;
	if ((rc = dupmember(ev, "id", &e->id)) != 0 ||
	    (rc = dupmember(ev, "account", &e->account)) != 0)
		goto fail;
	cairn_buf_free(&sent);
	json_decref(ev);
	*out = e;
	return 0;
fail:
	cairn_buf_free(&sent);
	json_decref(ev);
	cairn_event_free(e);
	return rc;
}

/* Checks the source name every event carries. */
static int
source_ok(const char *source, struct cairn_verr *errs, size_t maxerr,
    size_t *nerr)
{
	if (source == NULL || *source == '\0' || strlen(source) > MAX_SOURCE ||
	    !cairn_utf8_valid((const uint8_t *)source, strlen(source))) {
		seterr(errs, maxerr, nerr, "", "source", "invalid source name");
		return 0;
	}
	return 1;
}

int
cairn_event_prepare(const struct cairn_catalog *cat, const char *source,
    const uint8_t *json, size_t len, int flags, cairn_event **out,
    struct cairn_verr *errs, size_t maxerr, size_t *nerr)
{
	json_t *ev = NULL;
	char msg[160];
	int rc;

	*out = NULL;
	if (nerr != NULL)
		*nerr = 0;
	if (!source_ok(source, errs, maxerr, nerr))
		return CAIRN_EINVAL;
	if (len > MAX_EVENT) {
		seterr(errs, maxerr, nerr, "", "max_length",
		    "event larger than 65536 bytes");
		return CAIRN_ETOOBIG;
	}
	if ((rc = cairn_json_parse(json, len, &ev, msg, sizeof msg)) != 0) {
		seterr(errs, maxerr, nerr, "", rc == CAIRN_EUTF8 ? "utf8" : "json",
		    msg);
		return rc;
	}
	return prepare(cat, source, ev, flags, out, errs, maxerr, nerr);
}

int
cairn_event_prepare_json(const struct cairn_catalog *cat, const char *source,
    json_t *ev, int flags, cairn_event **out, struct cairn_verr *errs,
    size_t maxerr, size_t *nerr)
{
	*out = NULL;
	if (nerr != NULL)
		*nerr = 0;
	if (!source_ok(source, errs, maxerr, nerr)) {
		json_decref(ev);
		return CAIRN_EINVAL;
	}
	return prepare(cat, source, ev, flags, out, errs, maxerr, nerr);
}

void
cairn_event_free(cairn_event *e)
{
	if (e == NULL)
		return;
	free(e->source);
	free(e->id);
	free(e->account);
	cairn_buf_free(&e->canon);
	cairn_buf_free(&e->entry);
	free(e);
}

const char *
cairn_event_id(const cairn_event *e)
{
	return e->id;
}

const char *
cairn_event_stream(const cairn_event *e)
{
	return cairn_stream_names[e->stream];
}

int
cairn_event_entry(const cairn_event *e, const uint8_t **p, size_t *len)
{
	if (e->entry.len == 0)
		return CAIRN_ENOTFOUND;
	*p = e->entry.p;
	*len = e->entry.len;
	return 0;
}
