/* cli.h: helpers shared by the cairn command's subcommands. */
#ifndef CAIRN_CLI_H
#define CAIRN_CLI_H

#include <stdint.h>

#include "cairn.h"
#include "keys.h"
#include "util.h"

/* mkdir -p: parents 0755, the last one with mode. */
int		 cli_mkdirs(const char *path, int mode);
/* The store directory: --store, else $CAIRN_STORE, else ./var/store. */
const char	*cli_store_dir(const char *opt);
/* The secret key path: --key, else $CAIRN_KEY, else <store>/../keys/cairn.key. */
const char	*cli_key_path(const char *opt, const char *store);
/* The passphrase: from --passphrase-file, --passphrase-fd, or the terminal.
 * Returns a sodium_malloc'd string (free with cli_passphrase_free) or NULL. */
char		*cli_passphrase(const char *file, int fd, const char *prompt,
		    int confirm);
void		 cli_passphrase_free(char *);
/* Loads a secret key, asking for a passphrase only if it is encrypted;
 * exits with a message on failure. */
struct cairn_seckey *cli_load_key(const char *path, const char *passfile,
		    int passfd);
/* Opens the store or exits with a message saying what to do. */
cairn_store	*cli_open_store(const char *dir, int flags);
/* Parses a decimal u64 (no sign, no junk) or exits with a message. */
uint64_t	 cli_u64(const char *what, const char *s);
/* The trusted public key for verification: --pubkey file, else the store's. */
int		 cli_pubkey(const char *path, struct cairn_pubkey *);
/* POSTs to cairnd's local API (the unix socket in the store directory):
 * 0 with the HTTP status and body, or -1 if cairnd cannot be reached. */
int		 cli_local_post(const char *store, const char *path,
		    const char *source, const char *ctype, const void *, size_t,
		    int *status, struct cairn_buf *resp);
/* POSTs a bodiless request to cairnd's local API in HTTP/1.0 and reads
 * the status and headers: the descriptor to read the rest of the body
 * from (it ends at end of file), the body bytes already read in first;
 * or -1 if cairnd cannot be reached or does not answer HTTP. */
int		 cli_local_stream(const char *store, const char *path,
		    const char *source, int *status, struct cairn_buf *first);
/* The source the CLI writes as: "cli:<user name>" (static storage). */
const char	*cli_source(void);
/* Prints err(3)-style messages with the subcommand's name. */
void		 cli_die(int rc, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3), noreturn));

extern const char *cli_cmd;	/* "cairn verify", for messages */

#endif
