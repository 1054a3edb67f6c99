-- The schema and data the pg_dump round trip carries: db9 -> PostgreSQL 15 -> a fresh db9
-- (tests/dump/test_pg_dump_round_trip.py) and `db9 db dump` (tests/control/test_dump.py).
CREATE SCHEMA shop;
COMMENT ON SCHEMA shop IS 'the shop''s tables';

CREATE TYPE shop.mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN shop.positive AS integer CHECK (VALUE > 0);
CREATE TYPE shop.pair AS (a integer, b text);

CREATE SEQUENCE shop.invoice_no INCREMENT BY 5 START WITH 100;
SELECT setval('shop.invoice_no', 130);

CREATE TABLE shop.customer (
    id serial PRIMARY KEY,
    email text NOT NULL UNIQUE,
    name varchar(80) NOT NULL DEFAULT 'anonymous',
    mood shop.mood,
    born date,
    score numeric(12, 3) CHECK (score >= 0),
    created timestamptz NOT NULL DEFAULT '2020-01-01 00:00:00+00'
);
COMMENT ON TABLE shop.customer IS 'who buys';
COMMENT ON COLUMN shop.customer.email IS 'unique, lower case';

CREATE TABLE shop.product (
    sku text PRIMARY KEY,
    title text NOT NULL,
    price numeric(10, 2) NOT NULL CONSTRAINT price_positive CHECK (price > 0),
    tags text[],
    attrs jsonb,
    raw json,
    picture bytea,
    weight real,
    ratio double precision,
    stock shop.positive,
    active boolean DEFAULT true,
    CONSTRAINT product_title_key UNIQUE (title) DEFERRABLE INITIALLY DEFERRED
);

CREATE TABLE shop.orders (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    invoice integer NOT NULL DEFAULT nextval('shop.invoice_no'),
    customer_id integer NOT NULL REFERENCES shop.customer (id) ON DELETE CASCADE,
    placed timestamp without time zone,
    note text,
    UNIQUE (customer_id, invoice)
);

CREATE TABLE shop.order_line (
    order_id bigint NOT NULL,
    line smallint NOT NULL,
    sku text NOT NULL,
    qty integer NOT NULL DEFAULT 1,
    span interval,
    uid uuid,
    CONSTRAINT order_line_pk PRIMARY KEY (order_id, line),
    CONSTRAINT order_line_order FOREIGN KEY (order_id) REFERENCES shop.orders (id)
        ON DELETE CASCADE,
    CONSTRAINT order_line_sku FOREIGN KEY (sku) REFERENCES shop.product (sku) ON UPDATE CASCADE
);

CREATE INDEX customer_lower_email ON shop.customer (lower(email));
CREATE INDEX customer_born_desc ON shop.customer (born DESC, name);
CREATE INDEX product_active ON shop.product (title) WHERE active;
CREATE INDEX orders_placed ON shop.orders (placed) INCLUDE (note);
CREATE UNIQUE INDEX order_line_sku_once ON shop.order_line (order_id, sku);

CREATE VIEW shop.big_orders AS
    SELECT o.id, c.email, o.placed FROM shop.orders o JOIN shop.customer c ON c.id = o.customer_id
    WHERE o.invoice > 100;
CREATE VIEW shop.big_order_emails AS SELECT DISTINCT email FROM shop.big_orders;

CREATE FUNCTION shop.touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.note := coalesce(NEW.note, '') || '!';
    RETURN NEW;
END;
$$;
CREATE TRIGGER orders_touch BEFORE INSERT ON shop.orders FOR EACH ROW EXECUTE FUNCTION shop.touch();
CREATE FUNCTION shop.double_it(x integer) RETURNS integer LANGUAGE sql IMMUTABLE AS $$ SELECT x * 2 $$;

CREATE TABLE public.measure (
    city text NOT NULL,
    day date NOT NULL,
    temp numeric
) PARTITION BY RANGE (day);
CREATE TABLE public.measure_2024 PARTITION OF public.measure
    FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE public.measure_2025 PARTITION OF public.measure
    FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');

CREATE TABLE public.animal (id integer PRIMARY KEY, name text);
CREATE TABLE public.dog (good boolean NOT NULL DEFAULT true) INHERITS (public.animal);

CREATE TABLE public."Odd ""Name""" ("Mixed Case" integer, "select" text);

-- A serial in public: its default names the sequence, which pg_dump's empty search_path
-- must see qualified (nextval('public.items_id_seq'::regclass)).
CREATE TABLE public.items (id serial PRIMARY KEY, label text NOT NULL);

INSERT INTO shop.customer (email, name, mood, born, score) VALUES
    ('ann@example.com', 'Ann', 'happy', '1990-02-03', 12.5),
    ('bob@example.com', 'Bob O''Brien', 'sad', NULL, 0),
    ('cé@example.com', 'Cécile ☃', NULL, '2001-12-31', 123456789.123),
    ('dan@example.com', DEFAULT, 'ok', '1970-01-01', NULL);
INSERT INTO shop.product VALUES
    ('A-1', 'Apple', 1.25, '{red,"green apple",NULL}', '{"a": 1, "b": [1, 2, {"c": null}]}',
     '{"x": "y"}', '\x00ff10', 1.5, 0.1, 7, true),
    ('B-2', 'Tab	and "quotes"', 99999999.99, '{}', '[]', 'null', '', -0.5, 1e300, NULL, false),
    ('C-3', E'line\nbreak\\', 0.01, NULL, NULL, NULL, NULL, NULL, NULL, 1, NULL);
INSERT INTO shop.orders (customer_id, placed, note) VALUES
    (1, '2024-05-06 07:08:09.123456', 'first'),
    (1, NULL, NULL),
    (3, '2025-01-01 00:00:00', 'ünïcode');
INSERT INTO shop.order_line VALUES
    (1, 1, 'A-1', 3, '1 day 02:00:00', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'),
    (1, 2, 'B-2', 1, NULL, NULL),
    (3, 1, 'C-3', 10, '-3 months', NULL);
INSERT INTO public.measure VALUES ('Oslo', '2024-03-01', -3.5), ('Rome', '2025-07-01', 31);
INSERT INTO public.animal VALUES (1, 'generic');
INSERT INTO public.dog VALUES (2, 'rex', true), (3, NULL, false);
INSERT INTO public."Odd ""Name""" VALUES (1, 'x'), (NULL, NULL);

CREATE TYPE shop.floatrange AS RANGE (subtype = double precision);
CREATE TABLE shop.booking (
    id integer PRIMARY KEY,
    during tsrange,
    days daterange,
    amount numrange,
    f shop.floatrange,
    free int4multirange,
    parts int4range[],
    EXCLUDE USING gist (during WITH &&)
);
INSERT INTO shop.booking VALUES
    (1, '[2024-01-01 10:00,2024-01-01 11:00)', '[2024-01-01,2024-01-03)', '(1.50,2]', '[1,2.5)',
     '{[1,2),[5,6)}', '{"[1,2)",empty}'),
    (2, 'empty', NULL, '(,)', NULL, '{}', '{}');
INSERT INTO public.items (label) VALUES ('one'), ('two');
