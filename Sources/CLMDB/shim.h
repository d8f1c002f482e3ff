#ifndef LINEAGE_CLMDB_SHIM_H
#define LINEAGE_CLMDB_SHIM_H
#include <lmdb.h>
#endif
