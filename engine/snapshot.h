/* Snapshots: one versioned, zstd-compressed, checksummed binary file holding every database
 * (numbered ones and namespaces), every key with its type, value and TTL, and the engine's
 * other state (schemas, tags, cron jobs, webhooks, audit log...) as named sections. The
 * format is described in docs/file-formats.md.
 *
 * Types plug in through obj_type_t.save/load (engine/engine.h); other state through
 * snapshot_register_section(). Both use the primitives below, so adding a type or a section
 * never touches this file's code. Readers never trust what they read: every length and count
 * is checked against what is left, and a failure names what was wrong. */
#ifndef VOLE_SNAPSHOT_H
#define VOLE_SNAPSHOT_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/engine.h"

typedef struct snap_writer snap_writer_t;
typedef struct snap_reader snap_reader_t;

/* ---- primitives for types and sections ---- */
void snap_put_u8(snap_writer_t *w, uint8_t v);
void snap_put_u64(snap_writer_t *w, uint64_t v); /* variable length */
void snap_put_i64(snap_writer_t *w, int64_t v);  /* variable length, zigzag */
void snap_put_double(snap_writer_t *w, double v); /* exact (8 bytes) */
void snap_put_bytes(snap_writer_t *w, const void *p, size_t len); /* length + bytes */

/* Each returns 0, or -1 when the input is truncated or malformed (the reason is kept in the
 * reader; after a failure every later call fails too). */
int snap_get_u8(snap_reader_t *r, uint8_t *v);
int snap_get_u64(snap_reader_t *r, uint64_t *v);
int snap_get_i64(snap_reader_t *r, int64_t *v);
int snap_get_double(snap_reader_t *r, double *v);
/* *p points into the reader's buffer and stays valid until the next snap_get_* call. */
int snap_get_bytes(snap_reader_t *r, const char **p, size_t *len);
/* A count of items that each take at least one byte: fails when more than what is left. */
int snap_get_count(snap_reader_t *r, uint64_t *n);
/* A collection's size: a count that must be at least 1 (an empty list, set, hash or sorted
 * set never stays in the keyspace); fails with "empty <what>". */
int snap_get_size(snap_reader_t *r, uint64_t *n, const char *what);
/* Marks the input as malformed with a reason (for checks a type makes itself); returns -1. */
int snap_fail(snap_reader_t *r, const char *why);
/* What to pre-size a structure for after snap_get_count gave n: n itself, except that a
 * damaged count cannot make the reader allocate far beyond what the data could hold (the
 * structure then grows as items actually arrive). */
uint64_t snap_presize(const snap_reader_t *r, uint64_t n);
/* Names what is being read, for the failure message ("section 'cron'"). */
void snap_reader_set_context(snap_reader_t *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- sections: engine state that is not keys ---- */
typedef struct snap_section {
    const char *name; /* unique, stable: part of the file format */
    void (*save)(engine_t *e, snap_writer_t *w);
    int (*load)(engine_t *e, snap_reader_t *r); /* 0, or -1 (snap_fail) */
    /* Optional: drops what load put in e, when a later part of the file turns out damaged
     * (the engine must be left empty). */
    void (*clear)(engine_t *e);
} snap_section_t;
/* Call from a constructor. Unknown sections in a file are an error (a newer file). */
void snapshot_register_section(const snap_section_t *s);

/* ---- whole files ---- */
typedef void snap_progress_fn(void *ctx, uint64_t keys_done, uint64_t bytes_done);

/* Writes a snapshot of e at effect sequence seq to fd (not closed, not fsynced). Returns 0,
 * or -1 with err (a write error: errno is kept). */
int snapshot_write_fd(engine_t *e, int fd, uint64_t seq, char *err, size_t errlen);
/* Writes path safely: a temp file beside it, fsync, rename, fsync of the directory. */
int snapshot_save_file(engine_t *e, const char *path, uint64_t seq, char *err, size_t errlen);
/* Loads a snapshot into e (which should be empty); *seq gets the file's sequence. On any
 * damage returns -1 with a message naming what and where (byte offset) and leaves e empty.
 * progress (may be NULL) is called now and then during large loads. */
int snapshot_load_file(engine_t *e, const char *path, uint64_t *seq, snap_progress_fn *progress,
                       void *ctx, char *err, size_t errlen);
/* `vole check-snapshot FILE`: verifies the file and prints what it holds; exit code. */
int snapshot_check_main(int argc, char **argv);
/* `vole bench-snapshot COMMANDS.resp FILE` (engine/snapshot_bench.c): fills an in-process
 * engine from RESP commands, times saving and loading; used by tests/bench/snapshot.sh. */
int snapshot_bench_main(int argc, char **argv);
/* Tests only: the reader decompresses at most n bytes per refill (0: no limit), so that its
 * window moves all the time and a stale pointer shows as wrong data. */
void snapshot_debug_fill_chunk(size_t n);
#endif
