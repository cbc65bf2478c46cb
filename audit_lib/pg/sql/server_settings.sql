-- The server settings the rules judge against.
SELECT name, setting, unit
  FROM pg_settings
 WHERE name IN ('max_connections', 'superuser_reserved_connections', 'reserved_connections',
                'idle_in_transaction_session_timeout', 'track_counts', 'server_version_num')
 ORDER BY name
