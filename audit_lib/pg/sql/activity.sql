-- Client sessions of the whole server except the audit's own; the query text is cut short.
SELECT a.pid,
       a.datname AS database,
       a.datname = current_database() AS this_database,
       a.usename AS "user",
       a.application_name,
       a.state,
       extract(epoch FROM now() - a.xact_start)::float8 AS transaction_seconds,
       extract(epoch FROM now() - a.state_change)::float8 AS state_seconds,
       left(a.query, 200) AS query
  FROM pg_stat_activity a
 WHERE a.backend_type = 'client backend'
   AND a.pid <> pg_backend_pid()
 ORDER BY a.pid
