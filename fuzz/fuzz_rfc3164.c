/* fuzz_rfc3164.c: libFuzzer target for the RFC 3164 (BSD) syslog parser and the
 * message -> event conversion. */
#include "fuzz_syslog.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_syslog(data, size, 3164);
}
