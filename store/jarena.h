/*
 * jarena.h: a per-thread allocation arena for jansson's values.
 *
 * Parsing and validating one event makes about thirty small allocations
 * in jansson (objects, hashtables, keys, strings), all freed when the event
 * is prepared; at ingest rates malloc and free were a third of a listener
 * thread's time.  Between cairn_jarena_begin() and cairn_jarena_end() a
 * thread's jansson allocations come from chunks that are reset, not freed
 * one by one.  Every allocation carries a header saying where it came
 * from, so a value made outside a scope may be freed inside one and the
 * other way round; only memory taken inside a scope must not be used after
 * the scope ends (AddressSanitizer builds poison it).
 */
#ifndef CAIRN_JARENA_H
#define CAIRN_JARENA_H

#include <stddef.h>

/* Makes jansson allocate through the arena's functions; call before any
 * other jansson use in the process (cairnd's main), at most once. */
void	cairn_jarena_install(void);
/* 1 once installed. */
int	cairn_jarena_installed(void);
/* Starts or ends this thread's scope (no-ops unless installed; scopes do
 * not nest: an inner begin is counted, and only the outer end resets). */
void	cairn_jarena_begin(void);
void	cairn_jarena_end(void);
/* Frees what jansson returned to be freed by its caller (json_dumps). */
void	cairn_json_free(void *p);
/* Bytes taken from this thread's arena in the current scope (tests). */
size_t	cairn_jarena_used(void);

#endif
