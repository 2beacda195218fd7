-- A small shop, in the spirit of a real application: 13 tables with
-- foreign keys, enum, set, year, a generated column, a fulltext index,
-- 3 views (two translate, one uses GROUP_CONCAT), 2 triggers, 2 procedures,
-- and rows that break a naive migration. Statements are separated by blank
-- lines (trigger and procedure bodies hold semicolons).

CREATE TABLE categories (
  id int unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY,
  parent_id int unsigned NULL,
  name varchar(80) NOT NULL,
  slug varchar(80) NOT NULL,
  UNIQUE KEY uq_categories_slug (slug),
  CONSTRAINT fk_categories_parent FOREIGN KEY (parent_id) REFERENCES categories (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci

CREATE TABLE customers (
  id int unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY,
  email varchar(190) NOT NULL,
  full_name varchar(120) NOT NULL,
  birth_date date NULL,
  newsletter tinyint(1) NOT NULL DEFAULT 0,
  created_at timestamp NOT NULL DEFAULT current_timestamp(),
  updated_at datetime NULL ON UPDATE current_timestamp(),
  UNIQUE KEY uq_customers_email (email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci

CREATE TABLE addresses (
  id int unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY,
  customer_id int unsigned NOT NULL,
  kind enum('billing','shipping') NOT NULL DEFAULT 'shipping',
  line1 varchar(200) NOT NULL,
  city varchar(100) NOT NULL,
  country char(2) NOT NULL,
  CONSTRAINT fk_addresses_customer FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4

CREATE TABLE products (
  id int unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY,
  sku varchar(40) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  name varchar(200) NOT NULL,
  description text,
  price decimal(10,2) NOT NULL,
  price_with_vat decimal(12,2) AS (price * 1.2) VIRTUAL,
  weight_g int unsigned NULL,
  launch_year year NULL,
  flags set('new','sale','featured') NOT NULL DEFAULT '',
  category_id int unsigned NULL,
  UNIQUE KEY uq_products_sku (sku),
  FULLTEXT KEY ft_products_text (name, description),
  CONSTRAINT fk_products_category FOREIGN KEY (category_id) REFERENCES categories (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4

CREATE TABLE tags (
  id int unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name varchar(50) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  UNIQUE KEY uq_tags_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4

CREATE TABLE product_tags (
  product_id int unsigned NOT NULL,
  tag_id int unsigned NOT NULL,
  PRIMARY KEY (product_id, tag_id),
  CONSTRAINT fk_product_tags_product FOREIGN KEY (product_id) REFERENCES products (id) ON DELETE CASCADE,
  CONSTRAINT fk_product_tags_tag FOREIGN KEY (tag_id) REFERENCES tags (id)
) ENGINE=InnoDB

CREATE TABLE inventory (
  product_id int unsigned NOT NULL PRIMARY KEY,
  quantity int NOT NULL DEFAULT 0,
  reserved int NOT NULL DEFAULT 0,
  last_counted date NOT NULL DEFAULT '0000-00-00',
  CONSTRAINT fk_inventory_product FOREIGN KEY (product_id) REFERENCES products (id)
) ENGINE=InnoDB

CREATE TABLE orders (
  id int unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY,
  customer_id int unsigned NOT NULL,
  shipping_address_id int unsigned NULL,
  status enum('new','paid','shipped','cancelled') NOT NULL DEFAULT 'new',
  placed_at datetime(3) NOT NULL,
  total decimal(12,2) NOT NULL DEFAULT 0.00,
  notes text,
  KEY ix_orders_customer (customer_id, placed_at),
  CONSTRAINT fk_orders_customer FOREIGN KEY (customer_id) REFERENCES customers (id),
  CONSTRAINT fk_orders_address FOREIGN KEY (shipping_address_id) REFERENCES addresses (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4

CREATE TABLE order_lines (
  order_id int unsigned NOT NULL,
  line_no smallint unsigned NOT NULL,
  product_id int unsigned NOT NULL,
  quantity int NOT NULL,
  unit_price decimal(10,2) NOT NULL,
  PRIMARY KEY (order_id, line_no),
  CONSTRAINT fk_order_lines_order FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE CASCADE,
  CONSTRAINT fk_order_lines_product FOREIGN KEY (product_id) REFERENCES products (id)
) ENGINE=InnoDB

CREATE TABLE payments (
  id int unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY,
  order_id int unsigned NOT NULL,
  method enum('card','paypal','transfer') NOT NULL,
  amount decimal(12,2) NOT NULL,
  gateway_ref bigint unsigned NULL,
  paid_at timestamp NULL DEFAULT NULL,
  raw_response blob,
  CONSTRAINT fk_payments_order FOREIGN KEY (order_id) REFERENCES orders (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4

CREATE TABLE shipments (
  id int unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY,
  order_id int unsigned NOT NULL,
  carrier varchar(40) NOT NULL,
  tracking_no varchar(60) NULL,
  shipped_on date NULL,
  delivered_on date NULL,
  CONSTRAINT fk_shipments_order FOREIGN KEY (order_id) REFERENCES orders (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4

CREATE TABLE reviews (
  id int unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY,
  product_id int unsigned NOT NULL,
  customer_id int unsigned NOT NULL,
  rating tinyint unsigned NOT NULL,
  body text,
  created_at datetime NOT NULL DEFAULT current_timestamp(),
  CONSTRAINT ck_reviews_rating CHECK (rating BETWEEN 1 AND 5),
  CONSTRAINT fk_reviews_product FOREIGN KEY (product_id) REFERENCES products (id),
  CONSTRAINT fk_reviews_customer FOREIGN KEY (customer_id) REFERENCES customers (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4

CREATE TABLE audit_log (
  id bigint NOT NULL AUTO_INCREMENT PRIMARY KEY,
  table_name varchar(64) NOT NULL,
  row_id int unsigned NOT NULL,
  action enum('insert','update','delete') NOT NULL,
  changed_at timestamp(6) NOT NULL DEFAULT current_timestamp(6),
  details longtext
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4

CREATE VIEW v_product_catalog AS SELECT p.id, p.sku, p.name, p.price, c.name AS category FROM products p LEFT JOIN categories c ON c.id = p.category_id

CREATE VIEW v_customer_orders AS SELECT o.customer_id, COUNT(*) AS orders, SUM(o.total) AS spent FROM orders o GROUP BY o.customer_id

CREATE VIEW v_order_products AS SELECT ol.order_id, GROUP_CONCAT(p.name ORDER BY ol.line_no SEPARATOR ', ') AS products FROM order_lines ol JOIN products p ON p.id = ol.product_id GROUP BY ol.order_id

CREATE TRIGGER trg_orders_audit AFTER INSERT ON orders FOR EACH ROW
  INSERT INTO audit_log (table_name, row_id, action, details) VALUES ('orders', NEW.id, 'insert', CONCAT('status=', NEW.status))

CREATE TRIGGER trg_inventory_not_negative BEFORE UPDATE ON inventory FOR EACH ROW
BEGIN
  IF NEW.quantity < NEW.reserved THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'quantity below reserved';
  END IF;
END

CREATE PROCEDURE sp_cancel_order(IN p_order int unsigned)
BEGIN
  UPDATE orders SET status = 'cancelled' WHERE id = p_order;
  DELETE FROM payments WHERE order_id = p_order;
END

CREATE PROCEDURE sp_restock(IN p_product int unsigned, IN p_qty int)
BEGIN
  UPDATE inventory SET quantity = quantity + p_qty, last_counted = CURDATE() WHERE product_id = p_product;
END

INSERT INTO categories (id, parent_id, name, slug) VALUES (1, NULL, 'Books', 'books'), (2, 1, 'Databases', 'databases'), (3, NULL, 'Café & Tea', 'cafe')

INSERT INTO customers (id, email, full_name, birth_date, newsletter, created_at, updated_at) VALUES
  (1, 'ada@example.com', 'Ada Lovelace', '1815-12-10', 1, '2024-01-02 03:04:05', NULL),
  (2, 'edgar@example.com', 'Edgar Codd', '0000-00-00', 0, '2024-02-03 04:05:06', '2024-03-01 10:00:00'),
  (3, 'grace@example.com', 'Grace Hopper', NULL, 2, '2024-03-04 05:06:07', NULL)

INSERT INTO addresses (id, customer_id, kind, line1, city, country) VALUES
  (1, 1, 'billing', '12 St James''s Square', 'London', 'GB'), (2, 2, 'shipping', '1 Main St', 'San José', 'US')

INSERT INTO products (id, sku, name, description, price, weight_g, launch_year, flags, category_id) VALUES
  (1, 'DB-001', 'Database Systems', 'The classic.', 59.90, 1200, 1999, 'new,featured', 2),
  (2, 'db-001', 'Database systems (2nd ed.)', 'A SKU that differs only by case.', 64.00, 1250, 2005, '', 2),
  (3, 'TEA-1', 'Thé vert', NULL, 7.50, NULL, 0, 'sale', 3)

INSERT INTO tags (id, name) VALUES (1, 'SQL'), (2, 'sql'), (3, 'Relational')

INSERT INTO product_tags VALUES (1, 1), (1, 3), (2, 2)

INSERT INTO inventory (product_id, quantity, reserved, last_counted) VALUES (1, 10, 1, '2024-05-01'), (2, 3, 0, '0000-00-00'), (3, 100, 5, '2024-05-02')

INSERT INTO orders (id, customer_id, shipping_address_id, status, placed_at, total, notes) VALUES
  (1, 1, 1, 'paid', '2024-06-01 12:00:00.123', 123.80, NULL), (2, 2, 2, 'new', '2024-06-02 13:30:00', 7.50, 'leave at the door')

INSERT INTO order_lines VALUES (1, 1, 1, 2, 59.90), (1, 2, 3, 1, 4.00), (2, 1, 3, 1, 7.50)

INSERT INTO payments (id, order_id, method, amount, gateway_ref, paid_at, raw_response) VALUES
  (1, 1, 'card', 123.80, 18446744073709551000, '2024-06-01 12:01:00', X'7B226F6B223A747275657D'), (2, 2, 'paypal', 7.50, 42, NULL, NULL)

INSERT INTO shipments (id, order_id, carrier, tracking_no, shipped_on, delivered_on) VALUES (1, 1, 'DHL', 'JD0123', '2024-06-02', NULL)

INSERT INTO reviews (id, product_id, customer_id, rating, body, created_at) VALUES
  (1, 1, 1, 5, 'Still the best.', '2024-06-10 09:00:00'), (2, 3, 2, 4, CONCAT('Good tea', CHAR(0), ' (a NUL byte from an old import)'), '2024-06-11 10:00:00')
