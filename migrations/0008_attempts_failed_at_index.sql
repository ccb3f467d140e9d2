-- The failure groups' sparklines count the last 14 days' attempts (ConsoleQueries.groupTrends):
-- without this index every page view read every attempt, stacks and all (280–300 ms at 500,000
-- attempts, growing with them; 32 ms with it).
CREATE INDEX "failed_message_attempts_failed_at_idx" ON "genledger"."failed_message_attempts" USING btree ("failed_at");
