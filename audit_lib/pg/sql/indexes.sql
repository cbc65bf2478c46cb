-- Every index of the user's tables, with the constraint it backs and its scan count.
-- A partitioned table's index counts the scans and size of its partitions' indexes.
SELECT format('%s.%s', n.nspname, c.relname) AS "table",
       ic.relname AS name,
       ARRAY(SELECT pg_get_indexdef(i.indexrelid, k.ord::int, true)
               FROM generate_series(1, i.indnkeyatts) k(ord)
              ORDER BY k.ord) AS columns,
       i.indisunique AS is_unique,
       i.indisprimary AS is_primary,
       con.conname AS "constraint",
       CASE con.contype WHEN 'p' THEN 'primary key' WHEN 'u' THEN 'unique'
                        WHEN 'x' THEN 'exclusion' END AS constraint_type,
       am.amname AS method,
       pg_get_expr(i.indpred, i.indrelid, true) AS predicate,
       i.indisvalid AS valid,
       CASE WHEN ic.relkind = 'I' THEN
            (SELECT coalesce(sum(ps.idx_scan), 0)::bigint
               FROM pg_partition_tree(i.indexrelid) t
               JOIN pg_stat_all_indexes ps ON ps.indexrelid = t.relid
              WHERE t.isleaf)
            ELSE coalesce(s.idx_scan, 0) END AS scans,
       CASE WHEN ic.relkind = 'I' THEN
            (SELECT coalesce(sum(pg_relation_size(t.relid)), 0)::bigint
               FROM pg_partition_tree(i.indexrelid) t WHERE t.isleaf)
            ELSE pg_relation_size(i.indexrelid) END AS size_bytes
  FROM pg_index i
  JOIN pg_class ic ON ic.oid = i.indexrelid
  JOIN pg_class c ON c.oid = i.indrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_am am ON am.oid = ic.relam
  LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid
                             AND con.contype IN ('p', 'u', 'x')
  LEFT JOIN pg_stat_all_indexes s ON s.indexrelid = i.indexrelid
 WHERE c.relkind IN ('r', 'p', 'm')
   AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
   AND n.nspname !~ '^pg_(toast_)?temp_'
   AND NOT EXISTS (SELECT 1 FROM pg_depend d
                    WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
 ORDER BY 1, 2
