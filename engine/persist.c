/* The engine's side of persistence: loading a snapshot file the persister names, and
 * SAVE/BGSAVE/BGREWRITEAOF/LASTSAVE and INFO persistence. */
#include <stdio.h>

#include "engine/engine.h"
#include "engine/snapshot.h"
#include "shared/log.h"
#include "shared/util.h"

/* Until engine/snapshot.c is merged the symbol may be absent; then loading a snapshot is an
 * error rather than a link failure. */
int snapshot_load_file(engine_t *e, const char *path, uint64_t *seq, snap_progress_fn *progress,
                       void *ctx, char *err, size_t errlen) __attribute__((weak));

static void s_load_progress(void *ctx, uint64_t keys, uint64_t bytes) {
    engine_t *e = ctx;
    log_notice("loading: %llu keys, %.1f MB read, %lld ms", (unsigned long long)keys,
               (double)bytes / 1e6, (long long)(now_ms() - e->loading_start_ms));
}

int engine_load_snapshot(engine_t *e, const char *path, uint64_t *seq, char *err, size_t errlen) {
    if (!snapshot_load_file) {
        snprintf(err, errlen, "this build cannot read snapshots");
        return -1;
    }
    log_notice("loading snapshot %s", path);
    return snapshot_load_file(e, path, seq, s_load_progress, e, err, errlen);
}
