/* Unit tests of shared/proto.c: round trips of every message type and record kind, and
 * rejection of truncated, foreign, wrong-version, trailing-garbage, absurd and random input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "shared/buf.h"
#include "shared/proto.h"

/* ---------- helpers ---------- */

/* Runs the decoder on a private heap copy so that any read past the end is caught by
 * sanitizers; checks the "nothing half-decoded" promise on failure. */
static int s_decode_copy(proto_batch_t *pb, const void *data, size_t len, const char **why) {
    char *copy = malloc(len ? len : 1);
    memcpy(copy, data, len);
    *why = NULL;
    int rc = proto_batch_decode(pb, copy, len, why);
    if (rc == 0) {
        /* every pointer must stay inside the message */
        for (size_t i = 0; i < pb->nargs; i++)
            assert_true(pb->args[i].ptr >= copy && pb->args[i].ptr + pb->args[i].len <= copy + len);
        for (size_t i = 0; i < pb->nrecs; i++) {
            const proto_rec_t *r = &pb->recs[i];
            if (r->s1) assert_true(r->s1 >= copy && r->s1 + r->s1len <= copy + len);
            if (r->s2) assert_true(r->s2 >= copy && r->s2 + r->s2len <= copy + len);
            if (pb->recs[i].kind == REC_CMD)
                assert_true((size_t)pb->recs[i].arg0 + pb->recs[i].argc <= pb->nargs);
        }
    } else {
        assert_int_equal(rc, -1);
        assert_non_null(*why);
        assert_int_equal(pb->nrecs, 0);
        assert_int_equal(pb->nargs, 0);
    }
    free(copy);
    return rc;
}

/* Iterates a reply message to the end on a heap copy; returns the number of records, or -1
 * when the iterator reported the message malformed. */
static int s_reply_count_copy(const void *data, size_t len) {
    char *copy = malloc(len ? len : 1);
    memcpy(copy, data, len);
    proto_reply_iter_t it;
    proto_header_t h;
    const char *why = NULL;
    int n = 0, rc;
    if (proto_reply_iter_init(&it, copy, len, &h, &why) != 0) {
        assert_non_null(why);
        free(copy);
        return -1;
    }
    uint32_t client;
    uint8_t flags;
    const char *p;
    size_t plen;
    while ((rc = proto_reply_next(&it, &client, &flags, &p, &plen)) == 1) {
        assert_true(p >= copy && p + plen <= copy + len);
        n++;
    }
    free(copy);
    return rc == 0 ? n : -1;
}

/* A batch with every record kind, including binary and empty arguments. */
static void s_build_batch(buf_t *b) {
    proto_begin(b, MSG_CMD_BATCH);
    proto_put_open(b, 7, "127.0.0.1:5555", "127.0.0.1:7379", CONN_F_TLS | CONN_F_UNIX);
    proto_put_cmd_start(b, 7, 3);
    proto_put_arg(b, "SET", 3);
    proto_put_arg(b, "k\0\xff", 3);
    proto_put_arg(b, "", 0);
    proto_put_cmd_start(b, 0xffffffffu, 1);
    proto_put_arg(b, "PING", 4);
    proto_put_err_close(b, 9, "-ERR Protocol error: x\r\n", 24);
    proto_put_close(b, 7);
    proto_put_open(b, 10, "", "", 0);
    proto_finish(b, 6);
}

/* ---------- round trips ---------- */

static void test_header(void **state) {
    (void)state;
    buf_t b;
    buf_init(&b);
    proto_begin(&b, MSG_PUSH);
    assert_int_equal(b.len, PROTO_HEADER_SIZE);
    proto_finish(&b, 0x01020304u);
    proto_header_t h;
    const char *why = NULL;
    assert_int_equal(proto_header_parse(b.data, b.len, &h, &why), 0);
    assert_int_equal(h.type, MSG_PUSH);
    assert_int_equal(h.count, 0x01020304u);
    /* little-endian on the wire whatever the host */
    assert_int_equal((uint8_t)b.data[0], PROTO_MAGIC & 0xff);
    assert_int_equal((uint8_t)b.data[1], PROTO_MAGIC >> 8);
    assert_int_equal((uint8_t)b.data[2], PROTO_VERSION);
    assert_int_equal((uint8_t)b.data[4], 0x04);
    assert_int_equal((uint8_t)b.data[7], 0x01);
    /* proto_begin clears what was there */
    buf_append(&b, "junk", 4);
    proto_begin(&b, MSG_CMD_BATCH);
    assert_int_equal(b.len, PROTO_HEADER_SIZE);
    buf_free(&b);
}

