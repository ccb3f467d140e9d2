CREATE TABLE "genledger"."webhook_deliveries" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"endpoint_id" uuid,
	"event_type" varchar(64) NOT NULL,
	"event_sequence" bigint,
	"generation_id" uuid,
	"occurred_at" timestamp with time zone DEFAULT now() NOT NULL,
	"status" varchar(20) DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"enqueued_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_attempt_at" timestamp with time zone,
	"delivered_at" timestamp with time zone,
	"next_attempt_at" timestamp with time zone,
	"last_status_code" integer,
	"last_latency_ms" integer,
	"last_error" varchar(2000),
	"last_response" varchar(1024),
	CONSTRAINT "webhook_deliveries_status_ck" CHECK (status in ('pending', 'delivered', 'retrying', 'failed', 'skipped'))
);
--> statement-breakpoint
CREATE TABLE "genledger"."webhook_endpoints" (
	"id" uuid PRIMARY KEY NOT NULL,
	"api_key_id" uuid NOT NULL,
	"url" varchar(2048) NOT NULL,
	"events" text[] NOT NULL,
	"description" varchar(500) DEFAULT '' NOT NULL,
	"secret" text NOT NULL,
	"previous_secret" text,
	"previous_secret_expires_at" timestamp with time zone,
	"disabled_at" timestamp with time zone,
	"disabled_reason" varchar(20),
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "webhook_endpoints_disabled_reason_ck" CHECK ("genledger"."webhook_endpoints"."disabled_reason" is null or disabled_reason in ('operator', 'gone'))
);
--> statement-breakpoint
ALTER TABLE "genledger"."api_keys" ADD COLUMN "webhook_secret" text;--> statement-breakpoint
ALTER TABLE "genledger"."generations" ADD COLUMN "webhook_url" varchar(2048);--> statement-breakpoint
ALTER TABLE "genledger"."generations" ADD COLUMN "webhook_events" text[];--> statement-breakpoint
ALTER TABLE "genledger"."webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_endpoint_id_webhook_endpoints_id_fk" FOREIGN KEY ("endpoint_id") REFERENCES "genledger"."webhook_endpoints"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "genledger"."webhook_endpoints" ADD CONSTRAINT "webhook_endpoints_api_key_id_api_keys_id_fk" FOREIGN KEY ("api_key_id") REFERENCES "genledger"."api_keys"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "webhook_deliveries_event_uq" ON "genledger"."webhook_deliveries" USING btree ("endpoint_id","event_sequence");--> statement-breakpoint
CREATE UNIQUE INDEX "webhook_deliveries_own_event_uq" ON "genledger"."webhook_deliveries" USING btree ("generation_id","event_sequence") WHERE "genledger"."webhook_deliveries"."endpoint_id" is null;--> statement-breakpoint
CREATE INDEX "webhook_deliveries_endpoint_idx" ON "genledger"."webhook_deliveries" USING btree ("endpoint_id","created_at","id");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_not_enqueued_idx" ON "genledger"."webhook_deliveries" USING btree ("created_at") WHERE "genledger"."webhook_deliveries"."enqueued_at" is null;--> statement-breakpoint
CREATE INDEX "webhook_endpoints_owner_idx" ON "genledger"."webhook_endpoints" USING btree ("api_key_id","created_at","id");--> statement-breakpoint
-- A generation's webhook deliveries, written by the statement that appends the event raising them,
-- so a delivery commits with its event and its state change or not at all, whichever store made
-- it (the event store has one append path; this trigger sits under all of it). One row per
-- endpoint of the generation's key subscribed to the event, and one for the generation's own
-- webhook when its request asked for this event. Unique per (endpoint, event): a replayed insert adds nothing.
CREATE OR REPLACE FUNCTION "genledger"."webhook_deliveries_for_event"()
RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  hook text;
  gen uuid;
BEGIN
  hook := CASE NEW.event_type
    WHEN 'GenerationStarted' THEN 'generation.started'
    WHEN 'GenerationCompleted' THEN 'generation.completed'
    WHEN 'GenerationFailed' THEN 'generation.failed'
    WHEN 'GenerationCancelled' THEN 'generation.cancelled'
  END;
  gen := (NEW.payload->>'generationId')::uuid;
  INSERT INTO "genledger"."webhook_deliveries" (endpoint_id, event_type, event_sequence, generation_id, occurred_at)
  SELECT w.id, hook, NEW.sequence, gen, NEW.stored_at
  FROM "genledger"."generations" g
  JOIN "genledger"."webhook_endpoints" w ON w.api_key_id = g.api_key_id
  WHERE g.id = gen AND w.disabled_at IS NULL AND hook = ANY (w.events)
  UNION ALL
  SELECT NULL, hook, NEW.sequence, gen, NEW.stored_at
  FROM "genledger"."generations" g
  WHERE g.id = gen AND g.webhook_url IS NOT NULL AND hook = ANY (g.webhook_events)
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "webhook_deliveries_for_event" AFTER INSERT ON "genledger"."events"
  FOR EACH ROW WHEN (NEW.event_type IN ('GenerationStarted', 'GenerationCompleted', 'GenerationFailed', 'GenerationCancelled'))
  EXECUTE FUNCTION "genledger"."webhook_deliveries_for_event"();
