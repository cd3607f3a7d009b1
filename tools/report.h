/* report.h: the export verbs of cairn(1) (tools/report.c). */
#ifndef CAIRN_REPORT_H
#define CAIRN_REPORT_H

#include <stddef.h>
#include <stdint.h>

int	cmd_report(int, char **);
int	cmd_verify_export(int, char **);
/* The HTML rendering of an export (schemas/export-1.xsl, libxslt). */
int	report_html(const char *export_path, const char *html_path, char *err,
	    size_t errlen);

#endif
