#ifndef LINEAGE_CLMDB_SHIM_H
#define LINEAGE_CLMDB_SHIM_H
#include <lmdb.h>

/* glibc's fallocate(2) wrapper, which <fcntl.h> declares only under _GNU_SOURCE (not set when Swift
   imports Glibc). Declared here for the writable map's data file (LedgerStore's MapFile): unlike
   posix_fallocate it never falls back to writing into the file. */
extern int fallocate(int fd, int mode, long offset, long len);

/* Asks the processor to bring the cache lines of [start - bytes, start) in ahead of use: in a page
   of records appended in key order, LMDB places each node just below the one before, so a scan that
   reads them in order can fetch the next record while it hashes this one. A hint: it never faults,
   whatever the address. */
static inline void lineage_prefetch_below(const void *start, long bytes) {
    const char *p = (const char *)start;
    for (long offset = 64; offset <= bytes; offset += 64) __builtin_prefetch(p - offset);
}
#endif
