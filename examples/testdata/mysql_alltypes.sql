-- Every MySQL type of docs/TYPES-MYSQL.md with edge values (MariaDB 10.11).
-- Statements end with ";" at the end of a line; read by readers/mysql and transforms/convert tests.
CREATE TABLE all_types (
  id int unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY,
  ti tinyint, tiu tinyint unsigned, t1 tinyint(1), si smallint, siu smallint unsigned,
  mi mediumint, miu mediumint unsigned, i int, iu int(10) unsigned zerofill, bi bigint, biu bigint unsigned,
  d10 decimal(10,2) DEFAULT 1.50, d38 decimal(38,10), d65 decimal(65,30),
  f float, dbl double, b1 bit(1), b64 bit(64) DEFAULT b'101',
  y year, dt date, dtm datetime, dtm6 datetime(6), ts timestamp(3) NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  tm time, tm6 time(6),
  c char(5), vc varchar(40) DEFAULT 'it''s', tt tinytext, tx text, mt mediumtext, lt longtext,
  l1 varchar(20) CHARACTER SET latin1 COLLATE latin1_swedish_ci,
  bn binary(4), vb varbinary(10), bl blob, lb longblob,
  e enum('a','b,c','d''e','') , st set('x','y''z','w"q'),
  j json,
  g_stored bigint AS (bi DIV 2) STORED, g_virtual varchar(50) AS (concat(vc, '!')) VIRTUAL,
  KEY ix_prefix (vc(5), c DESC),
  FULLTEXT KEY ft (tx),
  UNIQUE KEY uq (si, mi),
  CONSTRAINT ck_pos CHECK (siu >= 0)
) AUTO_INCREMENT = 100;
SET sql_mode = '';
-- Minimums and zero values.
INSERT INTO all_types (id, ti, tiu, t1, si, siu, mi, miu, i, iu, bi, biu, d10, d38, d65, f, dbl, b1, b64, y, dt, dtm, dtm6, ts,
  tm, tm6, c, vc, tt, tx, mt, lt, l1, bn, vb, bl, lb, e, st, j) VALUES
 (1, -128, 0, 0, -32768, 0, -8388608, 0, -2147483648, 0, -9223372036854775808, 0, -99999999.99,
  -9999999999999999999999999999.9999999999, -99999999999999999999999999999999999.999999999999999999999999999999,
  -3.40282e38, -1.7976931348623157e308, b'0', b'0', 1901, '0000-00-00', '0000-00-00 00:00:00', '1000-01-01 00:00:00.000000', '1970-01-01 00:00:01.000',
  '-838:59:59', '-838:59:59.000000', '', '', '', '', '', '', '', x'00000000', x'', x'', x'', '', '', '[]');
-- Maximums.
INSERT INTO all_types (id, ti, tiu, t1, si, siu, mi, miu, i, iu, bi, biu, d10, d38, d65, f, dbl, b1, b64, y, dt, dtm, dtm6, ts,
  tm, tm6, c, vc, tt, tx, mt, lt, l1, bn, vb, bl, lb, e, st, j) VALUES
 (2, 127, 255, 1, 32767, 65535, 8388607, 16777215, 2147483647, 4294967295, 9223372036854775807, 18446744073709551615, 99999999.99,
  9999999999999999999999999999.9999999999, 99999999999999999999999999999999999.999999999999999999999999999999,
  3.40282e38, 1.7976931348623157e308, b'1', b'1111111111111111111111111111111111111111111111111111111111111111', 2155,
  '9999-12-31', '9999-12-31 23:59:59', '9999-12-31 23:59:59.999999', '2038-01-19 03:14:07.999',
  '838:59:59', '838:59:59.000000', 'abcde', 'x', 'tiny', 'text', 'medium', 'long', 'Grüße, Ça va? ÿ', x'FFFFFFFF', x'00FF00', x'DEADBEEF', x'00', 'b,c', 'x,y''z,w"q',
  '{"k": "✓ 𝄞 \u00e9", "n": [1, 2.5, null]}');
-- Everyday values, 4-byte UTF-8, zeros.
INSERT INTO all_types (id, ti, tiu, t1, si, siu, mi, miu, i, iu, bi, biu, d10, d38, d65, f, dbl, b1, b64, y, dt, dtm, dtm6, ts,
  tm, tm6, c, vc, tt, tx, mt, lt, l1, bn, vb, bl, lb, e, st, j) VALUES
 (3, 0, 1, 5, 0, 1, 0, 1, 0, 42, 0, 9223372036854775808, 0, 0.0000000001, 0.000000000000000000000000000001,
  16777217, 0.30000000000000004, NULL, b'101', 0, '2024-02-29', '1969-12-31 23:59:59', '2000-01-01 00:00:00.000001', '2024-06-30 12:00:00.5',
  '00:00:00', '-00:00:00.000001', 'a  ', 'emoji 😀 𝄞', 'é', 'ñ', 'ß', '中文', 'àéîõü', x'01', x'0102', x'', x'FF', 'd''e', 'x', 'null');
INSERT INTO all_types (id) VALUES (4);
