#ifndef LINEAGE_CLMDB_SHIM_H
#define LINEAGE_CLMDB_SHIM_H
#include <lmdb.h>

/* glibc's fallocate(2) wrapper, which <fcntl.h> declares only under _GNU_SOURCE (not set when Swift
   imports Glibc). Declared here for the writable map's data file (LedgerStore's MapFile): unlike
   posix_fallocate it never falls back to writing into the file. */
extern int fallocate(int fd, int mode, long offset, long len);
#endif
