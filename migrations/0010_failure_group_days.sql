CREATE TABLE "genledger"."failure_group_days" (
	"day" date NOT NULL,
	"group_id" varchar(64) NOT NULL,
	"failures" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "failure_group_days_day_group_id_pk" PRIMARY KEY("day","group_id")
);
--> statement-breakpoint
ALTER TABLE "genledger"."failure_group_days" ADD CONSTRAINT "failure_group_days_group_id_failure_groups_id_fk" FOREIGN KEY ("group_id") REFERENCES "genledger"."failure_groups"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
-- Dead-letterings per failure group and UTC day, for the groups' 14-day sparklines: the attempts of
-- each group's current members, as `ConsoleQueries.groupTrends` counted them from
-- `failed_message_attempts` on every page view (550–810 ms at 300,000 attempts in 14 days, an
-- outage's worth, growing with them). Kept exact by the triggers below in the writing
-- transaction: an attempt recorded, a member added or removed (an ingest regroups a message on
-- every attempt, and its past attempts move with it), a message or an attempt deleted.
-- Every path locks the groups' rows in id order before it touches their days, so a day row is
-- only ever written by the holder of its group's lock: no new lock order beside migration 0005's.
CREATE OR REPLACE FUNCTION "genledger"."failure_group_days_add"(p_groups text[], p_days date[], p_failures integer[])
RETURNS void LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  PERFORM 1 FROM "genledger"."failure_groups" WHERE id = ANY(p_groups) ORDER BY id FOR UPDATE;
  INSERT INTO "genledger"."failure_group_days" AS d (day, group_id, failures)
  SELECT x.day, x.group_id, x.failures
  FROM unnest(p_groups, p_days, p_failures) AS x(group_id, day, failures)
  ORDER BY x.group_id, x.day
  ON CONFLICT (day, group_id) DO UPDATE SET failures = d.failures + excluded.failures;
END
$$;
--> statement-breakpoint
-- Attempts recorded, or deleted on their own: counted on or off their message's current groups.
-- Both triggers name their transition table `changed_attempts`. Deleted with their message (the
-- cascade), the message is gone and its own trigger has counted them off: the join finds nothing.
CREATE OR REPLACE FUNCTION "genledger"."failed_message_attempts_days_counted"()
RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  sign integer := CASE WHEN TG_OP = 'INSERT' THEN 1 ELSE -1 END;
  d record;
BEGIN
  SELECT array_agg(x.group_id) AS groups, array_agg(x.day) AS days, array_agg(x.n) AS failures INTO d
  FROM (SELECT m.group_id, (a.failed_at AT TIME ZONE 'UTC')::date AS day, sign * count(*)::integer AS n
        FROM changed_attempts a
        JOIN "genledger"."failed_messages" fm ON fm.id = a.failed_message_id
        JOIN "genledger"."failure_group_members" m ON m.failed_message_id = a.failed_message_id
        GROUP BY 1, 2) x;
  IF d.groups IS NOT NULL THEN
    PERFORM "genledger"."failure_group_days_add"(d.groups, d.days, d.failures);
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "failed_message_attempts_days_added" AFTER INSERT ON "genledger"."failed_message_attempts"
  REFERENCING NEW TABLE AS changed_attempts FOR EACH STATEMENT
  EXECUTE FUNCTION "genledger"."failed_message_attempts_days_counted"();
--> statement-breakpoint
CREATE TRIGGER "failed_message_attempts_days_removed" AFTER DELETE ON "genledger"."failed_message_attempts"
  REFERENCING OLD TABLE AS changed_attempts FOR EACH STATEMENT
  EXECUTE FUNCTION "genledger"."failed_message_attempts_days_counted"();
--> statement-breakpoint
-- Members added or removed: the message's attempts move onto or off the group. Both triggers name
-- their transition table `changed_members`. Removed with their message (the cascade), the message
-- is gone and its own trigger has counted them off: the join finds nothing.
CREATE OR REPLACE FUNCTION "genledger"."failure_group_members_days_counted"()
RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  sign integer := CASE WHEN TG_OP = 'INSERT' THEN 1 ELSE -1 END;
  d record;
BEGIN
  SELECT array_agg(x.group_id) AS groups, array_agg(x.day) AS days, array_agg(x.n) AS failures INTO d
  FROM (SELECT r.group_id, (a.failed_at AT TIME ZONE 'UTC')::date AS day, sign * count(*)::integer AS n
        FROM changed_members r
        JOIN "genledger"."failed_messages" fm ON fm.id = r.failed_message_id
        JOIN "genledger"."failed_message_attempts" a ON a.failed_message_id = r.failed_message_id
        GROUP BY 1, 2) x;
  IF d.groups IS NOT NULL THEN
    PERFORM "genledger"."failure_group_days_add"(d.groups, d.days, d.failures);
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "failure_group_members_days_added" AFTER INSERT ON "genledger"."failure_group_members"
  REFERENCING NEW TABLE AS changed_members FOR EACH STATEMENT
  EXECUTE FUNCTION "genledger"."failure_group_members_days_counted"();
--> statement-breakpoint
CREATE TRIGGER "failure_group_members_days_removed" AFTER DELETE ON "genledger"."failure_group_members"
  REFERENCING OLD TABLE AS changed_members FOR EACH STATEMENT
  EXECUTE FUNCTION "genledger"."failure_group_members_days_counted"();
--> statement-breakpoint
-- A message deleted (the retention sweep): its attempts counted off its groups before the cascade
-- takes its attempts and members, whose own triggers then find the message gone.
CREATE OR REPLACE FUNCTION "genledger"."failed_messages_days_counted"()
RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  d record;
BEGIN
  SELECT array_agg(x.group_id) AS groups, array_agg(x.day) AS days, array_agg(x.n) AS failures INTO d
  FROM (SELECT m.group_id, (a.failed_at AT TIME ZONE 'UTC')::date AS day, -count(*)::integer AS n
        FROM "genledger"."failed_message_attempts" a
        JOIN "genledger"."failure_group_members" m ON m.failed_message_id = a.failed_message_id
        WHERE a.failed_message_id = OLD.id
        GROUP BY 1, 2) x;
  IF d.groups IS NOT NULL THEN
    PERFORM "genledger"."failure_group_days_add"(d.groups, d.days, d.failures);
  END IF;
  RETURN OLD;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "failed_messages_days_counted" BEFORE DELETE ON "genledger"."failed_messages"
  FOR EACH ROW EXECUTE FUNCTION "genledger"."failed_messages_days_counted"();
--> statement-breakpoint
-- Filled after the triggers exist: creating them waited for every writer of these tables and holds
-- new ones off until the deploy's migration commits, so nothing is counted twice or missed.
INSERT INTO "genledger"."failure_group_days" (day, group_id, failures)
SELECT (a.failed_at AT TIME ZONE 'UTC')::date, m.group_id, count(*)::integer
FROM "genledger"."failed_message_attempts" a
JOIN "genledger"."failure_group_members" m ON m.failed_message_id = a.failed_message_id
GROUP BY 1, 2;
