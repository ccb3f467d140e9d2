-- A retry batch remembers the transaction that issued it, the one that also wrote its messages'
-- FailedMessageStatusChanged events: the console reads a batch's messages through the events'
-- (tx_id, sequence) index, in `events` and in `events_archive` alike, instead of scanning every
-- event (and finding none once the archive had moved them). Existing batches take the
-- transaction of their events; the default comes last, so that adding the column does not
-- stamp every existing batch with this migration's own transaction.
ALTER TABLE "genledger"."retry_batches" ADD COLUMN "tx_id" "xid8";--> statement-breakpoint
UPDATE "genledger"."retry_batches" b SET "tx_id" = f."tx_id"
FROM (
  SELECT DISTINCT ON (e.batch) e.batch, e."tx_id"
  FROM (
    SELECT "payload"->>'retryBatchId' AS batch, "tx_id" FROM "genledger"."events"
    WHERE "event_type" = 'FailedMessageStatusChanged' AND "payload"->>'retryBatchId' IS NOT NULL
    UNION ALL
    SELECT "payload"->>'retryBatchId', "tx_id" FROM "genledger"."events_archive"
    WHERE "event_type" = 'FailedMessageStatusChanged' AND "payload"->>'retryBatchId' IS NOT NULL
  ) e
  ORDER BY e.batch, e."tx_id"
) f
WHERE f.batch = b."id"::text;--> statement-breakpoint
ALTER TABLE "genledger"."retry_batches" ALTER COLUMN "tx_id" SET DEFAULT pg_current_xact_id();
