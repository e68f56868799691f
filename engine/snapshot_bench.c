/* `vole bench-snapshot`: a hidden measuring tool. Fills an in-process engine from a file of
 * RESP commands (the same file tests/bench/snapshot.sh pipes into redis-server), then times
 * writing the snapshot and loading it into a fresh engine, and checks the loaded engine holds
 * as many keys. No server, no sockets: it measures the file format alone. */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/engine.h"
#include "engine/snapshot.h"
#include "shared/resp.h"
#include "shared/util.h"

static uint64_t s_keys(const engine_t *e) {
    uint64_t n = 0;
    for (int i = 0; i < e->ndbs; i++)
        n += dict_size(e->dbs[i].keys);
    return n;
}

/* Executes every command of the file; -1 when it is not RESP. */
static int s_fill(engine_t *e, const char *path, long long *ncmds) {
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        perror(path);
        if (fd >= 0) close(fd);
        return -1;
    }
    const char *data =
        st.st_size ? mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0) : "";
    close(fd);
    if (data == MAP_FAILED) {
        perror("mmap");
        return -1;
    }
    client_t *c = client_new(e, e->frontends, 1);
    resp_parser_t p;
    resp_parser_init(&p, 512LL << 20);
    size_t off = 0, len = (size_t)st.st_size;
    proto_arg_t *argv = NULL;
    int cap = 0, rc = 0;
    long long errors0 = e->stats.total_error_replies;
    /* as the loader: nothing is recorded (no effect stream consumer here) and loading does
     * not refuse its commands */
    client_t *loader = e->loader;
    e->loader = c;
    e->loading = 1;
    while (off < len) {
        size_t used;
        const char *err;
        int r = resp_parse_request(&p, data + off, len - off, &used, &err);
        if (r == RESP_INCOMPLETE || r == RESP_PROTO_ERROR) {
            fprintf(stderr, "bench-snapshot: %s: not RESP at byte %zu\n", path, off);
            rc = -1;
            break;
        }
        off += used;
        if (r != RESP_COMMAND) continue;
        if (p.argc > cap) {
            cap = p.argc * 2;
            argv = realloc(argv, (size_t)cap * sizeof *argv);
            if (!argv) abort();
        }
        for (int i = 0; i < p.argc; i++)
            argv[i] = (proto_arg_t){p.argv[i], p.argvlen[i]};
        e->now_ms = now_ms();
        engine_execute(e, c, p.argc, argv);
        c->fe->out.len = 0; /* replies go nowhere */
        c->fe->out_client = NULL;
        c->fe->out_count = 0;
        (*ncmds)++;
    }
    e->loading = 0;
    e->loader = loader;
    if (e->stats.total_error_replies != errors0) {
        fprintf(stderr, "bench-snapshot: %lld commands failed\n",
                e->stats.total_error_replies - errors0);
        rc = -1;
    }
    free(argv);
    resp_parser_free(&p);
    client_free(e, c);
    if (len) munmap((void *)data, len);
    return rc;
}

/* `--load FILE`: only loads (for profiling the reader). */
static int s_load_only(const char *path) {
    engine_t *f = engine_new_for_test();
    char err[1024];
    int64_t t0 = mono_us();
    if (snapshot_load_file(f, path, NULL, NULL, NULL, err, sizeof err) < 0) {
        fprintf(stderr, "bench-snapshot: %s\n", err);
        return 1;
    }
    printf("keys=%" PRIu64 " load_ms=%.1f\n", s_keys(f), (double)(mono_us() - t0) / 1000.0);
    engine_free_for_test(f);
    return 0;
}

int snapshot_bench_main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "--load") == 0) return s_load_only(argv[2]);
    if (argc != 3) {
        fprintf(stderr, "usage: vole bench-snapshot COMMANDS.resp SNAPSHOT-FILE\n"
                        "Runs the commands in an in-process engine, then times saving it to "
                        "SNAPSHOT-FILE and loading that into a fresh engine.\n");
        return 1;
    }
    engine_t *e = engine_new_for_test();
    long long ncmds = 0;
    int64_t t0 = mono_us();
    if (s_fill(e, argv[1], &ncmds) < 0) return 1;
    int64_t tf = mono_us();
    char err[1024];
    /* the format's own cost: serialising and compressing into /dev/null */
    int null = open("/dev/null", O_WRONLY);
    int64_t tw = mono_us();
    if (null < 0 || snapshot_write_fd(e, null, 1, err, sizeof err) < 0) {
        fprintf(stderr, "bench-snapshot: %s\n", null < 0 ? "cannot open /dev/null" : err);
        return 1;
    }
    tw = mono_us() - tw;
    close(null);
    int64_t t1 = mono_us();
    if (snapshot_save_file(e, argv[2], 1, err, sizeof err) < 0) {
        fprintf(stderr, "bench-snapshot: %s\n", err);
        return 1;
    }
    int64_t t2 = mono_us();
    uint64_t keys = s_keys(e);
    engine_free_for_test(e);

    engine_t *f = engine_new_for_test();
    int64_t t3 = mono_us();
    uint64_t seq = 0;
    if (snapshot_load_file(f, argv[2], &seq, NULL, NULL, err, sizeof err) < 0) {
        fprintf(stderr, "bench-snapshot: %s\n", err);
        return 1;
    }
    int64_t t4 = mono_us();
    uint64_t loaded = s_keys(f);
    engine_free_for_test(f);
    struct stat st;
    stat(argv[2], &st);
    printf("commands=%lld fill_ms=%.1f keys=%" PRIu64 " write_ms=%.1f save_ms=%.1f load_ms=%.1f "
           "file_bytes=%lld loaded_keys=%" PRIu64 "\n",
           ncmds, (double)(tf - t0) / 1000.0, keys, (double)tw / 1000.0, (double)(t2 - t1) / 1000.0,
           (double)(t4 - t3) / 1000.0, (long long)st.st_size, loaded);
    return loaded == keys ? 0 : 1;
}
