/*
 * catalog.h: the event catalog (schemas/catalog.json) and the validator it
 * drives.  The catalog format is described in schemas/README.md; the rules
 * an event must meet are all in the catalog, none in per-type code.
 */
#ifndef CAIRN_CATALOG_H
#define CAIRN_CATALOG_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "cairn.h"

struct cairn_catalog;

/*
 * The catalog compiled into the library (schemas/catalog.json embedded at
 * build time).  Each call builds a new handle; free it with
 * cairn_catalog_free().  0, CAIRN_EFORMAT or CAIRN_ENOMEM.
 */
int	cairn_catalog_default(struct cairn_catalog **out);

/*
 * Builds a catalog from its JSON text (len bytes, need not be
 * NUL-terminated).  A catalog that is not valid JSON or breaks the format
 * of schemas/README.md is refused with CAIRN_EFORMAT; CAIRN_ENOMEM.
 */
int	cairn_catalog_load(const uint8_t *json, size_t len,
	    struct cairn_catalog **out);

/* Frees a catalog (NULL is a no-op). */
void	cairn_catalog_free(struct cairn_catalog *);

/* One validation error. */
struct cairn_verr {
	char	field[96];	/* JSON path, e.g. "matches[2].score"; "" = event */
	char	rule[32];	/* e.g. "required", "enum", "raw_personal_data" */
	char	msg[160];	/* human-readable detail */
};

/* The event is written by Cairn itself: types of a "cairn" stream allowed. */
#define CAIRN_VALIDATE_SYSTEM	0x1

/*
 * Validates ev against the catalog and, only if it is valid, normalises it
 * in place: every datetime field is rewritten as UTC with 6 fraction digits
 * and "Z", and "tz" is added with the offset "time" was sent with.  On
 * success returns 0 and sets *stream (may be NULL) to the type's stream
 * name: a static string for the seven streams of EVENTS.md, else a string
 * owned by the catalog.  On failure returns CAIRN_EVALIDATE, fills up to
 * maxerr entries of errs (errs may be NULL when maxerr is 0) and sets *nerr
 * (may be NULL) to the number of errors found, which may exceed maxerr;
 * ev is then left unchanged.  CAIRN_ENOMEM if normalising runs out of
 * memory (ev may then be partly normalised).
 */
int	cairn_catalog_validate(const struct cairn_catalog *, json_t *ev,
	    int flags, const char **stream, struct cairn_verr *errs,
	    size_t maxerr, size_t *nerr);

/* Stream of a type name, or NULL if the type is unknown. */
const char *cairn_catalog_stream(const struct cairn_catalog *,
	    const char *type);

/*
 * Type names in byte order (for tools): i from 0; NULL past the end.
 * Strings are owned by the catalog.
 */
const char *cairn_catalog_type_at(const struct cairn_catalog *, size_t i);

/*
 * Kind of JSON value a type's field takes (common fields included): "string",
 * "integer", "boolean", "array" or "object" (a map is an object); NULL if
 * the type or the field is unknown.  Static strings.
 */
const char *cairn_catalog_field_type(const struct cairn_catalog *,
	    const char *type, const char *field);

/* cairn_event_prepare for an event already parsed (strictly: see
 * cairn_json_parse); takes ownership of ev, which validation normalises. */
struct cairn_event;
int	cairn_event_prepare_json(const struct cairn_catalog *, const char *source,
	    json_t *ev, int flags, struct cairn_event **out, struct cairn_verr *errs,
	    size_t maxerr, size_t *nerr);

#endif
