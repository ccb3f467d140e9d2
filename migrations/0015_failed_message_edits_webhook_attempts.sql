CREATE TABLE "genledger"."webhook_delivery_attempts" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "genledger"."webhook_delivery_attempts_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"delivery_id" uuid NOT NULL,
	"attempt" integer NOT NULL,
	"status" varchar(20) NOT NULL,
	"status_code" integer,
	"latency_ms" integer,
	"error" varchar(2000),
	"response" varchar(1024),
	"attempted_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "genledger"."failed_messages" ADD COLUMN "edited_body" text;--> statement-breakpoint
ALTER TABLE "genledger"."webhook_delivery_attempts" ADD CONSTRAINT "webhook_delivery_attempts_delivery_id_webhook_deliveries_id_fk" FOREIGN KEY ("delivery_id") REFERENCES "genledger"."webhook_deliveries"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "webhook_delivery_attempts_delivery_idx" ON "genledger"."webhook_delivery_attempts" USING btree ("delivery_id","id");--> statement-breakpoint
-- Hand-written: every attempt recorded on a delivery (its last_attempt_at moves) is kept as a row
-- of its own, for the console's delivery page; the delivery row keeps only the latest. A trigger,
-- so that the delivery worker's one statement per attempt stays as it is.
CREATE OR REPLACE FUNCTION "genledger"."webhook_delivery_attempt_kept"()
RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "genledger"."webhook_delivery_attempts"
    (delivery_id, attempt, status, status_code, latency_ms, error, response, attempted_at)
  VALUES (NEW.id, NEW.attempts, NEW.status, NEW.last_status_code, NEW.last_latency_ms, NEW.last_error,
          NEW.last_response, NEW.last_attempt_at);
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "webhook_delivery_attempt_kept" AFTER UPDATE ON "genledger"."webhook_deliveries"
  FOR EACH ROW WHEN (NEW.last_attempt_at IS NOT NULL AND NEW.last_attempt_at IS DISTINCT FROM OLD.last_attempt_at)
  EXECUTE FUNCTION "genledger"."webhook_delivery_attempt_kept"();
