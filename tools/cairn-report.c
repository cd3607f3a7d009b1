/*
 * cairn-report: `cairn report` and `cairn verify-export`, which cairn(1)
 * runs from here.  They are the only verbs that need libxml2 and libxslt
 * (and, through them, ICU and libstdc++); loading those cost every other
 * verb about 4 ms at start (9.5 ms against 5.6 here), so they live in a
 * program of their own.  Not meant to be run by hand.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "cli.h"
#include "report.h"

int
main(int argc, char **argv)
{
	if (sodium_init() < 0)
		cli_die(1, "libsodium failed to initialise");
	if (argc >= 2 && strcmp(argv[1], "report") == 0) {
		cli_cmd = "cairn report";
		return cmd_report(argc - 1, argv + 1);
	}
	if (argc >= 2 && strcmp(argv[1], "verify-export") == 0) {
		cli_cmd = "cairn verify-export";
		return cmd_verify_export(argc - 1, argv + 1);
	}
	fprintf(stderr, "usage: cairn report ... | cairn verify-export ... "
	    "(cairn-report is run by cairn; see cairn(1))\n");
	return 2;
}
