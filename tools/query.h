/* query.h: the cairn verbs that read entries back: history, search, tail,
 * verify-proof (query.c). */
#ifndef CAIRN_TOOLS_QUERY_H
#define CAIRN_TOOLS_QUERY_H

int	cmd_history(int, char **);
int	cmd_search(int, char **);
int	cmd_tail(int, char **);
int	cmd_verify_proof(int, char **);

/* The verb's usage (cairn.c): to stdout with rc 0, else stderr; exits. */
void	verb_usage(int rc) __attribute__((noreturn));

#endif
