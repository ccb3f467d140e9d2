CREATE TABLE "genledger"."events_archive" (
	"sequence" bigint PRIMARY KEY NOT NULL,
	"stream_id" varchar(200) NOT NULL,
	"stream_version" integer NOT NULL,
	"event_type" varchar(100) NOT NULL,
	"event_version" smallint NOT NULL,
	"payload" jsonb NOT NULL,
	"metadata" jsonb NOT NULL,
	"tx_id" "xid8" NOT NULL,
	"stored_at" timestamp with time zone NOT NULL,
	"archived_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "events_archive_stream_version_uq" ON "genledger"."events_archive" USING btree ("stream_id","stream_version");--> statement-breakpoint
CREATE INDEX "events_archive_tx_sequence_idx" ON "genledger"."events_archive" USING btree ("tx_id","sequence");