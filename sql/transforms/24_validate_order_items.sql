{% from "_macros.sql" import record_rejects %}
-- Stage 24: validate staged order items (data contract: order_items.csv).
-- Output: staging.order_items_valid, one row per order_item_id (the last valid line), carrying
-- its order's order_date (the partition key it shares with core.orders).
{% set f = files["order_items"] %}
drop table if exists staging.order_items_checked;
create unlogged table staging.order_items_checked as
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
    from staging.order_items
),

typed_keys as (
    select
        staged.*,
        case when staging.is_bigint(staged.order_id) then staging.to_int(staged.order_id) end as order_id_int,
        case when staging.is_int(staged.product_id) then staging.to_int(staged.product_id) end as product_id_int,
        case when staging.is_int(staged.quantity) then staging.to_int(staged.quantity) end as quantity_int,
        case when staging.is_money(staged.price) then staged.price::numeric end as price_num,
        case
            when staging.is_money(staged.discount) then staged.discount::numeric when staged.discount is null then 0
        end as discount_num
    from staged
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
            case when not staging.is_bigint(s.order_item_id) then 'bad_type:order_item_id is not an integer' end,
            case when s.order_id_int is null then 'bad_type:order_id is not an integer' end,
            case when s.product_id_int is null then 'bad_type:product_id is not an integer' end,
            case when s.quantity_int is null then 'bad_type:quantity is not an integer' end,
            case when s.price_num is null then 'bad_type:price is not money (2 places at most)' end,
            case when s.discount_num is null then 'bad_type:discount is not money (2 places at most)' end,
            case when not staging.is_money(s.total) then 'bad_type:total is not money (2 places at most)' end,
            case when s.quantity_int <= 0 then 'out_of_range:quantity is not positive' end,
            case when s.price_num < 0 then 'out_of_range:price is negative' end,
            case when s.discount_num < 0 then 'out_of_range:discount is negative' end,
            case
                when s.discount_num > s.price_num * s.quantity_int
                    then 'out_of_range:discount is more than price * quantity'
            end,
            case
                when abs(s.total::numeric - (s.price_num * s.quantity_int - s.discount_num)) > 0.01
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
    from typed_keys as s
    left join staging.orders_valid as new_order on s.order_id_int = new_order.order_id
    left join core.order_keys as known_order on s.order_id_int = known_order.order_id
    left join core.products as known_product on s.product_id_int = known_product.product_id
    left join staging.products_valid as new_product on s.product_id_int = new_product.product_id
)

select * from checked;

{{ record_rejects(f, run_id) }};

drop table if exists staging.order_items_valid;
create unlogged table staging.order_items_valid as
select distinct on (order_item_id_int)
    rec_no,
    line_no,
    order_item_id_int as order_item_id,
    order_id_int as order_id,
    order_date,
    product_id_int::integer as product_id,
    quantity_int::integer as quantity,
    price_num::numeric(12, 2) as price,
    discount_num::numeric(12, 2) as discount,
    total::numeric(14, 2) as total
from (
    select
        *,
        staging.to_int(order_item_id) as order_item_id_int
    from staging.order_items_checked
    where problem is null
) as valid_lines
order by order_item_id_int asc, rec_no desc;
create unique index on staging.order_items_valid (order_item_id);
