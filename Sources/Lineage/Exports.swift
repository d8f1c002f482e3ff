// The ledger's users see the store's value types (tree heads, proofs, digests) through `Lineage`.
@_exported import LedgerStore
