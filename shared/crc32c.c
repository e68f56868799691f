#include "shared/crc32c.h"

#include <isa-l/crc.h>

uint32_t crc32c(uint32_t crc, const void *p, size_t n) {
    /* ISA-L works on the raw register: the standard form inverts it before and after */
    uint32_t r = ~crc;
    const unsigned char *b = p;
    while (n > 0) {
        int chunk = n > (1u << 30) ? 1 << 30 : (int)n;
        r = crc32_iscsi((unsigned char *)b, chunk, r);
        b += chunk;
        n -= (size_t)chunk;
    }
    return ~r;
}
