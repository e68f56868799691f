/* The HTTP frontend role: the JSON API, Server-Sent Events, /metrics, /health and /ready,
 * speaking to the engine over the same ZeroMQ protocol as the RESP frontend. */
#ifndef VOLE_FRONTEND_HTTP_H
#define VOLE_FRONTEND_HTTP_H
struct vole_config;
/* Runs until SIGTERM; returns the process exit code. */
int frontend_http_main(const struct vole_config *cfg);
#endif
