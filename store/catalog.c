/*
 * catalog.c: the event catalog and the validator it drives.
 *
 * The catalog (schemas/catalog.json, format in schemas/README.md) is
 * compiled once into a tree of field specs; cairn_catalog_validate() walks
 * an event against that tree.  Nothing here knows about any event type: every
 * per-type rule lives in the catalog.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "catalog.h"
#include "rfc3339.h"
#include "util.h"

/* The catalog embedded at build time (tools/embed.sh). */
extern const unsigned char cairn_catalog_json[];
extern const size_t cairn_catalog_json_len;

/* DESIGN.md "Records": integers are exact in +-2^53. */
#define INT_LIMIT	INT64_C(9007199254740991)
/* Sanity caps on the catalog itself, not on events. */
#define CAT_MAX_LEN	(1024 * 1024)
#define CAT_MAX_REF	8

enum kind {
	K_STRING = 1,
	K_INTEGER,
	K_BOOLEAN,
	K_ARRAY,
	K_OBJECT,
	K_MAP
};

enum fmt {
	F_NONE = 0,
	F_DATETIME,
	F_SHA256HEX,
	F_COUNTRY,
	F_CURRENCY,
	F_CLAUSE,
	F_ACTOR,
	F_BASE64,
	F_SDNAME
};

enum cond {
	C_NONE = 0,
	C_IF,
	C_UNLESS
};

struct field;

struct spec {
	struct spec	*next;		/* the catalog's list of specs */
	enum kind	 kind;
	enum fmt	 fmt;
	size_t		 min;		/* string: code points; array, map: items */
	size_t		 max;
	int64_t		 imin;
	int64_t		 imax;
	json_t		*enums;		/* borrowed from the catalog's JSON */
	struct spec	*items;		/* array items, map values */
	struct spec	*keys;		/* map keys */
	struct field	*fields;	/* object */
	size_t		 nfields;
};

struct field {
	const char	*name;
	struct spec	*spec;
	int		 required;
	enum cond	 cond;
	const char	*cond_field;
	json_t		*cond_value;
};

struct type {
	const char	*name;
	const char	*stream;
	int		 system;
	struct field	*fields;
	size_t		 nfields;
};

struct cairn_catalog {
	json_t		*root;
	json_t		*keep;		/* specs made by resolving "ref" */
	struct spec	*specs;
	struct field	*common;
	size_t		 ncommon;
	struct type	*types;
	size_t		 ntypes;
	size_t		 string_max;
	size_t		 array_max;
	size_t		 depth_max;
};

/* The streams of DESIGN.md, handed out as static strings. */
static const char *const known_streams[] = {
	"realname", "takedown", "screening", "account", "labeling", "system",
	"other"
};

static const struct {
	const char	*name;
	enum fmt	 fmt;
} formats[] = {
	{ "datetime", F_DATETIME },
	{ "sha256hex", F_SHA256HEX },
	{ "country", F_COUNTRY },
	{ "currency", F_CURRENCY },
	{ "clause", F_CLAUSE },
	{ "actor", F_ACTOR },
	{ "base64", F_BASE64 },
	{ "sdname", F_SDNAME },
};

/* ---- loading ---- */

/* Whether key is one of the NULL-terminated list. */
static int
in_list(const char *key, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(key, *list) == 0)
			return 1;
	return 0;
}

/* Refuses an object that has a key outside the allowed list. */
static int
only_keys(json_t *o, const char *const *allowed)
{
	const char *k;
	json_t *v;

	json_object_foreach(o, k, v) {
		if (!in_list(k, allowed))
			return CAIRN_EFORMAT;
	}
	return 0;
}

/* Reads an optional non-negative size; 0 or CAIRN_EFORMAT. */
static int
get_size(json_t *o, const char *key, size_t def, size_t cap, size_t *out)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL) {
		*out = def;
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    (uint64_t)json_integer_value(v) > cap)
		return CAIRN_EFORMAT;
	*out = (size_t)json_integer_value(v);
	return 0;
}

/* Reads an optional integer bound within +-2^53. */
static int
get_int(json_t *o, const char *key, int64_t def, int64_t *out)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL) {
		*out = def;
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < -INT_LIMIT ||
	    json_integer_value(v) > INT_LIMIT)
		return CAIRN_EFORMAT;
	*out = (int64_t)json_integer_value(v);
	return 0;
}

/* Returns the spec j with any "ref" chain resolved against defs. */
static int
resolve_ref(struct cairn_catalog *cat, json_t *j, json_t **out)
{
	json_t *defs, *ref, *base, *merged;
	const char *k;
	json_t *v;
	int depth;

	defs = json_object_get(cat->root, "defs");
	for (depth = 0; (ref = json_object_get(j, "ref")) != NULL; depth++) {
		if (depth >= CAT_MAX_REF || !json_is_string(ref) ||
		    defs == NULL ||
		    (base = json_object_get(defs, json_string_value(ref))) ==
		    NULL || !json_is_object(base))
			return CAIRN_EFORMAT;
		/* The referring spec's own keys override the definition's. */
		if ((merged = json_deep_copy(base)) == NULL)
			return CAIRN_ENOMEM;
		json_object_foreach(j, k, v) {
			if (strcmp(k, "ref") != 0 &&
			    json_object_set(merged, k, v) != 0) {
				json_decref(merged);
				return CAIRN_ENOMEM;
			}
		}
		if (json_array_append_new(cat->keep, merged) != 0)
			return CAIRN_ENOMEM;
		j = merged;
	}
	*out = j;
	return 0;
}

static int compile_spec(struct cairn_catalog *, json_t *, size_t,
    struct spec **);

