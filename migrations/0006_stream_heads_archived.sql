-- Streams' heads may be archived (EventStore.archive moves old events, heads included): the
-- serialising append reads each stream's head from both tables, the greater of the two, as the
-- optimistic append's probe does. Otherwise as in 0001: a transaction-scoped advisory lock per
-- stream, taken in lock-key order, then the heads under a fresh snapshot. Class 'glev'.
CREATE OR REPLACE FUNCTION "genledger"."stream_heads_locked"(p_streams text[])
RETURNS TABLE (stream text, head integer)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  s text;
BEGIN
  FOR s IN SELECT k.x FROM (SELECT DISTINCT u.x, hashtext(u.x) AS h FROM unnest(p_streams) AS u(x)) k ORDER BY k.h LOOP
    PERFORM pg_advisory_xact_lock(1735157110, hashtext(s));
  END LOOP;
  RETURN QUERY
    SELECT u.x, greatest(
      coalesce((SELECT e.stream_version FROM "genledger"."events" e WHERE e.stream_id = u.x
                ORDER BY e.stream_version DESC LIMIT 1), 0),
      coalesce((SELECT a.stream_version FROM "genledger"."events_archive" a WHERE a.stream_id = u.x
                ORDER BY a.stream_version DESC LIMIT 1), 0))
    FROM (SELECT DISTINCT v.x FROM unnest(p_streams) AS v(x)) u;
END
$$;
