/* The scheduler role (DESIGN.md §7): cron timing and webhook delivery, in its own process so
 * that a slow endpoint, a failing job or a crash of this process never slows the engine.
 *
 * Files: scheduler.c owns the process loop, the engine link (a ZeroMQ DEALER, like a
 * frontend) and the internal client that sends commands; webhooks.c delivers the
 * STREAM_WEBHOOKS outbox with libcurl; cron.c keeps the job timing. */
#ifndef VOLE_SCHEDULER_H
#define VOLE_SCHEDULER_H
#include <stddef.h>
#include <stdint.h>

#include "shared/buf.h"

struct vole_config;
/* Runs until SIGTERM; returns the process exit code. */
int scheduler_main(const struct vole_config *cfg);

/* ---- shared between the scheduler's files ---- */

/* A reply to an internal command: raw RESP bytes (len 0 when the engine went away before
 * answering: the command may or may not have run). */
typedef void sched_reply_fn(void *ctx, const char *resp, size_t len);

/* Queues a command for the engine (argv copied); replies come back in order through fn. */
void sched_command(int argc, const char *const *argv, const size_t *lens, sched_reply_fn *fn,
                   void *ctx);
/* The same with C strings. */
void sched_command_cstr(int argc, const char *const *argv, sched_reply_fn *fn, void *ctx);
/* Commands queued or in flight. */
size_t sched_pending_commands(void);
/* Sends a stream message (SUB or ACK) to the engine; -1 when the link is down. */
int sched_send_ctl(uint8_t type, uint8_t stream, uint64_t a, uint64_t b);
/* Is the engine link up, and has the engine answered our hello? */
int sched_engine_ready(void);

/* RESP helpers for replies: an error reply, and a one-line rendering of any reply for
 * logs and CRON.INFO (at most cap-1 bytes). */
int sched_reply_is_error(const char *resp, size_t len);
void sched_reply_summary(const char *resp, size_t len, char *out, size_t cap);

/* webhooks.c */
int webhooks_init(const struct vole_config *cfg);
void webhooks_shutdown(void);
/* The engine (re)answered our hello: run is its run id (a new one: the engine restarted). */
void webhooks_on_engine(const char *run_id, int same_run);
void webhooks_on_link_down(void);
void webhooks_on_data(const char *data, size_t len);
void webhooks_on_gap(uint64_t oldest, uint64_t last);
/* Drives transfers and timers; returns the ms until it wants to run again (<= cap). */
long webhooks_run(long cap_ms);
/* curl's file descriptors are waited on with curl_multi_poll in the main loop. */
void *webhooks_multi(void);
/* Appends "name value" stats for VOLE.SCHEDULER-STATS. */
int webhooks_stats(const char **names, long long *values, int cap);

/* cron.c */
void cron_init(const struct vole_config *cfg);
void cron_shutdown(void);
void cron_on_engine(void); /* (re)connected: read the table again */
void cron_on_link_down(void);
/* Polls the job table and runs what is due; returns the ms until it wants to run again. */
long cron_run(long cap_ms);
int cron_stats(const char **names, long long *values, int cap);
#endif