/* Compiles an object of field specs (depth: nesting of their values). */
static int
compile_fields(struct cairn_catalog *cat, json_t *jf, size_t depth,
    struct field **out, size_t *nout)
{
	static const char *const cond_keys[] = { "field", "equals", NULL };
	struct field *f;
	const char *k;
	json_t *v, *j, *c, *r;
	size_t i, n;
	int rc;

	*out = NULL;
	*nout = 0;
	if (!json_is_object(jf))
		return CAIRN_EFORMAT;
	n = json_object_size(jf);
	if (n == 0)
		return 0;
	if ((f = calloc(n, sizeof(*f))) == NULL)
		return CAIRN_ENOMEM;
	*out = f;
	i = 0;
	json_object_foreach(jf, k, v) {
		if ((rc = resolve_ref(cat, v, &j)) != 0)
			return rc;
		if (!json_is_object(j) || *k == '\0')
			return CAIRN_EFORMAT;
		f[i].name = k;
		r = json_object_get(j, "required");
		if (r != NULL && !json_is_boolean(r))
			return CAIRN_EFORMAT;
		f[i].required = json_is_true(r);
		if ((c = json_object_get(j, "required_if")) != NULL)
			f[i].cond = C_IF;
		else if ((c = json_object_get(j, "required_unless")) != NULL)
			f[i].cond = C_UNLESS;
		if (c != NULL) {
			if (json_object_get(j, "required_if") != NULL &&
			    json_object_get(j, "required_unless") != NULL)
				return CAIRN_EFORMAT;
			if (!json_is_object(c) || only_keys(c, cond_keys) != 0 ||
			    !json_is_string(json_object_get(c, "field")) ||
			    json_object_get(c, "equals") == NULL)
				return CAIRN_EFORMAT;
			f[i].cond_field = json_string_value(
			    json_object_get(c, "field"));
			f[i].cond_value = json_object_get(c, "equals");
		}
		if ((rc = compile_spec(cat, j, depth, &f[i].spec)) != 0)
			return rc;
		i++;
		*nout = i;
	}
	return 0;
}

/* Whether every condition names another field of the same object. */
static int
check_conds(const struct field *f, size_t n)
{
	size_t i, j;
	int found;

	for (i = 0; i < n; i++) {
		if (f[i].cond == C_NONE)
			continue;
		found = 0;
		for (j = 0; j < n && !found; j++)
			found = j != i && strcmp(f[j].name, f[i].cond_field) == 0;
		if (!found)
			return CAIRN_EFORMAT;
	}
	return 0;
}

/* Compiles one (ref-resolved) field spec; depth: nesting of its value. */
static int
compile_spec(struct cairn_catalog *cat, json_t *j, size_t depth,
    struct spec **out)
{
	static const char *const k_string[] = { "type", "required",
	    "required_if", "required_unless", "description", "min", "max",
	    "enum", "format", NULL };
	static const char *const k_integer[] = { "type", "required",
	    "required_if", "required_unless", "description", "min", "max",
	    NULL };
	static const char *const k_boolean[] = { "type", "required",
	    "required_if", "required_unless", "description", NULL };
	static const char *const k_array[] = { "type", "required",
	    "required_if", "required_unless", "description", "items",
	    "min_items", "max_items", NULL };
	static const char *const k_object[] = { "type", "required",
	    "required_if", "required_unless", "description", "fields", NULL };
	static const char *const k_map[] = { "type", "required",
	    "required_if", "required_unless", "description", "keys", "values",
	    "max_items", NULL };
	struct spec *s;
	const char *t;
	json_t *v, *e, *jr;
	size_t i;
	int rc;

	*out = NULL;
	if ((rc = resolve_ref(cat, j, &jr)) != 0)
		return rc;
	j = jr;
	if (!json_is_object(j) ||
	    (t = json_string_value(json_object_get(j, "type"))) == NULL)
		return CAIRN_EFORMAT;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return CAIRN_ENOMEM;
	s->next = cat->specs;
	cat->specs = s;
	*out = s;

