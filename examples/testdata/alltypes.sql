-- Every type of docs/TYPES.md with edge values, for the round-trip acceptance test.
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy, very', 'it''s');
CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
CREATE SCHEMA app;
CREATE TABLE app.types (
  id        integer PRIMARY KEY,
  b         boolean,
  i2        smallint,
  i4        integer,
  i8        bigint,
  f4        real,
  f8        double precision,
  n_free    numeric,
  n_38      numeric(38,10),
  n_12      numeric(12,2),
  t         text,
  vc        varchar(20),
  ch        char(5),
  by        bytea,
  d         date,
  tm        time,
  ttz       timetz,
  ts        timestamp,
  tstz      timestamptz,
  iv        interval,
  u         uuid,
  j         json,
  jb        jsonb,
  ip        inet,
  net       cidr,
  mac       macaddr,
  m         mood,
  dom       posint,
  a_int     integer[],
  a_text    text[],
  a_num     numeric(10,3)[],
  a_mood    mood[],
  a_ts      timestamptz[],
  a_uuid    uuid[]
);
INSERT INTO app.types (id) VALUES (1);  -- NULL in every column
INSERT INTO app.types VALUES (2, true, -32768, -2147483648, -9223372036854775808, 'NaN', '-Infinity',
  'NaN', -9999999999999999999999999999.9999999999, -9999999999.99, '', '', '', '',
  '4713-01-01 BC', '00:00', '00:00:00+15:59', '4713-01-01 00:00:00 BC', '4713-01-01 00:00:00+00 BC',
  '-178000000 years -5 days -12:34:56.789', '00000000-0000-0000-0000-000000000000', '""', '{}',
  '0.0.0.0', '0.0.0.0/0', '00:00:00:00:00:00', 'sad', 1, '{}', '{}', '{}', '{}', '{}', '{}');
INSERT INTO app.types VALUES (3, false, 32767, 2147483647, 9223372036854775807, 'Infinity', 'Infinity',
  'Infinity', 9999999999999999999999999999.9999999999, 9999999999.99, 'héllo 😀 wörld ✓ 𝄞', 'xyz😀', 'ab',
  '\x00ff10', '294276-12-31', '24:00:00', '23:59:59.999999-15:59', '294276-12-31 23:59:59.999999',
  '294276-12-31 23:59:59.999999+00', '178000000 years 11 mons 29 days 23:59:59.999999',
  'ffffffff-ffff-ffff-ffff-ffffffffffff', '{"a": [1, 2.5, "x\u0000y"]}', '{"k": {"z": null, "a": [true]}}',
  '2001:db8::1/64', '2001:db8::/32', 'ff:ee:dd:cc:bb:aa', 'it''s', 2147483647,
  '{1,NULL,-3}', '{"a,b","",NULL,"q\"uote"}', '{1.5,NULL,-0.001}', '{happy\, very,NULL}',
  '{infinity,-infinity,2000-01-01 00:00:00+00}', '{00000000-0000-0000-0000-000000000001}');
INSERT INTO app.types (id, f4, f8, n_free, ts, tstz, d) VALUES (4, '-Infinity', 'NaN', '-Infinity', 'infinity', '-infinity', 'infinity');
INSERT INTO app.types (id, n_free, ts, tstz, d, ip) VALUES (5, (repeat('9', 1000) || '.' || repeat('1', 50))::numeric, '-infinity', 'infinity', '-infinity', '::ffff:10.1.2.3');
INSERT INTO app.types (id, n_free, t, ip) VALUES (6, '-0.000100', repeat('long text ', 100000), '10.1.2.3/8');
-- one 50 MB bytea (MD5 blocks: not compressible)
INSERT INTO app.types (id, by) SELECT 7, string_agg(decode(md5(g::text), 'hex'), ''::bytea) FROM generate_series(1, 3276800) g;