static void test_hello_round_trip(void **state) {
    (void)state;
    buf_t b;
    buf_init(&b);
    proto_put_hello(&b, "frontend-resp", "inst-42");
    proto_header_t h;
    const char *why;
    assert_int_equal(proto_header_parse(b.data, b.len, &h, &why), 0);
    assert_int_equal(h.type, MSG_FE_HELLO);
    char role[32], inst[32];
    assert_int_equal(proto_get_hello(b.data, b.len, role, sizeof role, inst, sizeof inst), 0);
    assert_string_equal(role, "frontend-resp");
    assert_string_equal(inst, "inst-42");
    /* small destinations truncate, always NUL-terminated */
    char r4[4], i2[2];
    assert_int_equal(proto_get_hello(b.data, b.len, r4, sizeof r4, i2, sizeof i2), 0);
    assert_string_equal(r4, "fro");
    assert_string_equal(i2, "i");
    /* empty strings */
    proto_put_hello(&b, "", "");
    assert_int_equal(proto_get_hello(b.data, b.len, role, sizeof role, inst, sizeof inst), 0);
    assert_string_equal(role, "");
    assert_string_equal(inst, "");
    /* every truncation is refused */
    proto_put_hello(&b, "engine", "x");
    for (size_t cut = 0; cut < b.len; cut++) {
        char *part = malloc(cut ? cut : 1);
        memcpy(part, b.data, cut);
        int rc = proto_get_hello(part, cut, role, sizeof role, inst, sizeof inst);
        free(part);
        if (rc != -1) fail_msg("hello cut at %zu accepted", cut);
    }
    buf_free(&b);
}

static void test_batch_round_trip(void **state) {
    (void)state;
    buf_t b;
    buf_init(&b);
    s_build_batch(&b);
    proto_batch_t pb;
    proto_batch_init(&pb);
    const char *why;
    assert_int_equal(s_decode_copy(&pb, b.data, b.len, &why), 0);
    /* decode again on the original buffer to look at pointers into it */
    assert_int_equal(proto_batch_decode(&pb, b.data, b.len, &why), 0);
    assert_int_equal(pb.nrecs, 6);
    assert_int_equal(pb.nargs, 4);

    proto_rec_t *r = &pb.recs[0];
    assert_int_equal(r->kind, REC_OPEN);
    assert_int_equal(r->client, 7);
    assert_int_equal(r->s1len, 14);
    assert_memory_equal(r->s1, "127.0.0.1:5555", 14);
    assert_int_equal(r->s2len, 14);
    assert_memory_equal(r->s2, "127.0.0.1:7379", 14);
    assert_int_equal(r->flags, CONN_F_TLS | CONN_F_UNIX);

    r = &pb.recs[1];
    assert_int_equal(r->kind, REC_CMD);
    assert_int_equal(r->client, 7);
    assert_int_equal(r->argc, 3);
    assert_int_equal(r->arg0, 0);
    assert_int_equal(pb.args[0].len, 3);
    assert_memory_equal(pb.args[0].ptr, "SET", 3);
    assert_int_equal(pb.args[1].len, 3);
    assert_memory_equal(pb.args[1].ptr, "k\0\xff", 3);
    assert_int_equal(pb.args[2].len, 0);

    r = &pb.recs[2];
    assert_int_equal(r->kind, REC_CMD);
    assert_int_equal(r->client, 0xffffffffu);
    assert_int_equal(r->argc, 1);
    assert_int_equal(r->arg0, 3);
    assert_memory_equal(pb.args[3].ptr, "PING", 4);

    r = &pb.recs[3];
    assert_int_equal(r->kind, REC_ERR_CLOSE);
    assert_int_equal(r->client, 9);
    assert_int_equal(r->s1len, 24);
    assert_memory_equal(r->s1, "-ERR Protocol error: x\r\n", 24);

    r = &pb.recs[4];
    assert_int_equal(r->kind, REC_CLOSE);
    assert_int_equal(r->client, 7);

    r = &pb.recs[5];
    assert_int_equal(r->kind, REC_OPEN);
    assert_int_equal(r->client, 10);
    assert_int_equal(r->s1len, 0);
    assert_int_equal(r->s2len, 0);
    assert_int_equal(r->flags, 0);

    /* the decoder state is reusable: an empty batch decodes to nothing */
    proto_begin(&b, MSG_CMD_BATCH);
    proto_finish(&b, 0);
    assert_int_equal(s_decode_copy(&pb, b.data, b.len, &why), 0);
    assert_int_equal(pb.nrecs, 0);
    assert_int_equal(pb.nargs, 0);
    proto_batch_free(&pb);
    buf_free(&b);
}