	if (strcmp(t, "string") == 0) {
		s->kind = K_STRING;
		if (only_keys(j, k_string) != 0 ||
		    get_size(j, "min", 0, CAT_MAX_LEN, &s->min) != 0 ||
		    get_size(j, "max", cat->string_max, CAT_MAX_LEN,
		    &s->max) != 0 || s->min > s->max)
			return CAIRN_EFORMAT;
		if ((v = json_object_get(j, "enum")) != NULL) {
			if (!json_is_array(v) || json_array_size(v) == 0)
				return CAIRN_EFORMAT;
			json_array_foreach(v, i, e) {
				if (!json_is_string(e))
					return CAIRN_EFORMAT;
			}
			s->enums = v;
		}
		if ((v = json_object_get(j, "format")) != NULL) {
			if (!json_is_string(v))
				return CAIRN_EFORMAT;
			for (i = 0; i < sizeof(formats) / sizeof(formats[0]);
			    i++)
				if (strcmp(formats[i].name,
				    json_string_value(v)) == 0)
					s->fmt = formats[i].fmt;
			if (s->fmt == F_NONE)
				return CAIRN_EFORMAT;
		}
	} else if (strcmp(t, "integer") == 0) {
		s->kind = K_INTEGER;
		if (only_keys(j, k_integer) != 0 ||
		    get_int(j, "min", -INT_LIMIT, &s->imin) != 0 ||
		    get_int(j, "max", INT_LIMIT, &s->imax) != 0 ||
		    s->imin > s->imax)
			return CAIRN_EFORMAT;
	} else if (strcmp(t, "boolean") == 0) {
		s->kind = K_BOOLEAN;
		if (only_keys(j, k_boolean) != 0)
			return CAIRN_EFORMAT;
	} else if (strcmp(t, "array") == 0) {
		s->kind = K_ARRAY;
		if (depth > cat->depth_max || only_keys(j, k_array) != 0 ||
		    get_size(j, "min_items", 0, CAT_MAX_LEN, &s->min) != 0 ||
		    get_size(j, "max_items", cat->array_max, CAT_MAX_LEN,
		    &s->max) != 0 || s->min > s->max ||
		    (v = json_object_get(j, "items")) == NULL)
			return CAIRN_EFORMAT;
		if ((rc = compile_spec(cat, v, depth + 1, &s->items)) != 0)
			return rc;
	} else if (strcmp(t, "object") == 0) {
		s->kind = K_OBJECT;
		if (depth > cat->depth_max || only_keys(j, k_object) != 0 ||
		    (v = json_object_get(j, "fields")) == NULL)
			return CAIRN_EFORMAT;
		if ((rc = compile_fields(cat, v, depth + 1, &s->fields,
		    &s->nfields)) != 0)
			return rc;
		if ((rc = check_conds(s->fields, s->nfields)) != 0)
			return rc;
	} else if (strcmp(t, "map") == 0) {
		s->kind = K_MAP;
		if (depth > cat->depth_max || only_keys(j, k_map) != 0 ||
		    get_size(j, "max_items", cat->array_max, CAT_MAX_LEN,
		    &s->max) != 0 || (v = json_object_get(j, "values")) == NULL)
			return CAIRN_EFORMAT;
		if ((rc = compile_spec(cat, v, depth + 1, &s->items)) != 0)
			return rc;
		if ((v = json_object_get(j, "keys")) != NULL) {
			if ((rc = compile_spec(cat, v, depth, &s->keys)) != 0)
				return rc;
			/* Keys are strings; a datetime key is never rewritten. */
			if (s->keys->kind != K_STRING ||
			    s->keys->fmt == F_DATETIME)
				return CAIRN_EFORMAT;
		}
	} else
		return CAIRN_EFORMAT;
	return 0;
}

/* The static name of a known stream, else the catalog's own string. */
static const char *
intern_stream(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(known_streams) / sizeof(known_streams[0]); i++)
		if (strcmp(known_streams[i], name) == 0)
			return known_streams[i];
	return name;
}

/* Finds a field by name in a compiled list. */
static struct field *
find_field(struct field *f, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(f[i].name, name) == 0)
			return &f[i];
	return NULL;
}

static int check_format(enum fmt, const char *, size_t);

/* Applies a type's common_required / common_optional list. */
static int
adjust_common(struct type *t, json_t *list, int required)
{
	struct field *f;
	json_t *v;
	size_t i;

	if (list == NULL)
		return 0;
	if (!json_is_array(list))
		return CAIRN_EFORMAT;
	json_array_foreach(list, i, v) {
		if (!json_is_string(v) ||
		    strcmp(json_string_value(v), "type") == 0 ||
		    (f = find_field(t->fields, t->nfields,
		    json_string_value(v))) == NULL)
			return CAIRN_EFORMAT;
		f->required = required;
		f->cond = C_NONE;
	}
	return 0;
}

/* Compiles one entry of "types". */
static int
compile_type(struct cairn_catalog *cat, const char *name, json_t *j,
    struct type *t)
{
	static const char *const keys[] = { "stream", "clauses", "description",
	    "fields", "common_required", "common_optional", NULL };
	struct field *own = NULL;
	json_t *streams, *st, *v;
	const char *sname;
	size_t i, nown = 0;
	int rc;

	t->name = name;
	if (!json_is_object(j) || only_keys(j, keys) != 0 ||
	    (sname = json_string_value(json_object_get(j, "stream"))) == NULL)
		return CAIRN_EFORMAT;
	streams = json_object_get(cat->root, "streams");
	json_array_foreach(streams, i, st) {
		if (strcmp(json_string_value(json_object_get(st, "name")),
		    sname) == 0) {
			t->stream = intern_stream(sname);
			t->system = strcmp(json_string_value(
			    json_object_get(st, "writer")), "cairn") == 0;
		}
	}
	if (t->stream == NULL)
		return CAIRN_EFORMAT;
	if ((v = json_object_get(j, "clauses")) != NULL) {
		if (!json_is_array(v))
			return CAIRN_EFORMAT;
		for (i = 0; i < json_array_size(v); i++)
			if (!json_is_string(json_array_get(v, i)) ||
			    check_format(F_CLAUSE,
			    json_string_value(json_array_get(v, i)),
			    json_string_length(json_array_get(v, i))) != 0)
				return CAIRN_EFORMAT;
	}
	if ((v = json_object_get(j, "fields")) != NULL &&
	    (rc = compile_fields(cat, v, 2, &own, &nown)) != 0)
		goto out;
	rc = CAIRN_EFORMAT;
	for (i = 0; i < nown; i++)
		if (find_field(cat->common, cat->ncommon, own[i].name) !=
		    NULL || strcmp(own[i].name, "tz") == 0)
			goto out;
	/* The type's fields: the common ones first, then its own. */
	rc = CAIRN_ENOMEM;
	t->nfields = cat->ncommon + nown;
	if ((t->fields = calloc(t->nfields, sizeof(*t->fields))) == NULL)
		goto out;
	memcpy(t->fields, cat->common, cat->ncommon * sizeof(*t->fields));
	if (nown > 0)
		memcpy(t->fields + cat->ncommon, own, nown * sizeof(*own));
	if ((rc = adjust_common(t, json_object_get(j, "common_required"),
	    1)) != 0 ||
	    (rc = adjust_common(t, json_object_get(j, "common_optional"),
	    0)) != 0)
		goto out;
	/* Every event has a time: tz is derived from it. */
	rc = CAIRN_EFORMAT;
	if (!find_field(t->fields, t->nfields, "time")->required)
		goto out;
	rc = check_conds(t->fields, t->nfields);
out:
	free(own);
	return rc;
}

