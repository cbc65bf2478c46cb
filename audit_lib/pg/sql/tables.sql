-- Ordinary, partitioned and partition tables of the user's schemas.
-- A partitioned table's est_rows and size_bytes are the sums over its leaf partitions.
SELECT n.nspname AS schema,
       c.relname AS name,
       format('%s.%s', n.nspname, c.relname) AS "table",
       CASE WHEN c.relispartition THEN 'partition'
            WHEN c.relkind = 'p' THEN 'partitioned'
            ELSE 'table' END AS kind,
       (SELECT format('%s.%s', pn.nspname, pc.relname)
          FROM pg_inherits i
          JOIN pg_class pc ON pc.oid = i.inhparent
          JOIN pg_namespace pn ON pn.oid = pc.relnamespace
         WHERE i.inhrelid = c.oid AND c.relispartition) AS parent,
       CASE WHEN c.relkind = 'p' THEN
            (SELECT coalesce(sum(greatest(lc.reltuples, 0)), 0)::bigint
               FROM pg_partition_tree(c.oid) t JOIN pg_class lc ON lc.oid = t.relid
              WHERE t.isleaf)
            ELSE greatest(c.reltuples, 0)::bigint END AS est_rows,
       EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'p') AS has_primary_key,
       CASE WHEN c.relkind = 'p' THEN
            (SELECT coalesce(sum(pg_total_relation_size(t.relid)), 0)::bigint
               FROM pg_partition_tree(c.oid) t WHERE t.isleaf)
            ELSE pg_total_relation_size(c.oid) END AS size_bytes
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p')
   AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
   AND n.nspname !~ '^pg_(toast_)?temp_'
   AND NOT EXISTS (SELECT 1 FROM pg_depend d
                    WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
 ORDER BY 1, 2
