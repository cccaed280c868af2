{% from "_macros.sql" import split_table, rest_of_stage, record_rejects, keep_last_valid with context %}
{% from "_macros.sql" import core_statistics_targets with context %}
-- Stage 24: validate staged order items (data contract: order_items.csv).
-- Every rule yields the contract's reason code; the first broken rule of a row is its reason.
-- Output: staging.order_items_valid, typed, one row per order_item_id (the last valid line),
-- carrying its order's order_date (the partition key it shares with core.orders).
{% set f = files["order_items"] %}
-- The per-row checks: one statement, or on a big file its parts of the staged blocks run at once
-- (split_table in _macros.sql); the rest of the stage then works on the whole table.
{% call(where_this_part) split_table("order_items_valid", "staging.order_items") %}
with

staged as (
    select
        rec_no,
        line_no,
        staging.clean(order_item_id) as order_item_id,
        staging.clean(order_id) as order_id,
        staging.clean(product_id) as product_id,
        staging.clean(quantity) as quantity,
        staging.clean(price) as price,
        staging.clean(discount) as discount,
        staging.clean(total) as total
    from staging.order_items{{ where_this_part }}
    -- OFFSET 0 keeps this a subquery: each value is computed once per row, not once per use
    offset 0
),

typed as (
    select
        staged.*,
        case when staging.is_bigint(staged.order_item_id) then staging.to_int(staged.order_item_id) end as item_key,
        case when staging.is_bigint(staged.order_id) then staging.to_int(staged.order_id) end as order_key,
        case when staging.is_int(staged.product_id) then staging.to_int(staged.product_id) end as product_key,
        case when staging.is_int(staged.quantity) then staging.to_int(staged.quantity) end as quantity_int,
        case when staging.is_money(staged.price) then staged.price::numeric end as price_num,
        case
            when staging.is_money(staged.discount) then staged.discount::numeric when staged.discount is null then 0
        end as discount_num,
        case when staging.is_money(staged.total) then staged.total::numeric end as total_num
    from staged
    offset 0
),

checked as (
    select
        s.*,
        coalesce(new_order.order_date, known_order.order_date) as order_date,
        coalesce(
            case when s.order_item_id is null then 'missing_required:order_item_id is empty' end,
            case when s.order_id is null then 'missing_required:order_id is empty' end,
            case when s.product_id is null then 'missing_required:product_id is empty' end,
            case when s.quantity is null then 'missing_required:quantity is empty' end,
            case when s.price is null then 'missing_required:price is empty' end,
            case when s.item_key is null then 'bad_type:order_item_id is not an integer' end,
            case when s.order_key is null then 'bad_type:order_id is not an integer' end,
            case when s.product_key is null then 'bad_type:product_id is not an integer' end,
            case when s.quantity_int is null then 'bad_type:quantity is not an integer' end,
            case when s.price_num is null then 'bad_type:price is not money (2 places at most)' end,
            case when s.discount_num is null then 'bad_type:discount is not money (2 places at most)' end,
            case
                when s.total is not null and s.total_num is null then 'bad_type:total is not money (2 places at most)'
            end,
            case when s.quantity_int <= 0 then 'out_of_range:quantity is not positive' end,
            case when s.price_num < 0 then 'out_of_range:price is negative' end,
            case when s.discount_num < 0 then 'out_of_range:discount is negative' end,
            case
                when s.discount_num > s.price_num * s.quantity_int
                    then 'out_of_range:discount is more than price * quantity'
            end,
            case
                when abs(s.total_num - (s.price_num * s.quantity_int - s.discount_num)) > 0.01
                    then
                        'inconsistent:total ' || s.total || ' is not price * quantity - discount = '
                        || (s.price_num * s.quantity_int - s.discount_num)
            end,
            case
                when new_order.order_id is null and known_order.order_id is null
                    then 'orphan:order_id ' || s.order_id || ' is no loaded or accepted order'
            end,
            case
                when known_product.product_id is null and new_product.product_id is null
                    then 'orphan:product_id ' || s.product_id || ' is no loaded or accepted product'
            end
        ) as problem
    from typed as s
    left join staging.orders_valid as new_order on s.order_key = new_order.order_id
    -- a line of an order the batch delivers takes that order's date: the known orders are
    -- looked up (one primary-key probe each) only for the other lines, never hashed whole
    left join lateral (
        select
            k.order_id,
            k.order_date
        from core.order_keys as k
        where k.order_id = s.order_key and new_order.order_id is null
        offset 0  -- noqa: AM09
    ) as known_order on true
    left join core.products as known_product on s.product_key = known_product.product_id
    left join staging.products_valid as new_product on s.product_key = new_product.product_id
    offset 0
)

select
    rec_no,
    line_no,
    problem,
    item_key as order_item_id,
    order_key as order_id,
    order_date,
    product_key::integer as product_id,
    quantity_int::integer as quantity,
    price_num::numeric(12, 2) as price,
    discount_num::numeric(12, 2) as discount,
    total_num::numeric(14, 2) as total
from checked
{% endcall %}

{% call rest_of_stage() %}
{{ record_rejects(f, run_id, table="order_items_valid") }};

{{ core_statistics_targets("order_items_valid", "order_items") }};

{{ keep_last_valid("order_items_valid", "order_item_id") }}
{% endcall %}
