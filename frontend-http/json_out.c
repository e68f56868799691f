/* JSON text output: strings with escapes, numbers, base64 for binary bytes. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "frontend-http/json_out.h"
#include "shared/util.h"

int json_utf8_valid(const char *s, size_t n) {
    if (n == 0) return 1;
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        unsigned c = *p;
        if (c < 0x80) {
            p++;
            continue;
        }
        size_t len;
        unsigned min;
        if ((c & 0xE0) == 0xC0) len = 2, min = 0x80, c &= 0x1F;
        else if ((c & 0xF0) == 0xE0) len = 3, min = 0x800, c &= 0x0F;
        else if ((c & 0xF8) == 0xF0) len = 4, min = 0x10000, c &= 0x07;
        else return 0;
        if ((size_t)(end - p) < len) return 0;
        for (size_t i = 1; i < len; i++) {
            if ((p[i] & 0xC0) != 0x80) return 0;
            c = (c << 6) | (p[i] & 0x3F);
        }
        /* overlong forms, surrogates and values past U+10FFFF are not UTF-8 */
        if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
        p += len;
    }
    return 1;
}

void json_str(buf_t *b, const char *p, size_t n) {
    static const char hex[] = "0123456789abcdef";
    char *o = buf_reserve(b, n * 6 + 2);
    size_t k = 0;
    o[k++] = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '"' || c == '\\') {
            o[k++] = '\\';
            o[k++] = (char)c;
        } else if (c == '\n') {
            o[k++] = '\\', o[k++] = 'n';
        } else if (c == '\r') {
            o[k++] = '\\', o[k++] = 'r';
        } else if (c == '\t') {
            o[k++] = '\\', o[k++] = 't';
        } else if (c < 0x20 || c == 0x7f) {
            o[k++] = '\\', o[k++] = 'u', o[k++] = '0', o[k++] = '0';
            o[k++] = hex[c >> 4], o[k++] = hex[c & 15];
        } else {
            o[k++] = (char)c;
        }
    }
    o[k++] = '"';
    b->len += k;
}

void json_bytes(buf_t *b, const char *p, size_t n) {
    if (json_utf8_valid(p, n)) {
        json_str(b, p, n);
        return;
    }
    buf_append_str(b, "{\"" JSON_B64_KEY "\":\"");
    base64_encode(b, (const unsigned char *)p, n);
    buf_append_str(b, "\"}");
}

void json_ll(buf_t *b, long long v) {
    char *o = buf_reserve(b, 24);
    b->len += (size_t)ll_to_str(o, v);
}

void json_double(buf_t *b, double v) {
    if (isnan(v)) {
        buf_append_str(b, "\"nan\"");
    } else if (isinf(v)) {
        buf_append_str(b, v > 0 ? "\"inf\"" : "\"-inf\"");
    } else {
        char tmp[64];
        snprintf(tmp, sizeof tmp, "%.17g", v);
        buf_append_str(b, tmp);
    }
}

static const char s_b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void base64_encode(buf_t *b, const unsigned char *p, size_t n) {
    char *o = buf_reserve(b, (n + 2) / 3 * 4);
    size_t k = 0, i = 0;
    for (; i + 2 < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
        o[k++] = s_b64[v >> 18], o[k++] = s_b64[(v >> 12) & 63];
        o[k++] = s_b64[(v >> 6) & 63], o[k++] = s_b64[v & 63];
    }
    if (i < n) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0);
        o[k++] = s_b64[v >> 18], o[k++] = s_b64[(v >> 12) & 63];
        o[k++] = i + 1 < n ? s_b64[(v >> 6) & 63] : '=';
        o[k++] = '=';
    }
    b->len += k;
}

static int s_b64val(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
}

int base64_decode(buf_t *b, const char *p, size_t n) {
    while (n > 0 && p[n - 1] == '=') n--;
    if (n % 4 == 1) return -1;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = s_b64val(p[i]);
        if (v < 0) return -1;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf_put_u8(b, (uint8_t)(acc >> bits));
        }
    }
    return 0;
}
