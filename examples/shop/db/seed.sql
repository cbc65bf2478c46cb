-- Deterministic demo data for the shop: ~300k orders and ~600k order lines, so that
-- plans matter (a sequential scan of orders costs, sorts of the whole table show).
-- Dates spread over 2025; statuses and customers skewed as in a real shop.

SET work_mem = '64MB';
SELECT setseed(0.42);

-- Bulk load as the PostgreSQL manual advises (Populating a Database): drop the foreign
-- keys and the secondary indexes, load, then recreate them from their saved definitions.
CREATE TEMPORARY TABLE seed_deferred_ddl ON COMMIT DROP AS
SELECT format('ALTER TABLE %s DROP CONSTRAINT %I', conrelid::regclass, conname) AS drop_ddl,
       format('ALTER TABLE %s ADD CONSTRAINT %I %s', conrelid::regclass, conname, pg_get_constraintdef(oid)) AS create_ddl
FROM pg_constraint
WHERE contype = 'f' AND connamespace = 'public'::regnamespace
UNION ALL
SELECT format('DROP INDEX %s', i.indexrelid::regclass), pg_get_indexdef(i.indexrelid)
FROM pg_index AS i
JOIN pg_class AS t ON t.oid = i.indrelid
WHERE t.relnamespace = 'public'::regnamespace
  AND NOT EXISTS (SELECT FROM pg_constraint AS c WHERE c.conindid = i.indexrelid);

DO $$
DECLARE ddl text;
BEGIN
    FOR ddl IN SELECT drop_ddl FROM seed_deferred_ddl LOOP
        EXECUTE ddl;
    END LOOP;
END $$;

INSERT INTO categories (id, parent_id, name, slug)
SELECT g, NULL, name, lower(name)
FROM unnest(ARRAY['Kitchen', 'Garden', 'Office', 'Toys', 'Sports', 'Books', 'Audio', 'Bath'])
     WITH ORDINALITY AS roots (name, g);

INSERT INTO categories (id, parent_id, name, slug)
SELECT 8 + g, 1 + (g - 1) / 4, parent.name || ' ' || kind, parent.slug || '-' || lower(kind)
FROM generate_series(1, 32) AS g
JOIN categories AS parent ON parent.id = 1 + (g - 1) / 4
CROSS JOIN LATERAL (SELECT (ARRAY['Basics', 'Premium', 'Outlet', 'Kids'])[1 + (g - 1) % 4] AS kind) AS k;

