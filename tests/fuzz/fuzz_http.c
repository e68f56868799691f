/* libFuzzer target for the HTTP frontend's request path: bytes are parsed as HTTP/1.1 requests
 * (pipelined, chunked, oversized), each request is routed and turned into engine commands, and
 * canned engine replies are rendered; with the first byte odd, the input is read as RESP3
 * replies and converted to JSON instead. Built and run by tests/fuzz/run.sh. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "frontend-http/http_api.h"
#include "frontend-http/http_parse.h"
#include "frontend-http/resp3.h"

static hapi_t s_api = {.cors_origin = "*", .run_dir = "", .engine_up = 1};

/* Answers every command of the job with a reply chosen from the request bytes. */
static void s_answer(hjob_t *j, unsigned seed) {
    static const char *const replies[] = {"+OK\r\n", ":42\r\n", "_\r\n", "$5\r\nhello\r\n",
                                          "-ERR boom\r\n", "*2\r\n$1\r\n0\r\n*1\r\n$1\r\nk\r\n",
                                          "%1\r\n$1\r\na\r\n,1.5\r\n",
                                          "*4\r\n:1\r\n:9\r\n:0\r\n:1000\r\n",
                                          ">3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n",
                                          "=10\r\ntxt:a:1\r\nb:2\r\n"};
    buf_t out;
    buf_init(&out);
    int n = j->ncmds + (j->sse ? j->sse_pending : 0);
    for (int i = 0; i < n + 2 && !j->done; i++) {
        const char *r = replies[(seed + (unsigned)i * 7) % (sizeof replies / sizeof *replies)];
        hapi_reply(&s_api, j, r, strlen(r), &out);
    }
    buf_free(&out);
}

static buf_t s_identity;
static unsigned s_seed;

static int s_on_head(void *ud, hreq_t *r) { return 0; }

static int s_on_request(void *ud, hreq_t *r) {
    hjob_t *j = hjob_new();
    hapi_route(&s_api, r, j, &s_identity);
    s_answer(j, s_seed++);
    hjob_free(j);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    if (data[0] & 1) {
        const char *p = (const char *)data + 1, *end = p + size - 1;
        while (p < end) {
            size_t used;
            if (r3_frame(p, (size_t)(end - p), &used) != 1) break;
            buf_t out;
            buf_init(&out);
            const char *q = p;
            r3_to_json(&out, &q, p + used);
            buf_free(&out);
            p += used;
        }
        return 0;
    }
    hparse_t hp;
    buf_init(&s_identity);
    s_seed = data[0];
    hparse_init(&hp, 2048, 4096, NULL, s_on_head, s_on_request);
    /* feed in two pieces to exercise requests split across reads */
    size_t half = (size - 1) / 2;
    size_t used = hparse_feed(&hp, (const char *)data + 1, half);
    if (used == half && !hp.status)
        hparse_feed(&hp, (const char *)data + 1 + half, size - 1 - half);
    hparse_free(&hp);
    buf_free(&s_identity);
    return 0;
}
