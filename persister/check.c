/* `vole check-aof [--fix] [DIR]`: explains the state of the append-only files and repairs
 * them on request. DIR is the AOF directory (default ./appendonlydir); the manifest is the
 * one *.manifest file in it. */
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "persister/aof.h"

typedef struct {
    uint64_t prev, first, count;
    off_t bad_off;
    int gap;
} s_walk_t;

static int s_walk(void *ctx, uint64_t seq, const char *p, size_t len, off_t off) {
    (void)p, (void)len;
    s_walk_t *w = ctx;
    if (w->prev && seq != w->prev + 1 && seq > w->prev) {
        w->gap = 1;
        w->bad_off = off;
        return -1;
    }
    if (!w->first) w->first = seq;
    if (seq > w->prev) w->prev = seq;
    w->count++;
    return 0;
}

static int s_find_manifest(const char *dir, char *name, size_t cap) {
    DIR *d = opendir(dir);
    if (!d) return -1;
    struct dirent *de;
    int found = 0;
    while ((de = readdir(d))) {
        size_t n = strlen(de->d_name);
        if (n > 9 && !strcmp(de->d_name + n - 9, ".manifest")) {
            snprintf(name, cap, "%s", de->d_name);
            found++;
        }
    }
    closedir(d);
    return found == 1 ? 0 : -1;
}

int aof_check_main(int argc, char **argv) {
    int fix = 0;
    const char *dir = "appendonlydir";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--fix")) fix = 1;
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: vole check-aof [--fix] [AOF-DIR]\n"
                   "Verifies the manifest and every segment of an append-only directory\n"
                   "(default ./appendonlydir). --fix cuts a torn tail, or everything from the\n"
                   "first damaged record on (the records after it are lost; they are counted).\n");
            return 0;
        } else dir = argv[i];
    }
    char mname[300], err[1600];
    if (s_find_manifest(dir, mname, sizeof mname) < 0) {
        fprintf(stderr, "check-aof: no single *.manifest file in %s\n", dir);
        return 1;
    }
    aof_manifest_t m;
    if (aof_manifest_load(dir, mname, &m, err, sizeof err) <= 0) {
        fprintf(stderr, "check-aof: %s\n", err);
        return 1;
    }
    printf("manifest %s/%s: %s, %zu segment(s)\n", dir, mname,
           m.has_base ? "base snapshot" : "no base", m.nsegs);
    int bad = 0;
    if (m.has_base) {
        char path[1400];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, m.base);
        if (stat(path, &st) < 0) {
            printf("  base %s: MISSING\n", m.base);
            bad = 1;
        } else {
            printf("  base %s: %lld bytes, effects up to %" PRIu64 " (check it with vole "
                   "check-snapshot)\n", m.base, (long long)st.st_size, m.base_seq);
        }
    }
    s_walk_t w = {m.has_base ? m.base_seq : 0, 0, 0, 0, 0};
    for (size_t i = 0; i < m.nsegs && !bad; i++) {
        char path[1400];
        snprintf(path, sizeof path, "%s/%s", dir, m.segs[i].name);
        struct stat st;
        if (stat(path, &st) < 0) {
            printf("  segment %s: MISSING\n", m.segs[i].name);
            bad = 1;
            break;
        }
        off_t good;
        uint64_t n;
        uint64_t before = w.count;
        int rc = aof_scan(path, s_walk, &w, &good, &n, err, sizeof err);
        if (w.gap) {
            printf("  segment %s: sequence gap at offset %lld (after effect %" PRIu64 ")\n",
                   m.segs[i].name, (long long)w.bad_off, w.prev);
            rc = AOF_CORRUPT;
            good = w.bad_off;
        }
        printf("  segment %s: %lld bytes, %" PRIu64 " records", m.segs[i].name,
               (long long)st.st_size, w.count - before);
        if (rc == AOF_OK) {
            if (good < st.st_size)
                printf(", intact (%lld bytes reserved after the data)\n",
                       (long long)(st.st_size - good));
            else
                printf(", intact\n");
            continue;
        }
        int last = i + 1 == m.nsegs;
        if (rc == AOF_TORN)
            printf(", TORN at offset %lld (%lld bytes of an incomplete write)%s\n",
                   (long long)good, (long long)(st.st_size - good),
                   last ? "; start-up cuts it by itself" : "");
        else
            printf(", DAMAGED: %s\n", err);
        if (!fix) {
            bad = 1;
            continue;
        }
        if (truncate(path, good) < 0) {
            perror("check-aof: truncate");
            return 1;
        }
        printf("  fixed: %s cut at offset %lld (%lld bytes removed)\n", m.segs[i].name,
               (long long)good, (long long)(st.st_size - good));
        if (!last) {
            /* later segments continue after what was lost: they cannot be replayed */
            for (size_t j = i + 1; j < m.nsegs; j++) {
                char f[1400];
                snprintf(f, sizeof f, "%s/%s", dir, m.segs[j].name);
                printf("  fixed: %s dropped (it follows the damage)\n", m.segs[j].name);
                unlink(f);
            }
            m.nsegs = i + 1;
            if (aof_manifest_save(dir, mname, &m, err, sizeof err) < 0) {
                fprintf(stderr, "check-aof: %s\n", err);
                return 1;
            }
        }
        break;
    }
    printf("%s: %" PRIu64 " effects", bad ? "NOT OK" : "OK", w.count);
    if (w.count) printf(" (%" PRIu64 "..%" PRIu64 ")", w.first, w.prev);
    printf("\n");
    aof_manifest_free(&m);
    return bad ? 1 : 0;
}
