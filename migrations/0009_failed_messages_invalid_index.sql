-- A group operation takes its eligible members 10,000 at a time and counts the rest as skipped:
-- the other statuses from the group's counters (0005), and for a retry the members that never
-- parsed, found here. Without it that count read every member of the group.
CREATE INDEX "failed_messages_invalid_idx" ON "genledger"."failed_messages" USING btree ("id") WHERE "genledger"."failed_messages"."invalid";