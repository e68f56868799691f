/* Role start-up shared by every process other than the engine (log prefix, signals). The
 * engine link itself is shared/net.h's. */
#ifndef VOLE_LINK_H
#define VOLE_LINK_H

/* log_init with the role's name and the loglevel setting; handler gets SIGTERM and SIGINT;
 * SIGPIPE is ignored. */
void role_init(const char *role, const char *loglevel, void (*on_term)(int));
#endif