/* Orders types by name for bsearch. */
static int
type_cmp(const void *a, const void *b)
{
	return strcmp(((const struct type *)a)->name,
	    ((const struct type *)b)->name);
}

/* Checks the top-level shape of the catalog and its streams. */
static int
compile_top(struct cairn_catalog *cat)
{
	static const char *const top[] = { "version", "description", "limits",
	    "streams", "defs", "common", "types", NULL };
	static const char *const lim[] = { "string_max", "array_max",
	    "depth_max", NULL };
	static const char *const skeys[] = { "name", "writer", "description",
	    NULL };
	json_t *r = cat->root, *v, *st;
	const char *w;
	size_t i, j;

	if (!json_is_object(r) || only_keys(r, top) != 0 ||
	    !json_is_integer(json_object_get(r, "version")) ||
	    json_integer_value(json_object_get(r, "version")) != 1)
		return CAIRN_EFORMAT;
	if ((v = json_object_get(r, "limits")) != NULL &&
	    (!json_is_object(v) || only_keys(v, lim) != 0))
		return CAIRN_EFORMAT;
	if (get_size(v, "string_max", 4096, CAT_MAX_LEN,
	    &cat->string_max) != 0 ||
	    get_size(v, "array_max", 256, CAT_MAX_LEN, &cat->array_max) != 0 ||
	    get_size(v, "depth_max", 8, 64, &cat->depth_max) != 0 ||
	    cat->depth_max < 2)
		return CAIRN_EFORMAT;
	if ((v = json_object_get(r, "defs")) != NULL && !json_is_object(v))
		return CAIRN_EFORMAT;
	v = json_object_get(r, "streams");
	if (!json_is_array(v) || json_array_size(v) == 0)
		return CAIRN_EFORMAT;
	json_array_foreach(v, i, st) {
		if (!json_is_object(st) || only_keys(st, skeys) != 0 ||
		    !json_is_string(json_object_get(st, "name")) ||
		    json_string_length(json_object_get(st, "name")) == 0 ||
		    (w = json_string_value(json_object_get(st, "writer"))) ==
		    NULL || (strcmp(w, "sender") != 0 &&
		    strcmp(w, "cairn") != 0))
			return CAIRN_EFORMAT;
		for (j = 0; j < i; j++)
			if (strcmp(json_string_value(json_object_get(st,
			    "name")), json_string_value(json_object_get(
			    json_array_get(v, j), "name"))) == 0)
				return CAIRN_EFORMAT;
	}
	return 0;
}

/* Compiles the whole catalog held in cat->root. */
static int
compile(struct cairn_catalog *cat)
{
	struct field *f;
	json_t *types, *v, *defs;
	const char *k;
	struct spec *dummy;
	size_t i;
	int rc;

	if ((rc = compile_top(cat)) != 0)
		return rc;
	/* Compile every definition once so that an unused one is checked. */
	if ((defs = json_object_get(cat->root, "defs")) != NULL) {
		json_object_foreach(defs, k, v) {
			if ((rc = compile_spec(cat, v, 2, &dummy)) != 0)
				return rc;
		}
	}
	if ((rc = compile_fields(cat, json_object_get(cat->root, "common"), 2,
	    &cat->common, &cat->ncommon)) != 0)
		return rc;
	/* The validator relies on these: see schemas/README.md. */
	if ((f = find_field(cat->common, cat->ncommon, "type")) == NULL ||
	    f->spec->kind != K_STRING || !f->required ||
	    (f = find_field(cat->common, cat->ncommon, "time")) == NULL ||
	    f->spec->fmt != F_DATETIME ||
	    find_field(cat->common, cat->ncommon, "tz") != NULL)
		return CAIRN_EFORMAT;
	for (i = 0; i < cat->ncommon; i++)
		if (cat->common[i].cond != C_NONE)
			return CAIRN_EFORMAT;
	types = json_object_get(cat->root, "types");
	if (!json_is_object(types) || json_object_size(types) == 0)
		return CAIRN_EFORMAT;
	if ((cat->types = calloc(json_object_size(types),
	    sizeof(*cat->types))) == NULL)
		return CAIRN_ENOMEM;
	json_object_foreach(types, k, v) {
		if (*k == '\0')
			return CAIRN_EFORMAT;
		rc = compile_type(cat, k, v, &cat->types[cat->ntypes]);
		cat->ntypes++;
		if (rc != 0)
			return rc;
	}
	qsort(cat->types, cat->ntypes, sizeof(*cat->types), type_cmp);
	return 0;
}

int
cairn_catalog_load(const uint8_t *json, size_t len,
    struct cairn_catalog **out)
{
	struct cairn_catalog *cat;
	json_error_t jerr;
	int rc;

