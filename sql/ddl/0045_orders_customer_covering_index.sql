-- The index of the orders by customer also carries each order's status and revenue, so that the
-- figures of a customer's counted orders are read from the index alone (an index-only scan)
-- instead of from the orders' wide rows with their shipping columns.
--
-- Why: customer_lifetime_reconcile, the check of every batch that re-derives the lifetime
-- figures of the ~100k customers a batch touches, reads all their counted orders in every month.
-- From the table that is 860 MB of pages at full size (110k), from this index 250 MB (31k):
-- 1.36-1.65 s -> 1.10-1.18 s (docs/benchmarks.md). Stage 47 looks up the remaining orders of a
-- customer who lost a first or last order the same way. The key columns are those of the index
-- it replaces, so the API's purchase history (a customer's orders, newest first) reads it as
-- before.

create index orders_customer_covering_idx on core.orders (customer_id, order_date) include (status, revenue);
drop index core.orders_customer_idx;
alter index core.orders_customer_covering_idx rename to orders_customer_idx;
comment on index core.orders_customer_idx is
'A customer''s orders by date, with the status and revenue their lifetime figures need (index-only).';
