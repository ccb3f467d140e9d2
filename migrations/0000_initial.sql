CREATE SCHEMA "genledger";
--> statement-breakpoint
CREATE TABLE "genledger"."api_keys" (
	"id" uuid PRIMARY KEY NOT NULL,
	"name" varchar(255) NOT NULL,
	"key_hash" char(64) NOT NULL,
	"key_prefix" varchar(16) NOT NULL,
	"is_admin" boolean DEFAULT false NOT NULL,
	"rate_limit" integer DEFAULT 100 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone,
	"expires_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	"rate_window_start" timestamp with time zone,
	"rate_window_count" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "api_keys_rate_limit_ck" CHECK ("genledger"."api_keys"."rate_limit" > 0)
);
--> statement-breakpoint
CREATE TABLE "genledger"."checkpoints" (
	"name" varchar(100) PRIMARY KEY NOT NULL,
	"tx_id" "xid8" DEFAULT '0'::xid8 NOT NULL,
	"sequence" bigint DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "genledger"."daily_generation_stats" (
	"day" date NOT NULL,
	"model" varchar(100) NOT NULL,
	"status" varchar(20) NOT NULL,
	"count" integer DEFAULT 0 NOT NULL,
	"duration_count" integer DEFAULT 0 NOT NULL,
	"total_duration_ms" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "daily_generation_stats_day_model_status_pk" PRIMARY KEY("day","model","status")
);
--> statement-breakpoint
CREATE TABLE "genledger"."events" (
	"sequence" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "genledger"."events_sequence_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"stream_id" varchar(200) NOT NULL,
	"stream_version" integer NOT NULL,
	"event_type" varchar(100) NOT NULL,
	"event_version" smallint DEFAULT 1 NOT NULL,
	"payload" jsonb NOT NULL,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"tx_id" "xid8" DEFAULT pg_current_xact_id() NOT NULL,
	"stored_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "events_stream_version_ck" CHECK ("genledger"."events"."stream_version" > 0)
);
--> statement-breakpoint
CREATE TABLE "genledger"."failed_message_attempts" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "genledger"."failed_message_attempts_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"failed_message_id" varchar(64) NOT NULL,
	"message_id" varchar(200) NOT NULL,
	"failed_at" timestamp with time zone NOT NULL,
	"receive_count" integer DEFAULT 0 NOT NULL,
	"queue" varchar(500) NOT NULL,
	"error_type" varchar(200),
	"error_message" varchar(2000),
	"error_stack" text
);
--> statement-breakpoint
CREATE TABLE "genledger"."failed_messages" (
	"id" varchar(64) PRIMARY KEY NOT NULL,
	"status" varchar(20) DEFAULT 'unresolved' NOT NULL,
	"message_id" varchar(200),
	"message_type" varchar(100) NOT NULL,
	"generation_id" uuid,
	"model" varchar(100),
	"body" text NOT NULL,
	"body_truncated" boolean DEFAULT false NOT NULL,
	"attributes" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"invalid" boolean DEFAULT false NOT NULL,
	"first_failed_at" timestamp with time zone NOT NULL,
	"last_failed_at" timestamp with time zone NOT NULL,
	"attempt_count" integer DEFAULT 0 NOT NULL,
	"status_changed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_error_type" varchar(200),
	"last_error_message" varchar(2000),
	"last_error_stack" text,
	"retry_batch_id" uuid,
	"retry_sent_at" timestamp with time zone,
	"search" "tsvector" GENERATED ALWAYS AS (to_tsvector('english'::regconfig, coalesce(message_type, '') || ' ' || coalesce(last_error_type, '') || ' ' || coalesce(last_error_message, '') || ' ' || left(body, 20000))) STORED NOT NULL,
	CONSTRAINT "failed_messages_status_ck" CHECK (status in ('unresolved', 'retry_issued', 'resolved', 'archived'))
);
--> statement-breakpoint
CREATE TABLE "genledger"."failure_group_members" (
	"group_id" varchar(64) NOT NULL,
	"failed_message_id" varchar(64) NOT NULL,
	CONSTRAINT "failure_group_members_group_id_failed_message_id_pk" PRIMARY KEY("group_id","failed_message_id")
);
--> statement-breakpoint
CREATE TABLE "genledger"."failure_groups" (
	"id" varchar(64) PRIMARY KEY NOT NULL,
	"classifier" varchar(50) NOT NULL,
	"title" varchar(500) NOT NULL,
	"first_failed_at" timestamp with time zone NOT NULL,
	"last_failed_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "genledger"."generation_runs" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "genledger"."generation_runs_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"generation_id" uuid NOT NULL,
	"attempt" integer NOT NULL,
	"message_id" varchar(200),
	"receive_count" integer,
	"status" varchar(20) DEFAULT 'running' NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp with time zone,
	"duration_ms" integer,
	"error_type" varchar(200),
	"error_message" varchar(2000),
	"error_stack" text,
	CONSTRAINT "generation_runs_status_ck" CHECK (status in ('running', 'completed', 'failed'))
);
--> statement-breakpoint
CREATE TABLE "genledger"."generations" (
	"id" uuid PRIMARY KEY NOT NULL,
	"api_key_id" uuid,
	"name" varchar(255) DEFAULT '' NOT NULL,
	"prompt" varchar(4000) NOT NULL,
	"negative_prompt" varchar(4000),
	"model" varchar(100) DEFAULT 'sdxl' NOT NULL,
	"width" integer DEFAULT 1024 NOT NULL,
	"height" integer DEFAULT 1024 NOT NULL,
	"steps" integer DEFAULT 20 NOT NULL,
	"guidance" real DEFAULT 7.5 NOT NULL,
	"seed" integer,
	"status" varchar(20) DEFAULT 'pending' NOT NULL,
	"idempotency_key" varchar(255),
	"request_hash" char(64),
	"prompt_id" varchar(100),
	"output_path" varchar(500),
	"thumbnail_path" varchar(500),
	"error_message" varchar(2000),
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"completed_at" timestamp with time zone,
	"duration_ms" integer,
	"attempts" integer DEFAULT 0 NOT NULL,
	"enqueued_at" timestamp with time zone,
	"search" "tsvector" GENERATED ALWAYS AS (to_tsvector('english'::regconfig, coalesce(name, '') || ' ' || coalesce(prompt, ''))) STORED NOT NULL,
	CONSTRAINT "generations_status_ck" CHECK (status in ('pending', 'running', 'completed', 'failed', 'cancelled')),
	CONSTRAINT "generations_size_ck" CHECK ("genledger"."generations"."width" between 64 and 4096 and "genledger"."generations"."height" between 64 and 4096)
);
--> statement-breakpoint
CREATE TABLE "genledger"."retry_batches" (
	"id" uuid PRIMARY KEY NOT NULL,
	"requested_by" uuid,
	"selector" jsonb NOT NULL,
	"status" varchar(20) DEFAULT 'pending' NOT NULL,
	"total" integer DEFAULT 0 NOT NULL,
	"sent" integer DEFAULT 0 NOT NULL,
	"failed" integer DEFAULT 0 NOT NULL,
	"skipped" integer DEFAULT 0 NOT NULL,
	"last_error" varchar(2000),
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"completed_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "retry_batches_status_ck" CHECK (status in ('pending', 'in_progress', 'completed', 'failed'))
);
--> statement-breakpoint
CREATE TABLE "genledger"."settings" (
	"key" varchar(100) PRIMARY KEY NOT NULL,
	"value" jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "genledger"."failed_message_attempts" ADD CONSTRAINT "failed_message_attempts_failed_message_id_failed_messages_id_fk" FOREIGN KEY ("failed_message_id") REFERENCES "genledger"."failed_messages"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "genledger"."failure_group_members" ADD CONSTRAINT "failure_group_members_group_id_failure_groups_id_fk" FOREIGN KEY ("group_id") REFERENCES "genledger"."failure_groups"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "genledger"."failure_group_members" ADD CONSTRAINT "failure_group_members_failed_message_id_failed_messages_id_fk" FOREIGN KEY ("failed_message_id") REFERENCES "genledger"."failed_messages"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "genledger"."generation_runs" ADD CONSTRAINT "generation_runs_generation_id_generations_id_fk" FOREIGN KEY ("generation_id") REFERENCES "genledger"."generations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "genledger"."generations" ADD CONSTRAINT "generations_api_key_id_api_keys_id_fk" FOREIGN KEY ("api_key_id") REFERENCES "genledger"."api_keys"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "api_keys_key_hash_uq" ON "genledger"."api_keys" USING btree ("key_hash");--> statement-breakpoint
CREATE INDEX "api_keys_key_prefix_idx" ON "genledger"."api_keys" USING btree ("key_prefix");--> statement-breakpoint
CREATE UNIQUE INDEX "events_stream_version_uq" ON "genledger"."events" USING btree ("stream_id","stream_version");--> statement-breakpoint
CREATE INDEX "events_tx_sequence_idx" ON "genledger"."events" USING btree ("tx_id","sequence");--> statement-breakpoint
CREATE UNIQUE INDEX "failed_message_attempts_delivery_uq" ON "genledger"."failed_message_attempts" USING btree ("failed_message_id","message_id");--> statement-breakpoint
CREATE INDEX "failed_messages_status_last_idx" ON "genledger"."failed_messages" USING btree ("status","last_failed_at","id");--> statement-breakpoint
CREATE INDEX "failed_messages_last_idx" ON "genledger"."failed_messages" USING btree ("last_failed_at","id");--> statement-breakpoint
CREATE INDEX "failed_messages_generation_idx" ON "genledger"."failed_messages" USING btree ("generation_id");--> statement-breakpoint
CREATE INDEX "failed_messages_retry_batch_idx" ON "genledger"."failed_messages" USING btree ("retry_batch_id") WHERE "genledger"."failed_messages"."retry_batch_id" is not null;--> statement-breakpoint
CREATE INDEX "failed_messages_search_idx" ON "genledger"."failed_messages" USING gin ("search");--> statement-breakpoint
CREATE INDEX "failure_group_members_message_idx" ON "genledger"."failure_group_members" USING btree ("failed_message_id");--> statement-breakpoint
CREATE UNIQUE INDEX "generation_runs_attempt_uq" ON "genledger"."generation_runs" USING btree ("generation_id","attempt");--> statement-breakpoint
CREATE INDEX "generations_status_idx" ON "genledger"."generations" USING btree ("status");--> statement-breakpoint
CREATE INDEX "generations_created_at_idx" ON "genledger"."generations" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "generations_owner_created_idx" ON "genledger"."generations" USING btree ("api_key_id","created_at","id");--> statement-breakpoint
CREATE INDEX "generations_completed_at_idx" ON "genledger"."generations" USING btree ("completed_at","id");--> statement-breakpoint
CREATE INDEX "generations_duration_idx" ON "genledger"."generations" USING btree ("duration_ms","id");--> statement-breakpoint
CREATE INDEX "generations_name_idx" ON "genledger"."generations" USING btree ("name","id");--> statement-breakpoint
CREATE INDEX "generations_model_idx" ON "genledger"."generations" USING btree ("model");--> statement-breakpoint
CREATE UNIQUE INDEX "generations_idempotency_uq" ON "genledger"."generations" USING btree (coalesce("api_key_id", '00000000-0000-0000-0000-000000000000'::uuid),"idempotency_key") WHERE "genledger"."generations"."idempotency_key" is not null;--> statement-breakpoint
CREATE INDEX "generations_not_enqueued_idx" ON "genledger"."generations" USING btree ("created_at") WHERE "genledger"."generations"."status" = 'pending' and "genledger"."generations"."enqueued_at" is null;--> statement-breakpoint
CREATE INDEX "generations_search_idx" ON "genledger"."generations" USING gin ("search");--> statement-breakpoint
CREATE INDEX "retry_batches_status_idx" ON "genledger"."retry_batches" USING btree ("status","created_at");