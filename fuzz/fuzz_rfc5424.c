/* fuzz_rfc5424.c: libFuzzer target for the RFC 5424 syslog parser and the
 * message -> event conversion. */
#include "fuzz_syslog.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_syslog(data, size, 5424);
}
