-- Foreign keys declared by the user (a partition's cloned keys are judged on the parent),
-- each with the first valid btree/hash, non-partial index whose leading columns are the
-- key's columns in any order.
WITH fk AS (
    SELECT k.oid, k.conname, k.conrelid, k.confrelid, k.conkey, k.confkey
      FROM pg_constraint k
      JOIN pg_class c ON c.oid = k.conrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE k.contype = 'f'
       AND k.conparentid = 0
       AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
       AND n.nspname !~ '^pg_(toast_)?temp_'
       AND NOT EXISTS (SELECT 1 FROM pg_depend d
                        WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
)
SELECT fk.conname AS name,
       format('%s.%s', n.nspname, c.relname) AS "table",
       ARRAY(SELECT a.attname::text
               FROM unnest(fk.conkey) WITH ORDINALITY u(attnum, ord)
               JOIN pg_attribute a ON a.attrelid = fk.conrelid AND a.attnum = u.attnum
              ORDER BY u.ord) AS columns,
       format('%s.%s', rn.nspname, rc.relname) AS ref_table,
       ARRAY(SELECT a.attname::text
               FROM unnest(fk.confkey) WITH ORDINALITY u(attnum, ord)
               JOIN pg_attribute a ON a.attrelid = fk.confrelid AND a.attnum = u.attnum
              ORDER BY u.ord) AS ref_columns,
       cover.name IS NOT NULL AS covered,
       cover.name AS covering_index
  FROM fk
  JOIN pg_class c ON c.oid = fk.conrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_class rc ON rc.oid = fk.confrelid
  JOIN pg_namespace rn ON rn.oid = rc.relnamespace
  LEFT JOIN LATERAL (
        SELECT ic.relname::text AS name
          FROM pg_index i
          JOIN pg_class ic ON ic.oid = i.indexrelid
          JOIN pg_am am ON am.oid = ic.relam
         WHERE i.indrelid = fk.conrelid
           AND i.indisvalid
           AND i.indpred IS NULL
           AND am.amname IN ('btree', 'hash')
           AND i.indnkeyatts >= cardinality(fk.conkey)
           AND fk.conkey <@ ARRAY(SELECT k.attnum
                                    FROM unnest(i.indkey) WITH ORDINALITY k(attnum, ord)
                                   WHERE k.ord <= cardinality(fk.conkey))
         ORDER BY i.indisprimary DESC, i.indnkeyatts, ic.relname
         LIMIT 1) cover ON true
 ORDER BY 2, 1