static void test_batch_large(void **state) {
    (void)state;
    /* many records and arguments: the record and argument arrays grow */
    buf_t b;
    buf_init(&b);
    proto_begin(&b, MSG_CMD_BATCH);
    uint32_t n = 5000;
    for (uint32_t i = 0; i < n; i++) {
        char num[16];
        int k = snprintf(num, sizeof num, "%u", i);
        proto_put_cmd_start(&b, i, 3);
        proto_put_arg(&b, "SET", 3);
        proto_put_arg(&b, num, (uint32_t)k);
        proto_put_arg(&b, num, (uint32_t)k);
    }
    /* and one command with a big argument vector */
    proto_put_cmd_start(&b, 1, 2000);
    for (int i = 0; i < 2000; i++) proto_put_arg(&b, "a", 1);
    /* and a big argument */
    char *big = malloc(1 << 20);
    memset(big, 'v', 1 << 20);
    proto_put_cmd_start(&b, 2, 1);
    proto_put_arg(&b, big, 1 << 20);
    proto_finish(&b, n + 2);
    proto_batch_t pb;
    proto_batch_init(&pb);
    const char *why;
    assert_int_equal(proto_batch_decode(&pb, b.data, b.len, &why), 0);
    assert_int_equal(pb.nrecs, n + 2);
    assert_int_equal(pb.nargs, n * 3 + 2000 + 1);
    assert_int_equal(pb.recs[4999].client, 4999);
    assert_memory_equal(pb.args[pb.recs[4999].arg0 + 2].ptr, "4999", 4);
    assert_int_equal(pb.recs[n].argc, 2000);
    assert_int_equal(pb.args[pb.nargs - 1].len, 1 << 20);
    assert_memory_equal(pb.args[pb.nargs - 1].ptr, big, 1 << 20);
    free(big);
    proto_batch_free(&pb);
    buf_free(&b);
}

static void s_build_replies(buf_t *b, uint8_t type) {
    proto_begin(b, type);
    size_t at = proto_reply_begin(b, 7, 0);
    buf_append(b, "+OK\r\n", 5);
    proto_reply_end(b, at);
    at = proto_reply_begin(b, 8, REPLY_F_CLOSE);
    proto_reply_end(b, at); /* an empty record */
    at = proto_reply_begin(b, 0xfffffffeu, 0);
    buf_append(b, "$3\r\na\0b\r\n", 9);
    buf_append(b, ":1\r\n", 4);
    proto_reply_end(b, at);
    proto_finish(b, 3);
}

