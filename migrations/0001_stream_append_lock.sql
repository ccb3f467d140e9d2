-- The heads of the streams an append writes to, read under a transaction-scoped advisory lock on
-- each stream. Appends serialise per stream instead of racing for the same version and retrying:
-- a waiter wakes when the previous writer has committed, and, the function being VOLATILE, its
-- query takes a fresh snapshot (READ COMMITTED) that already sees that writer's events. Locks are
-- taken in lock-key order, so two batches over the same streams never deadlock. Class 'glev'.
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
    SELECT u.x, coalesce((SELECT max(e.stream_version) FROM "genledger"."events" e WHERE e.stream_id = u.x), 0)
    FROM (SELECT DISTINCT v.x FROM unnest(p_streams) AS v(x)) u;
END
$$;
