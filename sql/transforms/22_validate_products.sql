{% from "_macros.sql" import record_rejects %}
-- Stage 22: validate staged products (data contract: products.csv).
-- Output: staging.products_valid, one row per product_id (the last valid line).
{% set f = files["products"] %}
drop table if exists staging.products_checked;
create unlogged table staging.products_checked as
with

staged as (
    select
        rec_no,
        line_no,
        staging.clean(product_id) as product_id,
        staging.clean(name) as name,
        staging.clean(description) as description,
        staging.clean(price) as price,
        staging.clean(cost) as cost,
        staging.clean(category_id) as category_id,
        staging.clean(sku) as sku,
        staging.clean(inventory_count) as inventory_count,
        staging.clean(weight) as weight,
        staging.clean(created_at) as created_at,
        staging.clean(is_active) as is_active
    from staging.products
    -- OFFSET 0 keeps this a subquery: each value is computed once per row, not once per use
    offset 0
),

typed_keys as (
    select
        staged.*,
        case when staging.is_int(staged.category_id) then staging.to_int(staged.category_id) end as category_id_int
    from staged
    offset 0
),

checked as (
    select
        s.*,
        coalesce(
            case when s.product_id is null then 'missing_required:product_id is empty' end,
            case when s.name is null then 'missing_required:name is empty' end,
            case when s.price is null then 'missing_required:price is empty' end,
            case when s.category_id is null then 'missing_required:category_id is empty' end,
            case when s.sku is null then 'missing_required:sku is empty' end,
            case when not staging.is_int(s.product_id) then 'bad_type:product_id is not an integer' end,
            case when not staging.is_money(s.price) then 'bad_type:price is not money (2 places at most)' end,
            case when not staging.is_money(s.cost) then 'bad_type:cost is not money (2 places at most)' end,
            case when s.category_id_int is null then 'bad_type:category_id is not an integer' end,
            case when not staging.is_int(s.inventory_count) then 'bad_type:inventory_count is not an integer' end,
            case when not staging.is_decimal(s.weight) then 'bad_type:weight is not a decimal' end,
            case when not staging.is_timestamp(s.created_at) then 'bad_type:created_at is not a timestamp' end,
            case when not staging.is_bool(s.is_active) then 'bad_type:is_active is not a boolean' end,
            case when s.price::numeric < 0 then 'out_of_range:price is negative' end,
            case
                when known.category_id is null and new.category_id is null
                    then 'orphan:category_id ' || s.category_id || ' is no loaded or accepted category'
            end
        ) as problem
    from typed_keys as s
    left join core.product_categories as known on s.category_id_int = known.category_id
    left join staging.product_categories_valid as new on s.category_id_int = new.category_id
    offset 0
)

select * from checked;

{{ record_rejects(f, run_id) }};

drop table if exists staging.products_valid;
create unlogged table staging.products_valid as
select distinct on (product_id_int)
    rec_no,
    line_no,
    product_id_int as product_id,
    name,
    description,
    price::numeric(12, 2) as price,
    cost::numeric(12, 2) as cost,
    category_id_int::integer as category_id,
    sku,
    staging.to_int(inventory_count)::integer as inventory_count,
    weight::numeric as weight,
    staging.to_timestamp_utc(created_at) as created_at,
    coalesce(staging.to_bool(is_active), true) as is_active
from (
    select
        *,
        staging.to_int(product_id)::integer as product_id_int
    from staging.products_checked
    where problem is null
) as valid_lines
order by product_id_int asc, rec_no desc;
create unique index on staging.products_valid (product_id);
