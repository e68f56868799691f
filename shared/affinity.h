/* CPU placement of the data path. With one batch in flight the engine and a frontend take
 * turns, so sharing one core costs no parallelism and saves the cross-core wake-ups and
 * cache-line moves of every ZeroMQ hand-off (measured: a stable 1.5-1.7 M SET/s at P=16 on
 * one core against 0.7-1.0 M when split across two). */
#ifndef VOLE_AFFINITY_H
#define VOLE_AFFINITY_H
#include <stddef.h>

/* spec: "auto" (the last CPU the process may use, when it may use more than one), "none",
 * or a list like "0-3,6". Returns 0, or -1 with a message in err. */
int cpu_affinity_check(const char *spec, char *err, size_t errlen);
/* Applies spec to the calling process (call before creating threads, so ZeroMQ's I/O
 * thread inherits it). Returns 0, or -1 with a message in err. */
int cpu_affinity_apply(const char *spec, char *err, size_t errlen);
#endif
