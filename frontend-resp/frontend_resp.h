/* The RESP frontend role: client sockets, RESP parsing, batching to the engine. */
#ifndef VOLE_FRONTEND_RESP_H
#define VOLE_FRONTEND_RESP_H
struct vole_config;
/* Runs until SIGTERM; returns the process exit code. */
int frontend_resp_main(const struct vole_config *cfg);
#endif
