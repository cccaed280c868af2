{% from "_macros.sql" import split_table, rest_of_stage, record_rejects, keep_last_valid with context %}
{% from "_macros.sql" import core_statistics_targets with context %}
-- Stage 23: validate staged orders (data contract: orders.csv).
-- Output: staging.orders_valid, typed, one row per order_id (the last valid line), status canonical.
{% set f = files["orders"] %}
-- The per-row checks: one statement, or on a big file its parts of the staged blocks run at once
-- (split_table in _macros.sql); the rest of the stage then works on the whole table.
{% call(where_this_part) split_table("orders_valid", "staging.orders") %}
with

staged as (
    select
        rec_no,
        line_no,
        staging.clean(order_id) as order_id,
        staging.clean(customer_id) as customer_id,
        staging.clean(order_date) as order_date,
        staging.clean(status) as status,
        staging.clean(payment_method) as payment_method,
        staging.clean(shipping_address) as shipping_address,
        staging.clean(shipping_city) as shipping_city,
        staging.clean(shipping_state) as shipping_state,
        staging.clean(shipping_zip) as shipping_zip,
        staging.clean(shipping_country) as shipping_country,
        staging.clean(processing_date) as processing_date,
        staging.clean(shipping_date) as shipping_date,
        staging.clean(delivery_date) as delivery_date,
        staging.clean(total_amount) as total_amount
    from staging.orders{{ where_this_part }}
    -- OFFSET 0 keeps this a subquery: each value is computed once per row, not once per use
    offset 0
),

typed_keys as (
    select
        staged.*,
        case when staging.is_int(staged.customer_id) then staging.to_int(staged.customer_id) end as customer_id_int,
        case
            when staging.is_timestamp(staged.order_date) then staging.to_timestamp_utc(staged.order_date)
        end as order_date_utc
    from staged
    offset 0
),

checked as (
    select
        s.*,
        coalesce(
            case when s.order_id is null then 'missing_required:order_id is empty' end,
            case when s.customer_id is null then 'missing_required:customer_id is empty' end,
            case when s.order_date is null then 'missing_required:order_date is empty' end,
            case when s.status is null then 'missing_required:status is empty' end,
            case when not staging.is_bigint(s.order_id) then 'bad_type:order_id is not an integer' end,
            case when s.customer_id_int is null then 'bad_type:customer_id is not an integer' end,
            case when s.order_date_utc is null then 'bad_type:order_date is not a timestamp' end,
            case
                when not staging.is_timestamp(s.processing_date)
                    then 'bad_type:processing_date is not a timestamp'
            end,
            case when not staging.is_timestamp(s.shipping_date) then 'bad_type:shipping_date is not a timestamp' end,
            case when not staging.is_timestamp(s.delivery_date) then 'bad_type:delivery_date is not a timestamp' end,
            case
                when not staging.is_money(s.total_amount)
                    then 'bad_type:total_amount is not money (2 places at most)'
            end,
            case
                when s.order_date_utc < '2000-01-01 00:00:00+00'
                    then 'out_of_range:order_date is before 2000-01-01'
            end,
            case
                when s.order_date_utc > {{ started_at | lit }} + interval '1 day'
                    then 'out_of_range:order_date is more than one day after the load started'
            end,
            case when staging.to_status(s.status) is null then 'bad_value:status ' || s.status || ' is unknown' end,
            case
                when known.customer_id is null and new.customer_id is null
                    then 'orphan:customer_id ' || s.customer_id || ' is no loaded or accepted customer'
            end
        ) as problem
    from typed_keys as s
    left join core.customers as known on s.customer_id_int = known.customer_id
    left join staging.customers_valid as new on s.customer_id_int = new.customer_id
    offset 0
)

select
    rec_no,
    line_no,
    problem,
    case when staging.is_bigint(order_id) then staging.to_int(order_id) end as order_id,
    customer_id_int::integer as customer_id,
    order_date_utc as order_date,
    staging.to_status(status) as status,
    payment_method,
    shipping_address,
    shipping_city,
    shipping_state,
    shipping_zip,
    shipping_country,
    case when problem is null then staging.to_timestamp_utc(processing_date) end as processing_date,
    case when problem is null then staging.to_timestamp_utc(shipping_date) end as shipping_date,
    case when problem is null then staging.to_timestamp_utc(delivery_date) end as delivery_date,
    case when problem is null then total_amount::numeric(14, 2) end as total_amount
from checked
{% endcall %}

{% call rest_of_stage() %}
{{ record_rejects(f, run_id, table="orders_valid") }};

{{ core_statistics_targets("orders_valid", "orders") }};

{{ keep_last_valid("orders_valid", "order_id") }}
{% endcall %}
