/* JSON output helpers for the HTTP frontend: escaped strings, binary-safe values (base64 with
 * a marker object), and RESP3 replies converted to JSON. */
#ifndef VOLE_HTTP_JSON_OUT_H
#define VOLE_HTTP_JSON_OUT_H
#include <stddef.h>

#include "shared/buf.h"

/* Name of the key of the marker object that carries bytes that are not valid UTF-8:
 * {"$base64": "..."}. The same object is accepted as a command argument. */
#define JSON_B64_KEY "$base64"

int json_utf8_valid(const char *p, size_t n);
/* A quoted JSON string; bytes must be valid UTF-8 (control characters are escaped). */
void json_str(buf_t *b, const char *p, size_t n);
static inline void json_strz(buf_t *b, const char *s) { json_str(b, s, strlen(s)); }
/* A string when p is valid UTF-8, else {"$base64": "..."}. */
void json_bytes(buf_t *b, const char *p, size_t n);
void json_ll(buf_t *b, long long v);
/* A JSON number; NaN and infinities, which JSON lacks, become the strings "nan", "inf",
 * "-inf". */
void json_double(buf_t *b, double v);

void base64_encode(buf_t *b, const unsigned char *p, size_t n);
/* Decodes standard base64 (padding optional, no whitespace) into b; returns 0 or -1. */
int base64_decode(buf_t *b, const char *p, size_t n);
#endif
