/*
 * fuzz_jview.c: cairn_jview_parse must never crash nor read past its
 * input, must accept exactly what cairn_cjson_check accepts (with the
 * same code when it refuses), and an accepted view must be the input:
 * every token's text in bounds and nested in its parent, every string
 * re-encoding to its quoted text, every integer text the input's, every
 * member found by name, the top-level ones where cairn_cjson_member
 * finds them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jview.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct cairn_jview v;
static struct cairn_buf b;

/* Checks token i (inside [i, lim)) and its subtree; aborts if broken. */
static void
walk(const uint8_t *data, size_t size, size_t i, size_t lim, int top)
{
	const struct cairn_jtok *t = &v.tok[i];
	const uint8_t *val;
	const char *key;
	size_t c, vlen;

	if (t->next <= i || t->next > lim || t->off > size ||
	    t->len > size - t->off || t->len == 0)
		abort();
	switch (t->type) {
	case CAIRN_JV_STRING:
		b.len = 0;
		if (cairn_cjson_add_string(&b, v.sbuf + t->str, t->slen) != 0 ||
		    b.len != t->len ||
		    memcmp(b.p, data + t->off, t->len) != 0 ||
		    strlen(v.sbuf + t->str) != t->slen || t->next != i + 1)
			abort();
		break;
	case CAIRN_JV_INT:
		if (t->slen != t->len || memcmp(v.sbuf + t->str, data + t->off,
		    t->len) != 0 || t->next != i + 1)
			abort();
		break;
	case CAIRN_JV_ARRAY:
		for (c = i + 1; c < t->next; c = v.tok[c].next)
			walk(data, size, c, t->next, 0);
		break;
	case CAIRN_JV_OBJECT:
		for (c = i + 1; c < t->next; c = v.tok[c + 1].next) {
			if (v.tok[c].type != CAIRN_JV_STRING ||
			    c + 1 >= t->next)
				abort();
			walk(data, size, c, t->next, 0);
			walk(data, size, c + 1, t->next, 0);
			key = v.sbuf + v.tok[c].str;
			if (cairn_jview_get(&v, (int)i, key) != (int)c + 1)
				abort();
			if (top && (cairn_cjson_member(data, size, key, &val,
			    &vlen) != 0 || val != data + v.tok[c + 1].off ||
			    vlen != v.tok[c + 1].len))
				abort();
		}
		break;
	case CAIRN_JV_TRUE:
	case CAIRN_JV_FALSE:
	case CAIRN_JV_NULL:
		if (t->next != i + 1)
			abort();
		break;
	default:
		abort();
	}
}

/* Checks one input; aborts on any broken invariant. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int rc, ck;

	rc = cairn_jview_parse(&v, data, size);
	ck = cairn_cjson_check(data, size);
	if (rc != ck)
		abort();
	if (rc != 0) {
		if (v.ntok != 0)
			abort();
		return 0;
	}
	if (v.ntok == 0 || v.tok[0].off != 0 || v.tok[0].len != size ||
	    v.tok[0].next != v.ntok)
		abort();
	walk(data, size, 0, v.ntok, 1);
	return 0;
}
