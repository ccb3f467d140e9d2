ALTER TABLE "genledger"."webhook_endpoints" DROP CONSTRAINT "webhook_endpoints_disabled_reason_ck";--> statement-breakpoint
ALTER TABLE "genledger"."failure_groups" ADD COLUMN "spiking_since" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "genledger"."webhook_deliveries" ADD COLUMN "subject_id" varchar(64);--> statement-breakpoint
ALTER TABLE "genledger"."webhook_endpoints" ADD COLUMN "failing_since" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "genledger"."webhook_endpoints" ADD CONSTRAINT "webhook_endpoints_disabled_reason_ck" CHECK ("genledger"."webhook_endpoints"."disabled_reason" is null or disabled_reason in ('operator', 'gone', 'failing'));--> statement-breakpoint
-- Operational events join the generation events of migration 0014 on the same path: the statement
-- that appends the event writes one delivery per subscribed endpoint of an admin key (revoked or
-- expired keys hear nothing), so a delivery commits with its event and its state change or not at
-- all. `subject_id` names what the event is about; the body's data is that resource at the attempt.
-- failed_message.created is a message's first dead-lettering (MessageDeadLettered with one attempt;
-- ingest counts the attempt before it appends). Not for a dead-lettered delivery of an operational
-- event: an admin endpoint that is down would otherwise be told, ever more often, of its own failures.
CREATE OR REPLACE FUNCTION "genledger"."webhook_deliveries_for_event"()
RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  hook text;
  gen uuid;
  subject text;
BEGIN
  hook := CASE NEW.event_type
    WHEN 'GenerationStarted' THEN 'generation.started'
    WHEN 'GenerationCompleted' THEN 'generation.completed'
    WHEN 'GenerationFailed' THEN 'generation.failed'
    WHEN 'GenerationCancelled' THEN 'generation.cancelled'
    WHEN 'MessageDeadLettered' THEN 'failed_message.created'
    WHEN 'FailureGroupCreated' THEN 'failure_group.created'
    WHEN 'FailureGroupSpiking' THEN 'failure_group.spiking'
    WHEN 'RetryBatchCompleted' THEN 'retry_batch.completed'
    WHEN 'WebhookEndpointDisabled' THEN 'webhook_endpoint.disabled'
  END;
  IF hook LIKE 'generation.%' THEN
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
  END IF;
  subject := NEW.payload->>CASE NEW.event_type
    WHEN 'MessageDeadLettered' THEN 'failedMessageId'
    WHEN 'RetryBatchCompleted' THEN 'retryBatchId'
    WHEN 'WebhookEndpointDisabled' THEN 'endpointId'
    ELSE 'groupId'
  END;
  IF NEW.event_type = 'MessageDeadLettered' AND NOT EXISTS (
    SELECT 1 FROM "genledger"."failed_messages" fm
    WHERE fm.id = subject AND fm.attempt_count = 1
      AND NOT (fm.message_type = 'webhook.delivery' AND EXISTS (
        SELECT 1 FROM "genledger"."webhook_deliveries" d
        WHERE d.id = substring(fm.body FROM '"deliveryId":"([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})"')::uuid
          AND d.event_type NOT LIKE 'generation.%' AND d.event_type <> 'webhook.ping'))
  ) THEN
    RETURN NULL;
  END IF;
  INSERT INTO "genledger"."webhook_deliveries" (endpoint_id, event_type, event_sequence, subject_id, occurred_at)
  SELECT w.id, hook, NEW.sequence, subject, NEW.stored_at
  FROM "genledger"."webhook_endpoints" w
  JOIN "genledger"."api_keys" k ON k.id = w.api_key_id
  WHERE k.is_admin AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now())
    AND w.disabled_at IS NULL AND hook = ANY (w.events)
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END
$$;
--> statement-breakpoint
DROP TRIGGER "webhook_deliveries_for_event" ON "genledger"."events";
--> statement-breakpoint
CREATE TRIGGER "webhook_deliveries_for_event" AFTER INSERT ON "genledger"."events"
  FOR EACH ROW WHEN (NEW.event_type IN ('GenerationStarted', 'GenerationCompleted', 'GenerationFailed', 'GenerationCancelled',
    'MessageDeadLettered', 'FailureGroupCreated', 'FailureGroupSpiking', 'RetryBatchCompleted', 'WebhookEndpointDisabled'))
  EXECUTE FUNCTION "genledger"."webhook_deliveries_for_event"();