static void test_reply_round_trip(void **state) {
    (void)state;
    uint8_t types[] = {MSG_REPLY_BATCH, MSG_PUSH};
    for (int t = 0; t < 2; t++) {
        buf_t b;
        buf_init(&b);
        s_build_replies(&b, types[t]);
        proto_reply_iter_t it;
        proto_header_t h;
        const char *why;
        assert_int_equal(proto_reply_iter_init(&it, b.data, b.len, &h, &why), 0);
        assert_int_equal(h.type, types[t]);
        assert_int_equal(h.count, 3);
        uint32_t client;
        uint8_t flags;
        const char *p;
        size_t len;
        assert_int_equal(proto_reply_next(&it, &client, &flags, &p, &len), 1);
        assert_int_equal(client, 7);
        assert_int_equal(flags, 0);
        assert_int_equal(len, 5);
        assert_memory_equal(p, "+OK\r\n", 5);
        assert_int_equal(proto_reply_next(&it, &client, &flags, &p, &len), 1);
        assert_int_equal(client, 8);
        assert_int_equal(flags, REPLY_F_CLOSE);
        assert_int_equal(len, 0);
        assert_int_equal(proto_reply_next(&it, &client, &flags, &p, &len), 1);
        assert_int_equal(client, 0xfffffffeu);
        assert_int_equal(len, 13);
        assert_memory_equal(p, "$3\r\na\0b\r\n:1\r\n", 13);
        assert_int_equal(proto_reply_next(&it, &client, &flags, &p, &len), 0);
        assert_int_equal(proto_reply_next(&it, &client, &flags, &p, &len), 0);
        assert_int_equal(s_reply_count_copy(b.data, b.len), 3);
        /* an empty reply batch (the engine always answers a batch, maybe with nothing) */
        proto_begin(&b, types[t]);
        proto_finish(&b, 0);
        assert_int_equal(s_reply_count_copy(b.data, b.len), 0);
        buf_free(&b);
    }
}

/* ---------- rejection ---------- */

static void test_truncated(void **state) {
    (void)state;
    buf_t b;
    buf_init(&b);
    s_build_batch(&b);
    proto_batch_t pb;
    proto_batch_init(&pb);
    const char *why;
    for (size_t cut = 0; cut < b.len; cut++)
        if (s_decode_copy(&pb, b.data, cut, &why) != -1) fail_msg("batch cut at %zu accepted", cut);
    s_build_replies(&b, MSG_REPLY_BATCH);
    for (size_t cut = 0; cut < b.len; cut++)
        if (s_reply_count_copy(b.data, cut) != -1) fail_msg("reply cut at %zu accepted", cut);
    proto_batch_free(&pb);
    buf_free(&b);
}

static void test_foreign_and_version(void **state) {
    (void)state;
    buf_t b;
    buf_init(&b);
    s_build_batch(&b);
    proto_batch_t pb;
    proto_batch_init(&pb);
    proto_header_t h;
    const char *why;

    b.data[0] ^= 0x01; /* magic */
    assert_int_equal(proto_header_parse(b.data, b.len, &h, &why), -1);
    assert_int_equal(s_decode_copy(&pb, b.data, b.len, &why), -1);
    b.data[0] ^= 0x01;
    b.data[1] ^= 0x80;
    assert_int_equal(s_decode_copy(&pb, b.data, b.len, &why), -1);
    b.data[1] ^= 0x80;

    b.data[2] = PROTO_VERSION + 1; /* version */
    assert_int_equal(proto_header_parse(b.data, b.len, &h, &why), -1);
    assert_int_equal(s_decode_copy(&pb, b.data, b.len, &why), -1);
    b.data[2] = 0;
    assert_int_equal(s_decode_copy(&pb, b.data, b.len, &why), -1);
    b.data[2] = PROTO_VERSION;
    assert_int_equal(s_decode_copy(&pb, b.data, b.len, &why), 0);

    /* a text frame (e.g. something else talking to the socket) */
    const char *text = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    assert_int_equal(s_decode_copy(&pb, text, strlen(text), &why), -1);
    assert_int_equal(s_reply_count_copy(text, strlen(text)), -1);

    /* the right header for the wrong decoder */
    b.data[3] = MSG_REPLY_BATCH;
    assert_int_equal(s_decode_copy(&pb, b.data, b.len, &why), -1);
    b.data[3] = MSG_FE_HELLO;
    assert_int_equal(s_decode_copy(&pb, b.data, b.len, &why), -1);
    b.data[3] = 99;
    assert_int_equal(s_decode_copy(&pb, b.data, b.len, &why), -1);
    b.data[3] = MSG_CMD_BATCH;
    assert_int_equal(s_reply_count_copy(b.data, b.len), -1);
    s_build_replies(&b, MSG_REPLY_BATCH);
    b.data[0] ^= 0x10;
    assert_int_equal(s_reply_count_copy(b.data, b.len), -1);
    b.data[0] ^= 0x10;
    b.data[2]++;
    assert_int_equal(s_reply_count_copy(b.data, b.len), -1);
    proto_batch_free(&pb);
    buf_free(&b);
}

