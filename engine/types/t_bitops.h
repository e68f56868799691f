/* Bit-level operations on string values (bitmaps and BITFIELD integers): the primitives other
 * parts may reuse (GEO, persistence checks, tests) and the bitmap command handlers. */
#ifndef VOLE_T_BITOPS_H
#define VOLE_T_BITOPS_H
#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"

/* Number of set bits in n bytes. */
long long bitops_popcount(const void *p, size_t n);

/* Position of the first bit equal to bit (0|1) among bits [from, to] of p, counting bit 0 as
 * the most significant bit of the first byte; -1 when there is none. The caller keeps the
 * range inside the buffer. */
long long bitops_find(const uint8_t *p, uint64_t from, uint64_t to, int bit);

/* BITFIELD integers: bits (1..64) bits starting at bit offset off, most significant bit
 * first. The buffer must hold every byte the field touches. */
uint64_t bitops_get_unsigned(const uint8_t *p, uint64_t off, int bits);
int64_t bitops_get_signed(const uint8_t *p, uint64_t off, int bits);
void bitops_set_unsigned(uint8_t *p, uint64_t off, int bits, uint64_t v);

/* BITFIELD's overflow policies. */
enum { BITOPS_WRAP = 0, BITOPS_SAT = 1, BITOPS_FAIL = 2 };

/* Result of adding incr to a field holding value (for SET: the value to store with incr 0),
 * for a field of bits bits, signed or not. Returns 0 when it fits (*out = the sum), else 1 and
 * *out is the wrapped or saturated value (unspecified for FAIL). An unsigned SET takes the
 * value's two's-complement bits, as Redis does (-1 is "too big", not "too small"). */
int bitops_field_add(int sign, int bits, int policy, uint64_t value, int64_t incr, uint64_t *out);

void cmd_setbit(client_t *c);
void cmd_getbit(client_t *c);
void cmd_bitcount(client_t *c);
void cmd_bitpos(client_t *c);
void cmd_bitop(client_t *c);
void cmd_bitfield(client_t *c);
void cmd_bitfield_ro(client_t *c);
#endif
