/* CRC32C (Castagnoli), the checksum of every AOF record. Computed by Intel's ISA-L
 * (libisal), which picks the SSE4.2/PCLMUL code at run time. */
#ifndef VOLE_CRC32C_H
#define VOLE_CRC32C_H
#include <stddef.h>
#include <stdint.h>

/* Continues crc (0 to start) over n bytes: crc32c(crc32c(0, a), b) == crc32c(0, a + b). */
uint32_t crc32c(uint32_t crc, const void *p, size_t n);
#endif
