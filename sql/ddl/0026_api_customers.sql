-- Root fields over customers: customer (with its purchase history) and customers.
-- Lifetime figures come from marts.customer_lifetime; the purchase history reads core.orders
-- and core.order_items (every order, with its status; countsInSales tells which count).

create function api_internal.customer_orders(
    p_customer_id integer,
    p_filter jsonb,
    p_order_by text[],
    p_first integer,
    p_after text,
    p_last integer,
    p_before text
)
returns jsonb
language sql
stable
as $$
    select api_internal.connection(
        format(
            $base$
            select
                o.order_id,
                o.order_date,
                upper(replace(o.status::text, ' ', '_')) as status,
                core.counts_in_sales(o.status) as counts_in_sales,
                o.revenue,
                o.total_amount,
                o.payment_method,
                o.shipping_city,
                o.shipping_state,
                o.shipping_country,
                o.shipping_date,
                o.delivery_date
            from core.orders as o
            where o.customer_id = %s
            $base$,
            p_customer_id
        ),
        $node$jsonb_build_object(
            'orderId', b.order_id,
            'orderDate', api_internal.iso_time(b.order_date),
            'status', b.status,
            'countsInSales', b.counts_in_sales,
            'revenue', api_internal.money(b.revenue),
            'totalAmount', api_internal.money(b.total_amount),
            'paymentMethod', b.payment_method,
            'shippingCity', b.shipping_city,
            'shippingState', b.shipping_state,
            'shippingCountry', b.shipping_country,
            'shippingDate', api_internal.iso_time(b.shipping_date),
            'deliveryDate', api_internal.iso_time(b.delivery_date),
            'items', api_internal.order_items_json(b.order_id, b.order_date)
        )$node$,
        p_filter,
        '{
            "orderId": {"column": "order_id", "type": "bigint"},
            "orderDate": {"column": "order_date", "type": "timestamptz"},
            "status": {"column": "status", "type": "text"},
            "countsInSales": {"column": "counts_in_sales", "type": "boolean"},
            "revenue": {"column": "revenue", "type": "numeric"}
        }',
        p_order_by,
        '{
            "ORDER_DATE": {"column": "order_date", "type": "timestamptz"},
            "ORDER_ID": {"column": "order_id", "type": "bigint"},
            "REVENUE": {"column": "revenue", "type": "numeric"}
        }',
        '{ORDER_DATE_DESC}',
        'ORDER_ID',
        p_first, p_after, p_last, p_before
    )
$$;
comment on function api_internal.customer_orders(integer, jsonb, text[], integer, text, integer, text) is
'The purchase history of a customer as a connection of orders with their items.';

create function api.customer(
    p_customer_id integer,
    p_orders_filter jsonb default null,
    p_orders_order_by text[] default null,
    p_orders_first integer default null,
    p_orders_after text default null,
    p_orders_last integer default null,
    p_orders_before text default null
)
returns jsonb
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
    select c.customer || jsonb_build_object(
        'orders',
        api_internal.customer_orders(
            p_customer_id, p_orders_filter, p_orders_order_by,
            p_orders_first, p_orders_after, p_orders_last, p_orders_before
        )
    )
    from (select api_internal.customer_json(p_customer_id) as customer) as c
    where c.customer is not null
$$;
comment on function api.customer(integer, jsonb, text[], integer, text, integer, text) is
'The customer with this customerId, lifetime figures and purchase history (orders); null when there is none.';

create function api.customers(
    p_filter jsonb default null,
    p_order_by text[] default null,
    p_first integer default null,
    p_after text default null,
    p_last integer default null,
    p_before text default null
)
returns jsonb
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
    select api_internal.connection(
        $base$
        select
            c.customer_id,
            c.email,
            c.first_name,
            c.last_name,
            c.city,
            c.state,
            c.country,
            c.registration_date,
            coalesce(l.lifetime_value, 0) as lifetime_value,
            coalesce(l.order_count, 0) as order_count,
            l.first_order_at,
            l.last_order_at,
            l.average_order_value
        from core.customers as c
        left join marts.customer_lifetime as l on c.customer_id = l.customer_id
        $base$,
        'api_internal.customer_json(b.customer_id)',
        p_filter,
        '{
            "customerId": {"column": "customer_id", "type": "integer"},
            "email": {"column": "email", "type": "text"},
            "firstName": {"column": "first_name", "type": "text"},
            "lastName": {"column": "last_name", "type": "text"},
            "city": {"column": "city", "type": "text"},
            "state": {"column": "state", "type": "text"},
            "country": {"column": "country", "type": "text"},
            "lifetimeValue": {"column": "lifetime_value", "type": "numeric"},
            "orderCount": {"column": "order_count", "type": "integer"},
            "firstOrderAt": {"column": "first_order_at", "type": "timestamptz"},
            "lastOrderAt": {"column": "last_order_at", "type": "timestamptz"}
        }',
        p_order_by,
        '{
            "CUSTOMER_ID": {"column": "customer_id", "type": "integer"},
            "EMAIL": {"column": "email", "type": "text"},
            "LAST_NAME": {"column": "last_name", "type": "text"},
            "LIFETIME_VALUE": {"column": "lifetime_value", "type": "numeric"},
            "ORDER_COUNT": {"column": "order_count", "type": "integer"},
            "AVERAGE_ORDER_VALUE": {"column": "average_order_value", "type": "numeric"},
            "LAST_ORDER_AT": {"column": "last_order_at", "type": "timestamptz"}
        }',
        '{CUSTOMER_ID_ASC}',
        'CUSTOMER_ID',
        p_first, p_after, p_last, p_before
    )
$$;
comment on function api.customers(jsonb, text[], integer, text, integer, text) is
'Customers with their lifetime figures as a connection; e.g. orderBy LIFETIME_VALUE_DESC for the best.';
