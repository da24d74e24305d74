/* log.c - leveled logging to stderr. */
#include "core.h"

#include <stdatomic.h>
#include <stdio.h>

static _Atomic int log_level = VG_LOG_WARN;

void vg_log_set_level(enum vg_log_level lvl) { atomic_store(&log_level, (int)lvl); }
enum vg_log_level vg_log_get_level(void) { return (enum vg_log_level)atomic_load(&log_level); }

void vg_log(enum vg_log_level lvl, const char *fmt, ...)
{
	static const char *names[] = {"error", "warning", "info", "debug"};
	if ((int)lvl > atomic_load(&log_level))
		return;
	char line[2048];
	int n = snprintf(line, sizeof line, "vigil: %s: ", names[lvl]);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
	va_end(ap);
	/* One fputs per line: stdio locks the stream, so lines do not interleave. */
	flockfile(stderr);
	fputs(line, stderr);
	fputc('\n', stderr);
	funlockfile(stderr);
}