	*out = NULL;
	if (json == NULL || len > CAT_MAX_LEN)
		return CAIRN_EFORMAT;
	if ((cat = calloc(1, sizeof(*cat))) == NULL)
		return CAIRN_ENOMEM;
	cat->root = json_loadb((const char *)json, len,
	    JSON_REJECT_DUPLICATES, &jerr);
	if (cat->root == NULL) {
		rc = json_error_code(&jerr) == json_error_out_of_memory ?
		    CAIRN_ENOMEM : CAIRN_EFORMAT;
		goto fail;
	}
	if ((cat->keep = json_array()) == NULL) {
		rc = CAIRN_ENOMEM;
		goto fail;
	}
	if ((rc = compile(cat)) != 0)
		goto fail;
	*out = cat;
	return 0;
fail:
	cairn_catalog_free(cat);
	return rc;
}

int
cairn_catalog_default(struct cairn_catalog **out)
{
	return cairn_catalog_load(cairn_catalog_json, cairn_catalog_json_len,
	    out);
}

void
cairn_catalog_free(struct cairn_catalog *cat)
{
	struct spec *s, *next;
	size_t i;

	if (cat == NULL)
		return;
	for (s = cat->specs; s != NULL; s = next) {
		next = s->next;
		free(s->fields);
		free(s);
	}
	for (i = 0; i < cat->ntypes; i++)
		free(cat->types[i].fields);
	free(cat->types);
	free(cat->common);
	json_decref(cat->keep);
	json_decref(cat->root);
	free(cat);
}

/* Finds a compiled type by name. */
static const struct type *
find_type(const struct cairn_catalog *cat, const char *name)
{
	struct type key;

	key.name = name;
	return bsearch(&key, cat->types, cat->ntypes, sizeof(*cat->types),
	    type_cmp);
}

const char *
cairn_catalog_stream(const struct cairn_catalog *cat, const char *type)
{
	const struct type *t;

	if (cat == NULL || type == NULL || (t = find_type(cat, type)) == NULL)
		return NULL;
	return t->stream;
}

const char *
cairn_catalog_type_at(const struct cairn_catalog *cat, size_t i)
{
	if (cat == NULL || i >= cat->ntypes)
		return NULL;
	return cat->types[i].name;
}

const char *
cairn_catalog_field_type(const struct cairn_catalog *cat, const char *type,
    const char *field)
{
	static const char *const kinds[] = { NULL, "string", "integer",
	    "boolean", "array", "object", "object" };
	const struct type *t;
	const struct field *f;

	if (cat == NULL || type == NULL || field == NULL ||
	    (t = find_type(cat, type)) == NULL ||
	    (f = find_field(t->fields, t->nfields, field)) == NULL)
		return NULL;
	return kinds[f->spec->kind];
}

/* ---- checks on string values ---- */

/* GB 11643-1999 check character of the first 17 digits (ISO 7064 MOD 11-2). */
static char
idcard_check(const char *s)
{
	static const int w[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5,
	    8, 4, 2 };
	static const char map[] = "10X98765432";
	int i, sum = 0;

	for (i = 0; i < 17; i++)
		sum += (s[i] - '0') * w[i];
	return map[sum % 11];
}

