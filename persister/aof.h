/* The append-only files: a manifest naming an optional base snapshot and the segments that
 * follow it, and segments of checksummed, sequence-numbered effect units. Formats are in
 * docs/file-formats.md. Used by the persister and by `vole check-aof`. */
#ifndef VOLE_AOF_H
#define VOLE_AOF_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "shared/buf.h"

#define AOF_SEG_MAGIC "VOLEAOF1"  /* 8 bytes at the start of every segment */
#define AOF_SEG_HDR 8
#define AOF_REC_HDR 16             /* u32 len, u64 seq, u32 crc32c */
#define AOF_REC_MAX (512u << 20)   /* a unit larger than this is damage, not data */

typedef struct {
    char name[256];
    uint64_t first; /* first sequence number it may hold */
} aof_seg_ref_t;

typedef struct {
    int has_base;
    char base[256];    /* snapshot file in the AOF directory */
    uint64_t base_seq; /* effects <= base_seq are in the base */
    aof_seg_ref_t *segs;
    size_t nsegs, cap;
    uint64_t next_no; /* number for the next file name */
} aof_manifest_t;

void aof_manifest_init(aof_manifest_t *m);
void aof_manifest_free(aof_manifest_t *m);
void aof_manifest_add_seg(aof_manifest_t *m, const char *name, uint64_t first);
/* Reads dir/name; returns 1 when loaded, 0 when it does not exist, -1 with err when damaged. */
int aof_manifest_load(const char *dir, const char *name, aof_manifest_t *m, char *err,
                      size_t errlen);
/* Writes it safely (temp file, fsync, rename, directory fsync); 0 or -1 with err. */
int aof_manifest_save(const char *dir, const char *name, const aof_manifest_t *m, char *err,
                      size_t errlen);

/* Appends one record to b. */
void aof_put_record(buf_t *b, uint64_t seq, const void *p, uint32_t len);

/* Walks a segment: calls fn for every intact record (fn returning < 0 stops the walk with
 * AOF_STOPPED). Results: */
enum {
    AOF_OK = 0,       /* every byte belongs to an intact record, or to space reserved after
                         the last one (zeros: *good_end is then below the file's size) */
    AOF_TORN = 1,     /* the file ends inside its last record (an interrupted write), possibly
                         followed by reserved space: *good_end is where the intact records end */
    AOF_CORRUPT = -1, /* a damaged record with data after it: err names the offset */
    AOF_IOERR = -2,
    AOF_STOPPED = -3,
};
typedef int aof_rec_fn(void *ctx, uint64_t seq, const char *p, size_t len, off_t off);
int aof_scan(const char *path, aof_rec_fn *fn, void *ctx, off_t *good_end, uint64_t *nrecs,
             char *err, size_t errlen);

/* `vole check-aof [--fix] [DIR]`: verifies the manifest and every segment; with --fix cuts
 * a torn tail or everything from the first damaged record on. Exit code. */
int aof_check_main(int argc, char **argv);
/* Writes buf to fd completely (retrying short writes); 0 or -1 with errno. */
int aof_write_all(int fd, const char *p, size_t n);
/* The same at a file offset (pwrite). */
int aof_pwrite_all(int fd, const char *p, size_t n, off_t off);
#endif
