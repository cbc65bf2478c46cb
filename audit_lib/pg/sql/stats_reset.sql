-- Since when the usage statistics (idx_scan...) of this database have been counted.
SELECT d.stats_reset,
       pg_postmaster_start_time() AS server_started,
       now() AS collected_at
  FROM pg_stat_database d
 WHERE d.datname = current_database()
