/* main() of the vole executable: parses the settings, then runs as the supervisor or, when
 * re-executed with --role NAME, as that one role. */
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

#include "engine/engine.h"
#include "engine/snapshot.h"
#include "frontend-http/frontend_http.h"
#include "frontend-resp/frontend_resp.h"
#include "persister/aof.h"
#include "persister/persister.h"
#include "scheduler/scheduler.h"
#include "shared/affinity.h"
#include "shared/config.h"
#include "supervisor/supervisor.h"

typedef int role_main_t(const vole_config_t *cfg);

static const struct {
    const char *name;
    role_main_t *run;
} s_roles[] = {
    {"engine", engine_main},
    {"frontend-resp", frontend_resp_main},
    {"persister", persister_main},
    {"scheduler", scheduler_main},
    {"frontend-http", frontend_http_main},
};

/* Tools run as subcommands of the one binary: `vole check-aof ...`. */
static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
} s_tools[] = {
    {"check-aof", aof_check_main},
    {"check-snapshot", snapshot_check_main},
    {"bench-snapshot", snapshot_bench_main}, /* tests/bench/snapshot.sh */
};
#define NROLES (sizeof s_roles / sizeof s_roles[0])

int main(int argc, char **argv) {
    const char *prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
    if (argc > 1)
        for (size_t i = 0; i < sizeof s_tools / sizeof s_tools[0]; i++)
            if (!strcmp(argv[1], s_tools[i].name)) return s_tools[i].run(argc - 1, argv + 1);
    static vole_config_t cfg;
    config_defaults(&cfg);
    int help = 0;
    char err[1024];
    if (config_parse_args(&cfg, argc, argv, &help, err, sizeof err) < 0) {
        fprintf(stderr, "vole: %s\n", err);
        fprintf(stderr, "Run '%s --help' to list the options.\n", prog);
        return 1;
    }
    if (help) {
        config_print_help(prog);
        return 0;
    }
    config_finish(&cfg);
    if (cpu_affinity_check(cfg.cpu_affinity, err, sizeof err) < 0) {
        fprintf(stderr, "vole: %s\n", err);
        return 1;
    }
    if (config_init_notify_keyspace_events(cfg.notify_keyspace_events) < 0) {
        fprintf(stderr, "vole: invalid notify-keyspace-events '%s' (use the letters of "
                        "Ag$lshzxeKEtmdn, as in Redis)\n", cfg.notify_keyspace_events);
        return 1;
    }

    if (cfg.role[0] == '\0') {
        const char *known[NROLES + 1];
        for (size_t i = 0; i < NROLES; i++) known[i] = s_roles[i].name;
        known[NROLES] = NULL;
        return supervisor_main(&cfg, argc, argv, known);
    }
    /* The supervisor executes /proc/self/exe, which would name every child "exe" in ps/top;
     * children carry the program's own name instead. */
    prctl(PR_SET_NAME, prog);
    /* the data path shares one core (see shared/affinity.h); other roles float */
    if ((!strcmp(cfg.role, "engine") || !strncmp(cfg.role, "frontend-", 9) ||
         !strcmp(cfg.role, "persister")) &&
        cpu_affinity_apply(cfg.cpu_affinity, err, sizeof err) < 0)
        fprintf(stderr, "vole: %s; running unpinned\n", err);
    for (size_t i = 0; i < NROLES; i++)
        if (strcmp(cfg.role, s_roles[i].name) == 0) return s_roles[i].run(&cfg);
    fprintf(stderr, "vole: unknown role '%s'\n", cfg.role);
    return 2;
}