static void test_trailing_garbage(void **state) {
    (void)state;
    buf_t b;
    buf_init(&b);
    proto_batch_t pb;
    proto_batch_init(&pb);
    const char *why;
    s_build_batch(&b);
    buf_append(&b, "x", 1);
    assert_int_equal(s_decode_copy(&pb, b.data, b.len, &why), -1);
    /* a count smaller than the records present leaves trailing bytes too */
    s_build_batch(&b);
    proto_finish(&b, 5);
    assert_int_equal(s_decode_copy(&pb, b.data, b.len, &why), -1);
    /* an empty batch with a stray byte */
    proto_begin(&b, MSG_CMD_BATCH);
    proto_finish(&b, 0);
    buf_append(&b, "\0", 1);
    assert_int_equal(s_decode_copy(&pb, b.data, b.len, &why), -1);
    /* replies */
    s_build_replies(&b, MSG_PUSH);
    buf_append(&b, "zz", 2);
    assert_int_equal(s_reply_count_copy(b.data, b.len), -1);
    s_build_replies(&b, MSG_PUSH);
    proto_finish(&b, 2);
    assert_int_equal(s_reply_count_copy(b.data, b.len), -1);
    proto_batch_free(&pb);
    buf_free(&b);
}

static void test_absurd_counts(void **state) {
    (void)state;
    buf_t b;
    buf_init(&b);
    proto_batch_t pb;
    proto_batch_init(&pb);
    const char *why;
    /* a record count far beyond the data */
    s_build_batch(&b);
    proto_finish(&b, 0xffffffffu);
    assert_int_equal(s_decode_copy(&pb, b.data, b.len, &why), -1);
    proto_begin(&b, MSG_CMD_BATCH);
    proto_finish(&b, 0xffffffffu);
    assert_int_equal(s_decode_copy(&pb, b.data, b.len, &why), -1);
    /* an argc far beyond the data must not allocate for it */
    proto_begin(&b, MSG_CMD_BATCH);
    proto_put_cmd_start(&b, 1, 0xffffffffu);
    proto_put_arg(&b, "GET", 3);
    proto_finish(&b, 1);
    assert_int_equal(s_decode_copy(&pb, b.data, b.len, &why), -1);
    proto_begin(&b, MSG_CMD_BATCH);
    proto_put_cmd_start(&b, 1, 0x40000000u);
    for (int i = 0; i < 100; i++) proto_put_arg(&b, "", 0);
    proto_finish(&b, 1);
    assert_int_equal(s_decode_copy(&pb, b.data, b.len, &why), -1);
    /* a command without arguments is malformed */
    proto_begin(&b, MSG_CMD_BATCH);
    proto_put_cmd_start(&b, 1, 0);
    proto_finish(&b, 1);
    assert_int_equal(s_decode_copy(&pb, b.data, b.len, &why), -1);
    /* an argument length beyond the data */
    proto_begin(&b, MSG_CMD_BATCH);
    proto_put_cmd_start(&b, 1, 1);
    buf_put_u32(&b, 0xffffffffu);
    buf_append(&b, "GET", 3);
    proto_finish(&b, 1);
    assert_int_equal(s_decode_copy(&pb, b.data, b.len, &why), -1);
    /* an ERR_CLOSE length beyond the data */
    proto_begin(&b, MSG_CMD_BATCH);
    buf_put_u8(&b, REC_ERR_CLOSE);
    buf_put_u32(&b, 1);
    buf_put_u32(&b, 0x7fffffffu);
    buf_append(&b, "-ERR\r\n", 6);
    proto_finish(&b, 1);
    assert_int_equal(s_decode_copy(&pb, b.data, b.len, &why), -1);
    /* OPEN strings longer than the data */
    proto_begin(&b, MSG_CMD_BATCH);
    buf_put_u8(&b, REC_OPEN);
    buf_put_u32(&b, 1);
    buf_put_u16(&b, 0xffff);
    buf_append(&b, "1.2.3.4", 7);
    proto_finish(&b, 1);
    assert_int_equal(s_decode_copy(&pb, b.data, b.len, &why), -1);
    /* unknown record kinds */
    uint8_t kinds[] = {0, 5, 0x80, 0xff};
    for (size_t i = 0; i < sizeof kinds; i++) {
        proto_begin(&b, MSG_CMD_BATCH);
        buf_put_u8(&b, kinds[i]);
        buf_put_u32(&b, 1);
        proto_finish(&b, 1);
        assert_int_equal(s_decode_copy(&pb, b.data, b.len, &why), -1);
    }
    /* replies: absurd record count and record length */
    s_build_replies(&b, MSG_REPLY_BATCH);
    proto_finish(&b, 0xffffffffu);
    assert_int_equal(s_reply_count_copy(b.data, b.len), -1);
    proto_begin(&b, MSG_REPLY_BATCH);
    buf_put_u32(&b, 1);
    buf_put_u8(&b, 0);
    buf_put_u32(&b, 0xffffffffu);
    buf_append(&b, "+OK\r\n", 5);
    proto_finish(&b, 1);
    assert_int_equal(s_reply_count_copy(b.data, b.len), -1);
    proto_batch_free(&pb);
    buf_free(&b);
}

