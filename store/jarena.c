/* jarena.c: a per-thread allocation arena for jansson's values (jarena.h). */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "jarena.h"

#if defined(__SANITIZE_ADDRESS__)
#define JARENA_ASAN	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define JARENA_ASAN	1
#endif
#endif
#ifdef JARENA_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n)	ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n)	ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n)	((void)(p), (void)(n))
#define UNPOISON(p, n)	((void)(p), (void)(n))
#endif

#define HDR		16		/* keeps 16-byte alignment */
#define CHUNK		(64 * 1024)	/* bytes of one chunk's data */
#define BIG		(CHUNK / 8)	/* larger requests go to malloc */
#define CAP		(16u << 20)	/* a scope's arena bytes at most */
#define TAG_HEAP	0x70616568u
#define TAG_ARENA	0x616e7261u

struct chunk {
	struct chunk	*next;
	size_t		 used;
	_Alignas(16) unsigned char data[CHUNK];
};

struct arena {
	struct chunk	*head;		/* newest first; head is in use */
	struct chunk	*spare;		/* kept from the last scope */
	size_t		 total;		/* bytes taken in this scope */
	unsigned	 depth;
};

static int installed;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static pthread_key_t key;
static _Thread_local struct arena *tl;

static void
free_chunks(struct chunk *c)
{
	struct chunk *next;

	for (; c != NULL; c = next) {
		next = c->next;
		UNPOISON(c->data, sizeof c->data);
		free(c);
	}
}

static void
arena_destroy(void *p)
{
	struct arena *a = p;

	if (a == NULL)
		return;
	free_chunks(a->head);
	free_chunks(a->spare);
	free(a);
}

static void
make_key(void)
{
	(void)pthread_key_create(&key, arena_destroy);
}

static void *
heap_alloc(size_t n)
{
	unsigned char *p;

	if (n > SIZE_MAX - HDR || (p = malloc(n + HDR)) == NULL)
		return NULL;
	*(uint32_t *)(void *)p = TAG_HEAP;
	return p + HDR;
}

static void *
jmalloc(size_t n)
{
	struct arena *a = tl;
	struct chunk *c;
	unsigned char *p;
	size_t need;

	if (a == NULL || a->depth == 0 || n > BIG)
		return heap_alloc(n);
	need = (n + HDR + 15) & ~(size_t)15;
	if ((c = a->head) == NULL || CHUNK - c->used < need) {
		if (a->total + CHUNK > CAP)
			return heap_alloc(n);
		if ((c = a->spare) != NULL)
			a->spare = NULL;
		else if ((c = malloc(sizeof *c)) == NULL)
			return NULL;
		else
			POISON(c->data, sizeof c->data);
		c->used = 0;
		c->next = a->head;
		a->head = c;
		a->total += CHUNK;
	}
	p = c->data + c->used;
	c->used += need;
	UNPOISON(p, need);
	*(uint32_t *)(void *)p = TAG_ARENA;
	return p + HDR;
}

static void
jfree(void *q)
{
	unsigned char *p;
	uint32_t tag;

	if (q == NULL)
		return;
	p = (unsigned char *)q - HDR;
	tag = *(uint32_t *)(void *)p;
	if (tag == TAG_HEAP) {
		*(uint32_t *)(void *)p = 0;
		free(p);
	} else if (tag != TAG_ARENA)
		abort();	/* not ours: memory is corrupt */
	/* Arena memory is taken back when its scope ends. */
}

void
cairn_jarena_install(void)
{
	if (installed)
		return;
	json_set_alloc_funcs(jmalloc, jfree);
	installed = 1;
}

int
cairn_jarena_installed(void)
{
	return installed;
}

void
cairn_jarena_begin(void)
{
	struct arena *a = tl;

	if (!installed)
		return;
	if (a == NULL) {
		(void)pthread_once(&key_once, make_key);
		if ((a = calloc(1, sizeof *a)) == NULL)
			return;		/* everything goes to malloc */
		if (pthread_setspecific(key, a) != 0) {
			free(a);
			return;
		}
		tl = a;
	}
	a->depth++;
}

void
cairn_jarena_end(void)
{
	struct arena *a = tl;
	struct chunk *c;

	if (a == NULL || a->depth == 0 || --a->depth > 0)
		return;
	/* One chunk stays for the next scope; the rest go back to malloc. */
	if ((c = a->head) != NULL) {
		a->head = c->next;
		c->next = NULL;
		if (a->spare == NULL) {
			POISON(c->data, sizeof c->data);
			a->spare = c;
		} else
			free_chunks(c);
		free_chunks(a->head);
		a->head = NULL;
	}
	a->total = 0;
}

void
cairn_json_free(void *p)
{
	json_free_t f;

	json_get_alloc_funcs(NULL, &f);
	f(p);
}

size_t
cairn_jarena_used(void)
{
	struct arena *a = tl;
	struct chunk *c;
	size_t n = 0;

	if (a == NULL || a->depth == 0)
		return 0;
	for (c = a->head; c != NULL; c = c->next)
		n += c->used;
	return n;
}
