/* /metrics: the engine's INFO, the HTTP frontend's own counters and the supervisor's process
 * table in Prometheus text format (version 0.0.4). */
#ifndef VOLE_HTTP_METRICS_H
#define VOLE_HTTP_METRICS_H
#include <stddef.h>

#include "frontend-http/http_api.h"
#include "shared/buf.h"

void metrics_render(buf_t *out, const hapi_t *a, const char *info, size_t len);
#endif