INSERT INTO customers (id, email, full_name, country, credit_balance, credit_limit, birth_date, created_at)
SELECT g,
       'customer' || g || '@example.com',
       (ARRAY['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken', 'Radia', 'Tony'])[1 + (random() * 9)::int]
         || ' ' ||
       (ARRAY['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'Thompson', 'Perlman', 'Hoare'])[1 + (random() * 9)::int],
       (ARRAY['DE', 'FR', 'NL', 'BE', 'IT', 'ES', 'AT', 'PL'])[1 + (random() * 7)::int],
       CASE WHEN random() < 0.1 THEN round((random() * 50)::numeric, 2) ELSE 0 END,
       (ARRAY[0, 500, 1000, 5000])[1 + (random() * 3)::int],
       date '1950-01-01' + (random() * 20000)::int,
       timestamptz '2023-01-01 00:00+00' + random() * interval '730 days'
FROM generate_series(1, 30000) AS g;

INSERT INTO products (id, sku, category_id, name, price, weight_kg, active, created_at)
SELECT g,
       'SKU-' || lpad(g::text, 6, '0'),
       9 + g % 32,
       (ARRAY['Compact', 'Deluxe', 'Classic', 'Smart', 'Eco', 'Pro'])[1 + g % 6] || ' '
         || (ARRAY['Kettle', 'Lamp', 'Chair', 'Racket', 'Speaker', 'Towel', 'Puzzle', 'Planter', 'Notebook'])[1 + g % 9]
         || ' ' || g,
       round((2 + random() * 198)::numeric, 2),
       round((0.1 + random() * 12)::numeric, 2),
       random() > 0.05,
       timestamptz '2023-01-01 00:00+00' + random() * interval '700 days'
FROM generate_series(1, 5000) AS g;

INSERT INTO inventory (product_id, warehouse, on_hand, reserved)
SELECT p, w, (random() * 200)::int, 0
FROM generate_series(1, 5000) AS p
CROSS JOIN unnest(ARRAY['berlin', 'lyon', 'rotterdam']) AS w;

-- Orders: line l of order o sells product 1 + (o * 7919 + l * 104729) % 5000 (a
-- multiplicative hash), 1 + (o + l) % 3 units; an order has 1 to 3 lines. Totals are the
-- sum of their lines (prices looked up in an integer-cents array: O(1) subscripts).
WITH price_list AS (SELECT array_agg((price * 100)::int ORDER BY id) AS cents FROM products)
INSERT INTO orders (id, customer_id, status, total, discount_rate, placed_at, shipped_at)
SELECT o.id,
       1 + floor(power(random(), 2) * 30000)::int,
       o.status,
       (SELECT sum(price_list.cents[1 + (o.id::bigint * 7919 + l * 104729) % 5000] * (1 + (o.id + l) % 3)) / 100.0
        FROM generate_series(1, 1 + o.id % 3) AS l),
       CASE WHEN random() < 0.2 THEN 0.1 ELSE 0 END,
       o.placed_at,
       CASE WHEN o.status IN ('shipped', 'delivered', 'refunded')
            THEN (o.placed_at AT TIME ZONE 'UTC') + random() * interval '3 days' END
FROM (
    SELECT g AS id,
           timestamptz '2025-01-01 00:00+00' + random() * interval '365 days' AS placed_at,
           CASE WHEN r < 0.70 THEN 'delivered'
                WHEN r < 0.80 THEN 'shipped'
                WHEN r < 0.88 THEN 'paid'
                WHEN r < 0.94 THEN 'pending'
                WHEN r < 0.99 THEN 'cancelled'
                ELSE 'refunded' END AS status
    FROM (SELECT g, random() AS r FROM generate_series(1, 300000) AS g) AS draws
) AS o
CROSS JOIN price_list;

INSERT INTO order_items (order_id, line_no, product_id, quantity, unit_price)
SELECT o, l, p.id, 1 + (o + l) % 3, p.price
FROM generate_series(1, 300000) AS o
CROSS JOIN LATERAL generate_series(1, 1 + o % 3) AS l
JOIN products AS p ON p.id = 1 + (o::bigint * 7919 + l * 104729) % 5000;

INSERT INTO payments (order_id, provider_ref, status, amount, fee, created_at)
SELECT id,
       'pi_' || lpad(id::text, 10, '0'),
       CASE WHEN status = 'refunded' THEN 'refunded' ELSE 'captured' END,
       total,
       round(total * 0.029 + 0.25, 2),
       placed_at + interval '2 minutes'
FROM orders
WHERE status NOT IN ('pending', 'cancelled');

INSERT INTO cart_items (customer_id, product_id, quantity, added_at)
SELECT 1 + (random() * 29999)::int,
       1 + (random() * 4999)::int,
       1 + (random() * 2)::int,
       timestamptz '2025-12-01 00:00+00' + random() * interval '30 days'
FROM generate_series(1, 20000);

INSERT INTO audit_log (occurred_at, actor, action, detail)
SELECT timestamptz '2025-01-01 00:00+00' + random() * interval '365 days',
       (ARRAY['api', 'worker', 'admin'])[1 + (random() * 2)::int],
       (ARRAY['order.created', 'order.cancelled', 'payment.captured', 'customer.created'])[1 + (random() * 3)::int],
       jsonb_build_object('order_id', 1 + (random() * 299999)::int)
FROM generate_series(1, 10000);

SELECT setval(pg_get_serial_sequence(table_name, 'id'), (SELECT max(id) FROM orders))
FROM (VALUES ('orders')) AS t (table_name);
SELECT setval(pg_get_serial_sequence('customers', 'id'), 30000);
SELECT setval(pg_get_serial_sequence('products', 'id'), 5000);

DO $$
DECLARE ddl text;
BEGIN
    FOR ddl IN SELECT create_ddl FROM seed_deferred_ddl LOOP
        EXECUTE ddl;
    END LOOP;
END $$;

ANALYZE;

-- A little traffic: the application's read paths, once each, so that the index usage
-- statistics look like those of a database that has served requests. Indexes no path
-- uses (customers_country_idx, the redundant orders_status_idx) keep zero scans.
SELECT count(*) FROM products WHERE category_id = 12;
SELECT count(*) FROM (SELECT sku, name FROM products WHERE sku >= 'SKU-000042' ORDER BY sku, name LIMIT 20) AS search;
SELECT count(*) FROM (SELECT id FROM orders WHERE status = 'paid' ORDER BY placed_at DESC, id DESC LIMIT 20) AS page;
SELECT count(*) FROM order_items WHERE product_id = 42;
SELECT count(*) FROM payments WHERE order_id = 4242;
SELECT count(*) FROM cart_items WHERE customer_id = 7;
SELECT count(*) FROM cart_items WHERE product_id = 4242;
SELECT count(*) FROM orders WHERE placed_at >= timestamptz '2025-12-31 00:00+00';
