-- Every order line references an order at the line's own (order_id, order_date), i.e. in the
-- same partition, and a product of core.products (the deferred foreign keys fire only at
-- commit: this check runs before it).
-- Batch scope: the lines of the orders whose lines the batch wrote (orders_with_written_lines in
-- _scope.sql), in the months the batch touched. An order whose status alone changes is updated
-- in place (stage 37) and its lines stay as they were (the bench's 1 % batch: 0.77 -> 0.53 s,
-- bench/batch_ab.py).
-- severity: error
-- scope: batch
{% from "_scope.sql" import month_ranges, in_range, orders_with_written_lines with context %}
{% if whole -%}
-- Whole tables (a first load, before its ANALYZE): the lines meet their orders first, in one
-- hash join on both cores, then the products; left to itself the planner hashed the products
-- first and the 5M orders after, or merged each month after sorting it (docs/checks.md).
-- set: join_collapse_limit = 1
-- set: enable_mergejoin = off
{% endif -%}
with
months as (
    {{ month_ranges() }}
){% if not whole %},

written_orders as (
    {{ orders_with_written_lines() }}
){% endif %}

select
    r.order_item_id,
    r.order_id,
    r.order_date,
    r.product_id,
    case
        when r.no_order then 'no order at (order_id, order_date)'
        else 'product_id is no product'
    end as problem
from months as m
cross join
    lateral (
        select
            i.order_item_id,
            i.order_id,
            i.order_date,
            i.product_id,
            o.order_id is null as no_order
        from core.order_items as i
        left join core.orders as o
            on i.order_id = o.order_id and i.order_date = o.order_date and {{ in_range("o") }}
        {% if whole %}
        -- whole tables: the products too, in the same parallel plan (its workers hand over only
        -- the violations)
        left join core.products as p on i.product_id = p.product_id
        where o.order_id is null or p.product_id is null
        {% else %}
        where {{ in_range("i") }} and i.order_id in (select w.order_id from written_orders as w)
        {% endif %}
        -- offset 0 fences the subquery: it runs once per range and is never flattened
        offset 0  -- noqa: AM09
    ) as r
{% if not whole %}
-- a batch: the products meet the touched lines of every month at once, in one hash join. Inside,
-- expecting a tenth of the touched lines, the planner joined every line of the month before the
-- touched filter, or probed the products' key once per line (1.01 -> 0.75 s, docs/benchmarks.md)
left join core.products as pr on r.product_id = pr.product_id
where r.no_order or pr.product_id is null
{% endif %}