/* Whether s is 17 digits and a valid GB 11643 check character. */
static int
is_idcard(const char *s, size_t n)
{
	size_t i;
	char c;

	if (n != 18)
		return 0;
	for (i = 0; i < 17; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	c = s[17] == 'x' ? 'X' : s[17];
	return c == idcard_check(s);
}

/*
 * Whether s is a mainland mobile number: 1[3-9] and 9 more digits, after an
 * optional +86 / 86 / 0086, with spaces or hyphens anywhere between digits.
 */
static int
is_mobile(const char *s, size_t n)
{
	char d[16];
	size_t i = 0, nd = 0;
	int plus = 0;
	const char *m;

	if (n > 0 && s[0] == '+') {
		plus = 1;
		i = 1;
	}
	if (i >= n || s[i] < '0' || s[i] > '9')
		return 0;
	for (; i < n; i++) {
		if (s[i] >= '0' && s[i] <= '9') {
			if (nd == sizeof(d))
				return 0;
			d[nd++] = s[i];
		} else if (s[i] != ' ' && s[i] != '-')
			return 0;
	}
	if (plus)
		m = nd == 13 && memcmp(d, "86", 2) == 0 ? d + 2 : NULL;
	else if (nd == 11)
		m = d;
	else if (nd == 13 && memcmp(d, "86", 2) == 0)
		m = d + 2;
	else if (nd == 15 && memcmp(d, "0086", 4) == 0)
		m = d + 4;
	else
		m = NULL;
	return m != NULL && m[0] == '1' && m[1] >= '3' && m[1] <= '9';
}

/* Which raw personal datum s looks like, if any (surrounding blanks ignored). */
static const char *
personal_data(const char *s, size_t n)
{
	while (n > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (is_idcard(s, n))
		return "a raw ID-card number (GB 11643): send id_token";
	if (is_mobile(s, n))
		return "a raw mobile number: send mobile_hash";
	return NULL;
}

/* Whether s is a clause number: 1.1.6, 2.2.5(h), 7. */
static int
is_clause(const char *s, size_t n)
{
	size_t i = 0, nd, parts = 0;

	for (;;) {
		for (nd = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			nd++;
		if (nd == 0 || nd > 3 || ++parts > 5)
			return 0;
		if (i < n && s[i] == '.') {
			i++;
			continue;
		}
		break;
	}
	if (i == n)
		return 1;
	return n - i == 3 && s[i] == '(' && s[i + 1] >= 'a' &&
	    s[i + 1] <= 'z' && s[i + 2] == ')';
}

/* Whether s is "system:", "operator:" or "user:" and a name without blanks. */
static int
is_actor(const char *s, size_t n)
{
	static const char *const prefix[] = { "system:", "operator:", "user:" };
	size_t i, p, pl;

	for (p = 0; p < 3; p++) {
		pl = strlen(prefix[p]);
		if (n > pl && memcmp(s, prefix[p], pl) == 0)
			break;
	}
	if (p == 3)
		return 0;
	for (i = pl; i < n; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f)
			return 0;
	return 1;
}

/* Whether s is n characters of the range lo..hi. */
static int
all_in(const char *s, size_t n, size_t want, char lo, char hi)
{
	size_t i;

	if (n != want)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < lo || s[i] > hi)
			return 0;
	return 1;
}

/* Checks s against a format; 0, CAIRN_EINVAL or CAIRN_ENOMEM. */
static int
check_format(enum fmt fmt, const char *s, size_t n)
{
	uint8_t *buf;
	size_t i, len;
	int rc;

	switch (fmt) {
	case F_NONE:
		return 0;
	case F_DATETIME:
		return cairn_rfc3339_parse(s, n, NULL, NULL);
	case F_SHA256HEX:
		for (i = 0; i < n; i++)
			if (!((s[i] >= '0' && s[i] <= '9') ||
			    (s[i] >= 'a' && s[i] <= 'f')))
				return CAIRN_EINVAL;
		return n == CAIRN_HEX_LEN ? 0 : CAIRN_EINVAL;
	case F_COUNTRY:
		return all_in(s, n, 2, 'A', 'Z') ? 0 : CAIRN_EINVAL;
	case F_CURRENCY:
		return all_in(s, n, 3, 'A', 'Z') ? 0 : CAIRN_EINVAL;
	case F_CLAUSE:
		return is_clause(s, n) ? 0 : CAIRN_EINVAL;
	case F_ACTOR:
		return is_actor(s, n) ? 0 : CAIRN_EINVAL;
	case F_BASE64:
		if (n == 0)
			return 0;
		if ((buf = malloc(n / 4 * 3 + 3)) == NULL)
			return CAIRN_ENOMEM;
		rc = cairn_unb64(s, n, buf, n / 4 * 3 + 3, &len);
		free(buf);
		return rc == 0 ? 0 : CAIRN_EINVAL;
	case F_SDNAME:
		/* RFC 5424 section 6.3.2: PRINTUSASCII except = SP ] ". */
		if (n == 0 || n > 32)
			return CAIRN_EINVAL;
		for (i = 0; i < n; i++)
			if (s[i] < 33 || s[i] > 126 || s[i] == '=' ||
			    s[i] == ']' || s[i] == '"')
				return CAIRN_EINVAL;
		return 0;
	}
	return CAIRN_EINVAL;
}

/* ---- validation ---- */

struct vctx {
	struct cairn_verr	*errs;
	size_t			 maxerr;
	size_t			 nerr;
	int			 normalise;
	int			 rc;		/* CAIRN_ENOMEM, sticky */
	char			 path[256];
	size_t			 plen;
};

/* Where a value sits, so that a normalised one can replace it. */
struct loc {
	json_t		*parent;
	const char	*key;		/* NULL: array index */
	size_t		 idx;
};

/* Drops a UTF-8 sequence cut short at the end of a truncated string. */
static void
utf8_trim(char *s)
{
	size_t n = strlen(s), p, want;
	unsigned char lead;

	if (n == 0)
		return;
	for (p = n; p > 0 && ((unsigned char)s[p - 1] & 0xc0) == 0x80; p--)
		;
	if (p == 0) {
		s[0] = '\0';
		return;
	}
	lead = (unsigned char)s[p - 1];
	want = lead < 0x80 ? 1 : lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
	if (n - (p - 1) < want)
		s[p - 1] = '\0';
}

/* Records an error at the current path. */
static void
verr(struct vctx *c, const char *rule, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
verr(struct vctx *c, const char *rule, const char *fmt, ...)
{
	struct cairn_verr *e;
	va_list ap;
	size_t n;

	if (c->normalise)
		return;
	if (c->nerr < c->maxerr) {
		e = &c->errs[c->nerr];
		/* Truncation is expected: the path names where, not all. */
		n = strlen(c->path);
		if (n >= sizeof(e->field))
			n = sizeof(e->field) - 1;
		memcpy(e->field, c->path, n);
		e->field[n] = '\0';
		utf8_trim(e->field);
		snprintf(e->rule, sizeof(e->rule), "%s", rule);
		va_start(ap, fmt);
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
		va_end(ap);
		utf8_trim(e->msg);
	}
	c->nerr++;
}

/* Appends ".key" (or "key" at the top) to the path; returns the old length. */
static size_t
push_key(struct vctx *c, const char *key)
{
	size_t old = c->plen, room, n = strlen(key);

	/* Every field of every event passes here: no printf. */
	room = sizeof(c->path) - 1 - c->plen;
	if (c->plen > 0 && room > 0) {
		c->path[c->plen++] = '.';
		room--;
	}
	/* A truncated path still names the field's start; errors cap at 95. */
	if (n > room)
		n = room;
	memcpy(c->path + c->plen, key, n);
	c->plen += n;
	c->path[c->plen] = '\0';
	return old;
}

/* Appends "[i]" to the path; returns the old length. */
static size_t
push_index(struct vctx *c, size_t i)
{
	size_t old = c->plen;
	int r;

	r = snprintf(c->path + c->plen, sizeof(c->path) - c->plen, "[%zu]", i);
	if (r > 0)
		c->plen += (size_t)r;
	if (c->plen >= sizeof(c->path))
		c->plen = sizeof(c->path) - 1;
	return old;
}

/* Restores the path to an earlier length. */
static void
pop(struct vctx *c, size_t old)
{
	c->plen = old;
	c->path[old] = '\0';
}

/* Number of code points in valid UTF-8. */
static size_t
utf8_len(const char *s, size_t n)
{
	size_t i, cp = 0;

	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			cp++;
	return cp;
}

/* Length of at most max bytes of s that ends on a UTF-8 character boundary. */
static size_t
clip(const char *s, size_t n, size_t max)
{
	if (n <= max)
		return n;
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	return max;
}

/* Replaces the value at l with a new string (normalising pass). */
static void
replace(struct vctx *c, const struct loc *l, const char *s)
{
	json_t *v;
	int r;

	if (l == NULL || l->parent == NULL)
		return;
	if ((v = json_string(s)) == NULL) {
		c->rc = CAIRN_ENOMEM;
		return;
	}
	if (l->key != NULL)
		r = json_object_set_new(l->parent, l->key, v);
	else
		r = json_array_set_new(l->parent, l->idx, v);
	if (r != 0)
		c->rc = CAIRN_ENOMEM;
}

/* Validates (or normalises) a string value against a string spec. */
static void
check_string(struct vctx *c, const char *s, size_t n, const struct spec *sp,
    const struct loc *l)
{
	char out[CAIRN_RFC3339_LEN + 1];
	const char *why;
	size_t cp, i;
	int64_t us;
	int rc, found;

	if (c->normalise) {
		if (sp->fmt == F_DATETIME &&
		    cairn_rfc3339_parse(s, n, &us, NULL) == 0) {
			cairn_rfc3339_format(us, out);
			replace(c, l, out);
		}
		return;
	}
	if (memchr(s, '\0', n) != NULL) {
		verr(c, "format", "contains a NUL character");
		return;
	}
	/* EVENTS.md: personal data never travels in the clear. */
	if ((why = personal_data(s, n)) != NULL) {
		verr(c, "raw_personal_data", "looks like %s", why);
		return;
	}
	cp = utf8_len(s, n);
	if (cp < sp->min) {
		verr(c, "min_length", "must be at least %zu characters long",
		    sp->min);
		return;
	}
	if (cp > sp->max) {
		verr(c, "max_length", "must be at most %zu characters long",
		    sp->max);
		return;
	}
	if (sp->enums != NULL) {
		found = 0;
		for (i = 0; i < json_array_size(sp->enums) && !found; i++) {
			json_t *e = json_array_get(sp->enums, i);

			found = json_string_length(e) == n &&
			    memcmp(json_string_value(e), s, n) == 0;
		}
		if (!found) {
			verr(c, "enum", "\"%.*s\" is not an allowed value",
			    (int)clip(s, n, 48), s);
			return;
		}
	}
	if ((rc = check_format(sp->fmt, s, n)) == CAIRN_ENOMEM)
		c->rc = rc;
	else if (rc != 0)
		verr(c, "format", "not a valid %s", sp->fmt == F_DATETIME ?
		    "RFC 3339 date-time (offset required, at most 6 "
		    "significant fraction digits, no leap second)" :
		    sp->fmt == F_SHA256HEX ? "SHA-256 (64 lowercase hex)" :
		    sp->fmt == F_COUNTRY ? "ISO 3166-1 alpha-2 code" :
		    sp->fmt == F_CURRENCY ? "ISO 4217 code" :
		    sp->fmt == F_CLAUSE ? "clause number (e.g. 2.2.5(h))" :
		    sp->fmt == F_ACTOR ?
		    "actor (system:, operator: or user: and a name)" :
		    sp->fmt == F_BASE64 ? "padded base64 (RFC 4648)" :
		    "RFC 5424 SD-NAME");
}

static void check_value(struct vctx *, json_t *, const struct spec *,
    const struct loc *);

/* Whether a field's condition makes it required, given its object. */
static int
is_required(const struct field *f, json_t *obj)
{
	json_t *v;

	if (f->cond == C_NONE)
		return f->required;
	/* A condition on an absent field requires nothing. */
	if ((v = json_object_get(obj, f->cond_field)) == NULL)
		return f->required;
	if (f->cond == C_IF)
		return f->required || json_equal(v, f->cond_value);
	return f->required || !json_equal(v, f->cond_value);
}

/* Validates (or normalises) an object against a list of fields. */
static void
check_fields(struct vctx *c, json_t *obj, const struct field *f, size_t n,
    int closed)
{
	struct loc l;
	const char *k;
	json_t *v;
	size_t i, old, known = 0;

	for (i = 0; i < n; i++) {
		old = push_key(c, f[i].name);
		if ((v = json_object_get(obj, f[i].name)) == NULL) {
			if (is_required(&f[i], obj))
				verr(c, "required", "missing");
		} else {
			known++;
			l.parent = obj;
			l.key = f[i].name;
			l.idx = 0;
			check_value(c, v, f[i].spec, &l);
		}
		pop(c, old);
	}
	/* Every member is one of the fields (names are unique on both
	 * sides): nothing unknown to look for. */
	if (!closed || c->normalise || known == json_object_size(obj))
		return;
	json_object_foreach(obj, k, v) {
		for (i = 0; i < n; i++)
			if (strcmp(f[i].name, k) == 0)
				break;
		if (i < n)
			continue;
		old = push_key(c, k);
		/* At the top, tz is Cairn's: see cairn_catalog_validate(). */
		if (old == 0 && strcmp(k, "tz") == 0)
			verr(c, "reserved", "filled by Cairn from time; "
			    "never sent");
		else
			verr(c, "unknown_field", "not in the catalog for "
			    "this type");
		pop(c, old);
	}
}

/* Validates (or normalises) one value against its spec. */
static void
check_value(struct vctx *c, json_t *v, const struct spec *sp,
    const struct loc *l)
{
	struct loc il;
	const char *k;
	json_t *e;
	size_t i, old;
	json_int_t iv;

	switch (sp->kind) {
	case K_STRING:
		if (!json_is_string(v)) {
			verr(c, "type", "expected a string");
			return;
		}
		check_string(c, json_string_value(v), json_string_length(v),
		    sp, l);
		return;
	case K_INTEGER:
		if (!json_is_integer(v)) {
			verr(c, "type", "%s", json_is_real(v) ?
			    "expected an integer (fractions are refused)" :
			    "expected an integer");
			return;
		}
		iv = json_integer_value(v);
		if (iv < sp->imin || iv > sp->imax)
			verr(c, "range", "%lld is outside %lld..%lld",
			    (long long)iv, (long long)sp->imin,
			    (long long)sp->imax);
		return;
	case K_BOOLEAN:
		if (!json_is_boolean(v))
			verr(c, "type", "expected true or false");
		return;
	case K_ARRAY:
		if (!json_is_array(v)) {
			verr(c, "type", "expected an array");
			return;
		}
		if (json_array_size(v) < sp->min)
			verr(c, "min_items", "needs at least %zu items", sp->min);
		if (json_array_size(v) > sp->max)
			verr(c, "max_items", "allows at most %zu items", sp->max);
		/* Past the cap, items are not looked at: bounded work. */
		for (i = 0; i < json_array_size(v) && i < sp->max; i++) {
			il.parent = v;
			il.key = NULL;
			il.idx = i;
			old = push_index(c, i);
			check_value(c, json_array_get(v, i), sp->items, &il);
			pop(c, old);
		}
		return;
	case K_OBJECT:
		if (!json_is_object(v)) {
			verr(c, "type", "expected an object");
			return;
		}
		check_fields(c, v, sp->fields, sp->nfields, 1);
		return;
	case K_MAP:
		if (!json_is_object(v)) {
			verr(c, "type", "expected an object");
			return;
		}
		if (json_object_size(v) > sp->max)
			verr(c, "max_items", "allows at most %zu members",
			    sp->max);
		i = 0;
		json_object_foreach(v, k, e) {
			if (i++ >= sp->max)
				break;
			old = push_key(c, k);
			if (sp->keys != NULL)
				check_string(c, k, strlen(k), sp->keys, NULL);
			else if (!c->normalise &&
			    personal_data(k, strlen(k)) != NULL)
				verr(c, "raw_personal_data", "member name looks "
				    "like %s", personal_data(k, strlen(k)));
			il.parent = v;
			il.key = k;
			il.idx = 0;
			check_value(c, e, sp->items, &il);
			pop(c, old);
		}
		return;
	}
}

int
cairn_catalog_validate(const struct cairn_catalog *cat, json_t *ev,
    int flags, const char **stream, struct cairn_verr *errs, size_t maxerr,
    size_t *nerr)
{
	struct vctx c;
	const struct type *t = NULL;
	const struct field *f;
	const char *tn;
	json_t *jt;
	size_t n;
	char tz[7];
	int off;

	if (nerr != NULL)
		*nerr = 0;
	if (stream != NULL)
		*stream = NULL;
	if (cat == NULL || ev == NULL || (errs == NULL && maxerr > 0))
		return CAIRN_EINVAL;
	memset(&c, 0, sizeof(c));
	c.errs = errs;
	c.maxerr = maxerr;
	if (!json_is_object(ev)) {
		verr(&c, "type", "an event is a JSON object");
		goto done;
	}
	/* The type picks the field list; without one only common is known. */
	jt = json_object_get(ev, "type");
	if ((tn = json_string_value(jt)) != NULL &&
	    (t = find_type(cat, tn)) == NULL && personal_data(tn,
	    json_string_length(jt)) == NULL) {
		push_key(&c, "type");
		verr(&c, "unknown_type", "\"%.*s\" is not in the catalog",
		    (int)clip(tn, strlen(tn), 64), tn);
		pop(&c, 0);
	}
	if (t != NULL && t->system && !(flags & CAIRN_VALIDATE_SYSTEM)) {
		push_key(&c, "type");
		verr(&c, "system_only", "written by Cairn only, never by senders");
		pop(&c, 0);
	}
	if (t != NULL) {
		f = t->fields;
		n = t->nfields;
	} else {
		f = cat->common;
		n = cat->ncommon;
	}
	check_fields(&c, ev, f, n, t != NULL);
	if (t == NULL && json_object_get(ev, "tz") != NULL) {
		push_key(&c, "tz");
		verr(&c, "reserved", "filled by Cairn from time; never sent");
		pop(&c, 0);
	}
done:
	if (nerr != NULL)
		*nerr = c.nerr;
	if (c.rc != 0)
		return c.rc;
	if (c.nerr > 0)
		return CAIRN_EVALIDATE;

	/* Valid: keep the sender's offset, then rewrite times as UTC. */
	jt = json_object_get(ev, "time");
	if (cairn_rfc3339_parse(json_string_value(jt), json_string_length(jt),
	    NULL, &off) != 0)
		return CAIRN_EINVAL;
	cairn_rfc3339_offset(off, tz);
	c.normalise = 1;
	check_fields(&c, ev, t->fields, t->nfields, 1);
	if (c.rc == 0 && json_object_set_new(ev, "tz", json_string(tz)) != 0)
		c.rc = CAIRN_ENOMEM;
	if (c.rc != 0)
		return c.rc;
	if (stream != NULL)
		*stream = t->stream;
	return 0;
}
