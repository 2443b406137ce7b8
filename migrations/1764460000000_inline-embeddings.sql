-- Up Migration

-- A 512-d embedding is 2,056 bytes, just over the 2 KB at which PostgreSQL moves a row's largest
-- values to the TOAST table: every chunk's vector lived out of line, and the exact scan of a query
-- (store/vector-search.ts) fetched each one back through the TOAST index (about 3 buffer reads a
-- row; on PGlite about 1.5 ms of a query's 126 distances). With the target at its maximum, a row is
-- toasted only past 8,160 bytes, so the vector stays in the heap row next to the rest. Rows written
-- before keep their out-of-line vectors until rewritten (VACUUM FULL memory_chunks rewrites them;
-- docs/OPERATIONS.md); nothing else changes.
ALTER TABLE memory_chunks SET (toast_tuple_target = 8160);

-- Down Migration

ALTER TABLE memory_chunks RESET (toast_tuple_target);
