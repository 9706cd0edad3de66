-- autogen upgrade aaaa00000001:head, rendered for PostgreSQL without connecting

CREATE TABLE IF NOT EXISTS "autogen_version" ("version_num" varchar(32) NOT NULL, CONSTRAINT "autogen_version_pkc" PRIMARY KEY ("version_num"));
CREATE TABLE IF NOT EXISTS "autogen_revisions" ("revision" varchar(32) NOT NULL, "checksum" char(64) NOT NULL, "tag" text, "applied_at" timestamp with time zone NOT NULL, CONSTRAINT "autogen_revisions_pkc" PRIMARY KEY ("revision"));

-- Running upgrade aaaa00000001 -> cccc00000002, live change

-- Lock-safe: 6 steps; steps 1, 3 run outside a transaction. Each commits on its own: run this script in autocommit mode (not as one transaction). A run of it that stops between steps goes on from the step that failed, by hand.

-- step 1 of 6, outside a transaction
-- No lock timeout: waiting for older transactions, it blocks no reads or writes.
-- Run again after a failed or killed build, drop the INVALID index it left first:
-- DROP INDEX CONCURRENTLY IF EXISTS "t_n_idx";
SET lock_timeout = '0ms';
SET statement_timeout = '0ms';
-- op 1
CREATE INDEX CONCURRENTLY IF NOT EXISTS "t_n_idx" ON "t" ("n");

RESET lock_timeout;
RESET statement_timeout;

-- step 2 of 6
BEGIN;
SET LOCAL lock_timeout = '2000ms';
SET LOCAL statement_timeout = '0ms';

-- op 2: AG104 makes column 't.email' NOT NULL; rows holding NULL make it fail
ALTER TABLE "t" ADD CONSTRAINT "t_email_not_null" CHECK ("email" IS NOT NULL) NOT VALID;

COMMIT;

-- step 3 of 6, outside a transaction
-- No lock timeout: waiting for older transactions, it blocks no reads or writes.
-- Run again after a failed or killed build, drop the INVALID index it left first:
-- DROP INDEX CONCURRENTLY IF EXISTS "t_email_key";
SET lock_timeout = '0ms';
SET statement_timeout = '0ms';
-- op 2: AG104 makes column 't.email' NOT NULL; rows holding NULL make it fail
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "t_email_key" ON "t" ("email");

RESET lock_timeout;
RESET statement_timeout;

-- step 4 of 6
BEGIN;
SET LOCAL lock_timeout = '2000ms';
SET LOCAL statement_timeout = '0ms';

-- op 2: AG104 makes column 't.email' NOT NULL; rows holding NULL make it fail
ALTER TABLE "t" ADD CONSTRAINT "t_email_key" UNIQUE USING INDEX "t_email_key";

-- op 3
ALTER TABLE "t" ADD CONSTRAINT "t_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "account" ("id") ON DELETE NO ACTION ON UPDATE NO ACTION NOT VALID;

-- op 4
ALTER TABLE "t" ADD CONSTRAINT "t_n_check" CHECK (n >= 0) NOT VALID;

COMMIT;

-- step 5 of 6
BEGIN;
SET LOCAL lock_timeout = '2000ms';
SET LOCAL statement_timeout = '0ms';

-- op 2: AG104 makes column 't.email' NOT NULL; rows holding NULL make it fail
ALTER TABLE "t" VALIDATE CONSTRAINT "t_email_not_null";

-- op 3
ALTER TABLE "t" VALIDATE CONSTRAINT "t_account_id_fkey";

-- op 4
ALTER TABLE "t" VALIDATE CONSTRAINT "t_n_check";

COMMIT;

-- step 6 of 6
BEGIN;
SET LOCAL lock_timeout = '2000ms';
SET LOCAL statement_timeout = '0ms';

-- op 2: AG104 makes column 't.email' NOT NULL; rows holding NULL make it fail
ALTER TABLE "t" ALTER COLUMN "email" SET NOT NULL;

ALTER TABLE "t" DROP CONSTRAINT "t_email_not_null";

COMMIT;

-- the revision is recorded once every step has run
BEGIN;
DELETE FROM "autogen_version";
INSERT INTO "autogen_version" ("version_num") VALUES ('cccc00000002');
DELETE FROM "autogen_revisions" WHERE "revision" = 'cccc00000002';
INSERT INTO "autogen_revisions" ("revision", "checksum", "tag", "applied_at") VALUES ('cccc00000002', '92d7c64c6ff586147396401c1d9b4415d80c561ea7b56f85ef1cff640c4801fa', NULL, CURRENT_TIMESTAMP);

COMMIT;

