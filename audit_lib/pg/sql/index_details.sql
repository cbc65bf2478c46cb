-- What makes two indexes on the same columns different: operator classes, collations,
-- sort options, INCLUDE columns; whether the table is a partition and whether the index
-- is attached to its parent's index (then it can only be dropped with the parent's).
SELECT format('%s.%s', n.nspname, c.relname) AS "table",
       ic.relname AS name,
       ARRAY(SELECT opc.opcname::text
               FROM unnest(i.indclass) WITH ORDINALITY u(opc_oid, ord)
               JOIN pg_opclass opc ON opc.oid = u.opc_oid
              ORDER BY u.ord) AS opclasses,
       ARRAY(SELECT coalesce(coll.collname::text, '')
               FROM unnest(i.indcollation) WITH ORDINALITY u(coll_oid, ord)
               LEFT JOIN pg_collation coll ON coll.oid = u.coll_oid
              ORDER BY u.ord) AS collations,
       i.indoption::int2[]::int[] AS options,
       ARRAY(SELECT pg_get_indexdef(i.indexrelid, k.ord::int, true)
               FROM generate_series(i.indnkeyatts + 1, i.indnatts) k(ord)
              ORDER BY k.ord) AS include,
       pg_get_indexdef(i.indexrelid) AS definition,
       c.relispartition AS on_partition,
       EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = i.indexrelid) AS attached
  FROM pg_index i
  JOIN pg_class ic ON ic.oid = i.indexrelid
  JOIN pg_class c ON c.oid = i.indrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p', 'm')
   AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
   AND n.nspname !~ '^pg_(toast_)?temp_'
   AND NOT EXISTS (SELECT 1 FROM pg_depend d
                    WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
 ORDER BY 1, 2
