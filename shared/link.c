/* Role start-up; see shared/link.h. */
#include "shared/link.h"

#include <signal.h>
#include <stddef.h>

#include "shared/log.h"

void role_init(const char *role, const char *loglevel, void (*on_term)(int)) {
    int lvl = log_level_parse(loglevel);
    log_init(role, lvl < 0 ? LOG_NOTICE : lvl);
    struct sigaction sa = {0};
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}
