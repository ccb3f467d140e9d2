DROP INDEX "genledger"."generations_status_idx";--> statement-breakpoint
ALTER TABLE "genledger"."failure_groups" ADD COLUMN "unresolved_count" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "genledger"."failure_groups" ADD COLUMN "retry_issued_count" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "genledger"."failure_groups" ADD COLUMN "resolved_count" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "genledger"."failure_groups" ADD COLUMN "archived_count" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX "generations_status_created_idx" ON "genledger"."generations" USING btree ("status","created_at","id");--> statement-breakpoint
-- Failure-group counters: each group counts its members by their message's current status, kept
-- exact by the triggers below in the transaction of the write that changes them (adding or
-- removing a member, changing a message's status, deleting a message). Statement-level where a
-- statement can touch many rows (a retry of a whole group moves each group's counters once).
-- The statement triggers lock a statement's groups in id order before moving their counters, and
-- an ingest locks the groups its message leaves and joins in id order first. A deleted message is
-- counted off by a row trigger, one message after another: the retention sweep can meet a
-- concurrent status change holding the same groups in another order, a deadlock Postgres breaks by
-- failing one of them (the sweep runs again the next minute, an operator sees an error).
UPDATE "genledger"."failure_groups" g SET
  unresolved_count = c.unresolved, retry_issued_count = c.retry_issued,
  resolved_count = c.resolved, archived_count = c.archived
FROM (
  SELECT m.group_id,
         count(*) FILTER (WHERE fm.status = 'unresolved') AS unresolved,
         count(*) FILTER (WHERE fm.status = 'retry_issued') AS retry_issued,
         count(*) FILTER (WHERE fm.status = 'resolved') AS resolved,
         count(*) FILTER (WHERE fm.status = 'archived') AS archived
  FROM "genledger"."failure_group_members" m
  JOIN "genledger"."failed_messages" fm ON fm.id = m.failed_message_id
  GROUP BY m.group_id
) c
WHERE g.id = c.group_id;
--> statement-breakpoint
-- Adds signed per-status deltas to groups, locking them in id order first.
CREATE OR REPLACE FUNCTION "genledger"."failure_group_counts_add"(
  p_groups text[], p_unresolved integer[], p_retry_issued integer[], p_resolved integer[], p_archived integer[])
RETURNS void LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  PERFORM 1 FROM "genledger"."failure_groups" WHERE id = ANY(p_groups) ORDER BY id FOR UPDATE;
  UPDATE "genledger"."failure_groups" g SET
    unresolved_count = g.unresolved_count + d.unresolved,
    retry_issued_count = g.retry_issued_count + d.retry_issued,
    resolved_count = g.resolved_count + d.resolved,
    archived_count = g.archived_count + d.archived
  FROM unnest(p_groups, p_unresolved, p_retry_issued, p_resolved, p_archived)
       AS d(group_id, unresolved, retry_issued, resolved, archived)
  WHERE g.id = d.group_id;
END
$$;
--> statement-breakpoint
-- Members added or removed (explicitly: a message's cascade-deleted members are counted off by the
-- message's own trigger below, and no longer join their message here).
CREATE OR REPLACE FUNCTION "genledger"."failure_group_members_counted"()
RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  sign integer := CASE WHEN TG_OP = 'INSERT' THEN 1 ELSE -1 END;
  d record;
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT array_agg(x.group_id ORDER BY x.group_id) AS groups,
           array_agg(sign * x.unresolved ORDER BY x.group_id) AS unresolved,
           array_agg(sign * x.retry_issued ORDER BY x.group_id) AS retry_issued,
           array_agg(sign * x.resolved ORDER BY x.group_id) AS resolved,
           array_agg(sign * x.archived ORDER BY x.group_id) AS archived
    INTO d
    FROM (SELECT r.group_id,
                 count(*) FILTER (WHERE fm.status = 'unresolved')::integer AS unresolved,
                 count(*) FILTER (WHERE fm.status = 'retry_issued')::integer AS retry_issued,
                 count(*) FILTER (WHERE fm.status = 'resolved')::integer AS resolved,
                 count(*) FILTER (WHERE fm.status = 'archived')::integer AS archived
          FROM added_members r JOIN "genledger"."failed_messages" fm ON fm.id = r.failed_message_id
          GROUP BY r.group_id) x;
  ELSE
    SELECT array_agg(x.group_id ORDER BY x.group_id) AS groups,
           array_agg(sign * x.unresolved ORDER BY x.group_id) AS unresolved,
           array_agg(sign * x.retry_issued ORDER BY x.group_id) AS retry_issued,
           array_agg(sign * x.resolved ORDER BY x.group_id) AS resolved,
           array_agg(sign * x.archived ORDER BY x.group_id) AS archived
    INTO d
    FROM (SELECT r.group_id,
                 count(*) FILTER (WHERE fm.status = 'unresolved')::integer AS unresolved,
                 count(*) FILTER (WHERE fm.status = 'retry_issued')::integer AS retry_issued,
                 count(*) FILTER (WHERE fm.status = 'resolved')::integer AS resolved,
                 count(*) FILTER (WHERE fm.status = 'archived')::integer AS archived
          FROM removed_members r JOIN "genledger"."failed_messages" fm ON fm.id = r.failed_message_id
          GROUP BY r.group_id) x;
  END IF;
  IF d.groups IS NOT NULL THEN
    PERFORM "genledger"."failure_group_counts_add"(d.groups, d.unresolved, d.retry_issued, d.resolved, d.archived);
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "failure_group_members_added" AFTER INSERT ON "genledger"."failure_group_members"
  REFERENCING NEW TABLE AS added_members FOR EACH STATEMENT
  EXECUTE FUNCTION "genledger"."failure_group_members_counted"();
--> statement-breakpoint
CREATE TRIGGER "failure_group_members_removed" AFTER DELETE ON "genledger"."failure_group_members"
  REFERENCING OLD TABLE AS removed_members FOR EACH STATEMENT
  EXECUTE FUNCTION "genledger"."failure_group_members_counted"();
--> statement-breakpoint
-- A message's status changed: its groups move it from the old status's counter to the new one.
CREATE OR REPLACE FUNCTION "genledger"."failed_messages_status_counted"()
RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  d record;
BEGIN
  SELECT array_agg(x.group_id ORDER BY x.group_id) AS groups,
         array_agg(x.unresolved ORDER BY x.group_id) AS unresolved,
         array_agg(x.retry_issued ORDER BY x.group_id) AS retry_issued,
         array_agg(x.resolved ORDER BY x.group_id) AS resolved,
         array_agg(x.archived ORDER BY x.group_id) AS archived
  INTO d
  FROM (SELECT m.group_id,
               (count(*) FILTER (WHERE n.status = 'unresolved') - count(*) FILTER (WHERE o.status = 'unresolved'))::integer AS unresolved,
               (count(*) FILTER (WHERE n.status = 'retry_issued') - count(*) FILTER (WHERE o.status = 'retry_issued'))::integer AS retry_issued,
               (count(*) FILTER (WHERE n.status = 'resolved') - count(*) FILTER (WHERE o.status = 'resolved'))::integer AS resolved,
               (count(*) FILTER (WHERE n.status = 'archived') - count(*) FILTER (WHERE o.status = 'archived'))::integer AS archived
        FROM old_messages o
        JOIN new_messages n ON n.id = o.id AND n.status <> o.status
        JOIN "genledger"."failure_group_members" m ON m.failed_message_id = o.id
        GROUP BY m.group_id) x;
  IF d.groups IS NOT NULL THEN
    PERFORM "genledger"."failure_group_counts_add"(d.groups, d.unresolved, d.retry_issued, d.resolved, d.archived);
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "failed_messages_status_counted" AFTER UPDATE ON "genledger"."failed_messages"
  REFERENCING OLD TABLE AS old_messages NEW TABLE AS new_messages FOR EACH STATEMENT
  EXECUTE FUNCTION "genledger"."failed_messages_status_counted"();
--> statement-breakpoint
-- A message deleted: counted off its groups before its members go with it (the cascade removes
-- them once the message is gone, when the members' trigger no longer finds its status).
CREATE OR REPLACE FUNCTION "genledger"."failed_messages_delete_counted"()
RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "genledger"."failure_groups" g SET
    unresolved_count = g.unresolved_count - (OLD.status = 'unresolved')::integer,
    retry_issued_count = g.retry_issued_count - (OLD.status = 'retry_issued')::integer,
    resolved_count = g.resolved_count - (OLD.status = 'resolved')::integer,
    archived_count = g.archived_count - (OLD.status = 'archived')::integer
  FROM "genledger"."failure_group_members" m
  WHERE m.failed_message_id = OLD.id AND g.id = m.group_id;
  RETURN OLD;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "failed_messages_delete_counted" BEFORE DELETE ON "genledger"."failed_messages"
  FOR EACH ROW EXECUTE FUNCTION "genledger"."failed_messages_delete_counted"();
