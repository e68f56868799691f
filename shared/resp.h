/* RESP codec: the request parser used by frontends, the reply encoder used by the engine
 * (RESP2 and RESP3, chosen per client), and a reply scanner for clients and tests. */
#ifndef VOLE_RESP_H
#define VOLE_RESP_H
#include <stddef.h>
#include <stdint.h>

#include "shared/buf.h"

#define RESP_INLINE_MAX (64 * 1024) /* PROTO_INLINE_MAX_SIZE in Redis */

/* ---------- request parsing ---------- */
typedef struct {
    /* Arguments of the last parsed command; they point into the caller's input or, for
     * inline commands, into the parser's own scratch buffer. Valid until the next call. */
    const char **argv;
    size_t *argvlen;
    int argc, argv_cap;
    buf_t scratch;
    long long max_bulk_len; /* proto-max-bulk-len */
    int auth_required;      /* applies Redis's unauthenticated size limits */
} resp_parser_t;

enum { RESP_INCOMPLETE = 0, RESP_COMMAND = 1, RESP_EMPTY = 2, RESP_PROTO_ERROR = -1 };

void resp_parser_init(resp_parser_t *p, long long max_bulk_len);
void resp_parser_free(resp_parser_t *p);
/* Parses one request from data[0..len). Returns RESP_COMMAND (argc/argv set, *used bytes
 * consumed), RESP_EMPTY (an empty line or "*0"; *used consumed), RESP_INCOMPLETE (nothing
 * consumed) or RESP_PROTO_ERROR (*err is the full "-ERR Protocol error: ...\r\n" reply to
 * send before closing, as Redis does). */
int resp_parse_request(resp_parser_t *p, const char *data, size_t len, size_t *used,
                       const char **err);
/* Splits an inline command line as Redis's sdssplitargs does. Returns argc, or -1 for
 * unbalanced quotes. Arguments are stored in scratch. */
int resp_split_inline(resp_parser_t *p, const char *line, size_t len);

/* ---------- reply encoding ---------- */
void resp_simple(buf_t *b, const char *s, size_t n);
void resp_error(buf_t *b, const char *s, size_t n); /* s starts with the code, e.g. "ERR ..." */
void resp_int(buf_t *b, long long v);
void resp_bulk(buf_t *b, const char *s, size_t n);
void resp_bulk_ll(buf_t *b, long long v);
void resp_null(buf_t *b, int proto);       /* $-1 / _ */
void resp_null_array(buf_t *b, int proto); /* *-1 / _ */
void resp_array(buf_t *b, long long n);
void resp_map(buf_t *b, int proto, long long n); /* n pairs */
void resp_set(buf_t *b, int proto, long long n);
void resp_push(buf_t *b, int proto, long long n);
void resp_double(buf_t *b, int proto, double d);
void resp_bool(buf_t *b, int proto, int v);
void resp_verbatim(buf_t *b, int proto, const char *s, size_t n, const char *ext3);
void resp_bignum(buf_t *b, int proto, const char *s, size_t n);

/* ---------- reply scanning ----------
 * Returns the length of the complete reply at data[0..len), 0 if incomplete, -1 if it is
 * not valid RESP. */
long long resp_reply_length(const char *data, size_t len);
#endif
