-- Columns of ordinary and partitioned tables (partitions repeat their parent's columns).
SELECT format('%s.%s', n.nspname, c.relname) AS "table",
       a.attname AS "column",
       format_type(a.atttypid, a.atttypmod) AS type,
       t.typname AS type_name,
       NOT a.attnotnull AS nullable
  FROM pg_attribute a
  JOIN pg_class c ON c.oid = a.attrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_type t ON t.oid = a.atttypid
 WHERE c.relkind IN ('r', 'p')
   AND NOT c.relispartition
   AND a.attnum > 0
   AND NOT a.attisdropped
   AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
   AND n.nspname !~ '^pg_(toast_)?temp_'
   AND NOT EXISTS (SELECT 1 FROM pg_depend d
                    WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
 ORDER BY 1, a.attnum
