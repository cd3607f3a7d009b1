/*
 * confparse.h: the configuration parser behind config_load(), for callers
 * that already hold the text (the fuzz target, tests).
 */
#ifndef CAIRND_CONFPARSE_H
#define CAIRND_CONFPARSE_H

#include <stddef.h>

#include "cairnd.h"

#define CONFIG_MAXFILE		(1024 * 1024)	/* larger files are refused */
#define CONFIG_MAXLINE		4096		/* bytes, without the newline */
#define CONFIG_MAXLISTENERS	64
#define CONFIG_MAXPEERS		256		/* trusted_peers entries */

/* Skip the checks that look at the file system and the user database. */
#define CONFIG_NOFILES		0x1

/*
 * Parses and checks configuration text; path names the file in messages and
 * relative paths are resolved against its directory.  On success *cfg holds
 * the result (release with config_free()); on failure *cfg is left empty and
 * err says "path:line: what is wrong".  Returns 0, CAIRN_EINVAL,
 * CAIRN_ETOOBIG or CAIRN_ENOMEM.
 */
int	config_parse(const char *text, size_t len, const char *path, int flags,
	    struct config *cfg, char *err, size_t errlen);

#endif
