-- autogen upgrade aaaa00000001:head, rendered for MySQL without connecting

CREATE TABLE IF NOT EXISTS `autogen_version` (`version_num` varchar(32) NOT NULL, CONSTRAINT `autogen_version_pkc` PRIMARY KEY (`version_num`));
CREATE TABLE IF NOT EXISTS `autogen_revisions` (`revision` varchar(32) NOT NULL, `checksum` char(64) NOT NULL, `tag` text, `applied_at` datetime NOT NULL, CONSTRAINT `autogen_revisions_pkc` PRIMARY KEY (`revision`)) DEFAULT CHARSET = utf8mb4;

-- Running upgrade aaaa00000001 -> cccc00000002, live change

BEGIN;

SET SESSION lock_wait_timeout = 2;

-- op 1
CREATE INDEX `t_n_idx` ON `t` (`n`) ALGORITHM=INPLACE LOCK=NONE;

-- op 2: AG104 makes column 't.email' NOT NULL; rows holding NULL make it fail
ALTER TABLE `t` MODIFY COLUMN `email` varchar(80) NOT NULL, ALGORITHM=INPLACE, LOCK=NONE;

ALTER TABLE `t` ADD UNIQUE (`email`), ALGORITHM=INPLACE, LOCK=NONE;

-- op 3: AG204 adds a foreign key from 't' (account_id) to 'account', checking every row while writes wait
ALTER TABLE `t` ADD CONSTRAINT `t_account_id_fkey` FOREIGN KEY (`account_id`) REFERENCES `account` (`id`) ON DELETE NO ACTION ON UPDATE NO ACTION;

-- op 4: AG205 adds CHECK (n >= 0) to 't', checking every row while reads and writes wait
ALTER TABLE `t` ADD CONSTRAINT `t_n_check` CHECK (n >= 0);

SET SESSION lock_wait_timeout = DEFAULT;
DELETE FROM `autogen_version`;
INSERT INTO `autogen_version` (`version_num`) VALUES ('cccc00000002');
DELETE FROM `autogen_revisions` WHERE `revision` = 'cccc00000002';
INSERT INTO `autogen_revisions` (`revision`, `checksum`, `tag`, `applied_at`) VALUES ('cccc00000002', '92d7c64c6ff586147396401c1d9b4415d80c561ea7b56f85ef1cff640c4801fa', NULL, CURRENT_TIMESTAMP);

COMMIT;

