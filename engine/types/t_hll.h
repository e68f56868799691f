/* HyperLogLog over string values, in Redis's exact byte layout so values move between Vole
 * and Redis unchanged: the representation (header, dense and sparse registers), the register
 * updates, merging, the cardinality estimate, and the PF* command handlers.
 *
 * Layout: "HYLL", one encoding byte (0 dense, 1 sparse), 3 zero bytes, then the cached
 * cardinality as 8 little-endian bytes whose top bit (of the last byte) marks it stale. Dense:
 * 16384 registers of 6 bits, packed least significant bit first. Sparse: a run-length code of
 * ZERO (00xxxxxx: 1..64 zero registers), XZERO (01xxxxxx yyyyyyyy: 1..16384 zero registers)
 * and VAL (1vvvvvxx: 1..4 registers holding 1..32). */
#ifndef VOLE_T_HLL_H
#define VOLE_T_HLL_H
#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"

#define HLL_P 14
#define HLL_REGISTERS (1 << HLL_P)
#define HLL_HDR_SIZE 16
#define HLL_DENSE_SIZE (HLL_HDR_SIZE + (HLL_REGISTERS * 6 + 7) / 8)
enum { HLL_DENSE = 0, HLL_SPARSE = 1 };

/* MurmurHash64A (Austin Appleby's 64-bit hash), reading 8-byte blocks as little-endian. */
uint64_t hll_murmur64a(const void *key, size_t len, uint64_t seed);
/* The register an element lands in and its rank there (1..51). */
unsigned hll_rank(const void *ele, size_t len, unsigned *index);

/* A new, empty HLL: the sparse form with its cardinality cached as 0. */
vstr_t *hll_new(void);
/* Whether the bytes look like an HLL: magic, known encoding, exact dense size. The sparse
 * data is checked by the operations that walk it. */
int hll_is_valid(const char *p, size_t len);
int hll_encoding(const vstr_t *s);

/* Raises register index to count when it is lower; *s may be reallocated, converted from
 * sparse to dense (when a value exceeds 32 or the sparse form would pass sparse_max bytes).
 * Returns 1 when the register changed, 0 when not, -1 when the sparse data is corrupt. */
int hll_set_register(vstr_t **s, unsigned index, unsigned count, size_t sparse_max);
/* hll_set_register() for an element. */
int hll_add(vstr_t **s, const void *ele, size_t len, size_t sparse_max);
/* Converts to dense in place (no-op when dense); -1 when the sparse data is corrupt. */
int hll_to_dense(vstr_t **s);
/* max[i] = MAX(max[i], register i) over 16384 one-byte registers; -1 on corrupt data. */
int hll_merge_into(uint8_t *max, const vstr_t *s);
/* Cardinality estimate of the registers (ignoring the cache); -1 on corrupt sparse data. */
int hll_count(const vstr_t *s, uint64_t *card);
/* Estimate of 16384 one-byte registers (the result of hll_merge_into). */
uint64_t hll_count_registers(const uint8_t *regs);

/* The cached cardinality: 1 and *card when valid, 0 when stale. */
int hll_cache_get(const vstr_t *s, uint64_t *card);
void hll_cache_set(vstr_t *s, uint64_t card);
void hll_cache_invalidate(vstr_t *s);

void cmd_pfadd(client_t *c);
void cmd_pfcount(client_t *c);
void cmd_pfmerge(client_t *c);
#endif
