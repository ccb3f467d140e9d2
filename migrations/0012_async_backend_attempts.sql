ALTER TABLE "genledger"."generation_runs" ADD COLUMN "backend_id" varchar(100);--> statement-breakpoint
ALTER TABLE "genledger"."generation_runs" ADD COLUMN "callback_token_hash" char(64);--> statement-breakpoint
ALTER TABLE "genledger"."generation_runs" ADD COLUMN "deadline_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "genledger"."generation_runs" ADD COLUMN "submitted_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "genledger"."generation_runs" ADD COLUMN "reported_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "genledger"."generation_runs" ADD COLUMN "receipt_handle" varchar(1024);--> statement-breakpoint
ALTER TABLE "genledger"."generation_runs" ADD COLUMN "backend_metrics" jsonb;--> statement-breakpoint
CREATE UNIQUE INDEX "generation_runs_callback_token_uq" ON "genledger"."generation_runs" USING btree ("callback_token_hash") WHERE "genledger"."generation_runs"."callback_token_hash" is not null;--> statement-breakpoint
CREATE INDEX "generation_runs_deadline_idx" ON "genledger"."generation_runs" USING btree ("deadline_at") WHERE "genledger"."generation_runs"."status" = 'running' and "genledger"."generation_runs"."deadline_at" is not null;