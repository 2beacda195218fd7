-- Sample shop database on MariaDB for `make demo` (after SET @rows = N).
CREATE TABLE customers (
  id         bigint NOT NULL AUTO_INCREMENT PRIMARY KEY,
  email      varchar(255) NOT NULL UNIQUE,
  name       varchar(100) NOT NULL,
  country    char(2),
  balance    decimal(12,2) NOT NULL DEFAULT 0,
  is_active  tinyint(1) NOT NULL DEFAULT 1,
  profile    json,
  created_at datetime(6) NOT NULL DEFAULT current_timestamp(6)
);
CREATE TABLE products (
  id       int unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY,
  sku      varchar(32) NOT NULL UNIQUE,
  name     varchar(200) NOT NULL,
  price    decimal(10,2) NOT NULL CHECK (price >= 0),
  weight   float,
  image    blob,
  uid      uuid NOT NULL
);
CREATE TABLE orders (
  id          bigint NOT NULL AUTO_INCREMENT PRIMARY KEY,
  customer_id bigint NOT NULL,
  status      enum('new','paid','shipped','cancelled') NOT NULL DEFAULT 'new',
  total       decimal(12,2) NOT NULL,
  ordered_at  datetime NOT NULL DEFAULT current_timestamp,
  ship_by     date,
  note        text,
  updated_at  timestamp(3) NOT NULL DEFAULT current_timestamp(3) ON UPDATE current_timestamp(3),
  KEY orders_customer_idx (customer_id),
  CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id)
);
CREATE TABLE order_items (
  order_id   bigint NOT NULL,
  line_no    int NOT NULL,
  product_id int unsigned NOT NULL,
  qty        smallint unsigned NOT NULL,
  price      decimal(10,2) NOT NULL,
  PRIMARY KEY (order_id, line_no),
  CONSTRAINT order_items_order_fk FOREIGN KEY (order_id) REFERENCES orders (id),
  CONSTRAINT order_items_product_fk FOREIGN KEY (product_id) REFERENCES products (id)
);
CREATE TABLE events (
  id      bigint NOT NULL PRIMARY KEY,
  at      timestamp(6) NOT NULL,
  kind    varchar(16) NOT NULL,
  took    time(3),
  flags   set('urgent','retry','internal'),
  payload json,
  KEY events_at_idx (at)
);

INSERT INTO customers (email, name, country, balance, is_active, profile, created_at)
SELECT concat('user', seq, '@example.com'), concat('Customer ', seq, IF(seq % 7 = 0, ' Ærø', '')),
       ELT(1 + seq % 4, 'DE', 'FR', 'NO', NULL), (seq % 1000) * 1.25, seq % 5 <> 0,
       IF(seq % 3 = 0, json_object('tier', seq % 4, 'tags', json_array('a', 'b')), NULL),
       '2024-01-01' + INTERVAL seq MINUTE
FROM seq_1_to_5000;
INSERT INTO products (sku, name, price, weight, image, uid)
SELECT concat('SKU-', seq), concat('Product ', seq), 1 + seq % 500 + 0.99, IF(seq % 4 = 0, NULL, seq / 8),
       IF(seq % 10 = 0, unhex(sha2(seq, 256)), NULL), uuid()
FROM seq_1_to_2000;
INSERT INTO orders (customer_id, status, total, ordered_at, ship_by, note)
SELECT 1 + seq % 5000, ELT(1 + seq % 4, 'new', 'paid', 'shipped', 'cancelled'), (seq % 900) + 0.5,
       '2024-01-01' + INTERVAL seq SECOND, IF(seq % 2 = 0, '2024-02-01' + INTERVAL seq % 300 DAY, NULL),
       IF(seq % 5 = 0, concat('note\twith tab ', seq), NULL)
FROM seq_1_to_200000 WHERE seq <= @rows;
INSERT INTO order_items (order_id, line_no, product_id, qty, price)
SELECT o.id, l.seq, 1 + (o.id * l.seq) % 2000, 1 + l.seq, 9.99 * l.seq
FROM orders o JOIN seq_1_to_3 l;
INSERT INTO events (id, at, kind, took, flags, payload)
SELECT seq, '2024-03-01' + INTERVAL seq * 3 SECOND, ELT(1 + seq % 3, 'view', 'click', 'buy'),
       IF(seq % 6 = 0, NULL, sec_to_time((seq % 5000) / 7)), IF(seq % 4 = 0, 'urgent,retry', ''),
       json_object('n', seq, 'ok', seq % 2 = 0)
FROM seq_1_to_200000 WHERE seq <= @rows;