static void test_fuzz(void **state) {
    (void)state;
    unsigned seed = 4242;
    proto_batch_t pb;
    proto_batch_init(&pb);
    const char *why;
    buf_t good, b;
    buf_init(&good);
    buf_init(&b);
    s_build_batch(&good);
    buf_t goodr;
    buf_init(&goodr);
    s_build_replies(&goodr, MSG_REPLY_BATCH);
    for (int round = 0; round < 100000; round++) {
        buf_clear(&b);
        int mode = rand_r(&seed) % 4;
        if (mode == 0) {
            /* pure random bytes */
            size_t n = (size_t)(rand_r(&seed) % 64);
            for (size_t i = 0; i < n; i++) buf_put_u8(&b, (uint8_t)rand_r(&seed));
        } else if (mode == 1) {
            /* a valid header followed by random bytes */
            proto_begin(&b, (rand_r(&seed) & 1) ? MSG_CMD_BATCH : MSG_REPLY_BATCH);
            size_t n = (size_t)(rand_r(&seed) % 64);
            for (size_t i = 0; i < n; i++) {
                /* small values make plausible lengths and kinds */
                uint8_t v = (uint8_t)rand_r(&seed);
                if (rand_r(&seed) & 1) v %= 6;
                buf_put_u8(&b, v);
            }
            proto_finish(&b, (uint32_t)(rand_r(&seed) % 6));
        } else {
            /* a valid message with a few bytes flipped */
            buf_t *src = mode == 2 ? &good : &goodr;
            buf_append(&b, src->data, src->len);
            int flips = 1 + rand_r(&seed) % 3;
            for (int f = 0; f < flips; f++) {
                size_t at = (size_t)(rand_r(&seed) % b.len);
                b.data[at] = (char)rand_r(&seed);
            }
            if (rand_r(&seed) % 4 == 0) b.len = (size_t)(rand_r(&seed) % b.len);
        }
        int rc = s_decode_copy(&pb, b.data, b.len, &why);
        assert_true(rc == 0 || rc == -1);
        int n = s_reply_count_copy(b.data, b.len);
        assert_true(n >= -1);
        char role[16], inst[16];
        char *copy = malloc(b.len ? b.len : 1);
        memcpy(copy, b.data, b.len);
        rc = proto_get_hello(copy, b.len, role, sizeof role, inst, sizeof inst);
        assert_true(rc == 0 || rc == -1);
        if (rc == 0) assert_true(strlen(role) < sizeof role && strlen(inst) < sizeof inst);
        free(copy);
    }
    buf_free(&good);
    buf_free(&goodr);
    buf_free(&b);
    proto_batch_free(&pb);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header),
        cmocka_unit_test(test_hello_round_trip),
        cmocka_unit_test(test_batch_round_trip),
        cmocka_unit_test(test_batch_large),
        cmocka_unit_test(test_reply_round_trip),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_foreign_and_version),
        cmocka_unit_test(test_trailing_garbage),
        cmocka_unit_test(test_absurd_counts),
        cmocka_unit_test(test_fuzz),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
