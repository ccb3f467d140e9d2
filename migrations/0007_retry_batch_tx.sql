-- A retry batch remembers the transaction that issued it, the one that also wrote its messages'
-- FailedMessageStatusChanged events: the console reads a batch's messages through the events'
-- (tx_id, sequence) index, in `events` and in `events_archive` alike, instead of scanning every
-- event (and finding none once the archive had moved them). Existing batches stay NULL: finding
-- their transactions would scan every event, too long for a deploy's migration at size; the
-- console finds theirs on a view as it did before (ConsoleQueries.batchMessages). The default
-- comes after the column, so that adding it does not stamp every existing batch with this
-- migration's own transaction.
ALTER TABLE "genledger"."retry_batches" ADD COLUMN "tx_id" "xid8";--> statement-breakpoint
ALTER TABLE "genledger"."retry_batches" ALTER COLUMN "tx_id" SET DEFAULT pg_current_xact_id();
