-- Root fields over the sales aggregates: productSales, topProductsByCategory, salesTrends.
-- They read marts (daily_product_sales, daily_category_sales, daily_sales and the
-- materialized view product_sales_totals), which count every order except Cancelled and
-- Returned ones and roll categories up their tree; so they stay fast on the full data set.

create function api_internal.check_period(p_from date, p_to date, p_required boolean)
returns void
language plpgsql
stable
as $$
begin
    if p_required and (p_from is null or p_to is null) then
        perform api_internal.invalid('from and to are required');
    end if;
    if p_from > p_to then
        perform api_internal.invalid(
            format('from (%s) is after to (%s)', p_from, p_to), 'Both dates are inclusive UTC days.'
        );
    end if;
end
$$;
comment on function api_internal.check_period(date, date, boolean) is
'Validates an inclusive from/to period (22023 when from > to or a required bound is missing).';

create function api.product_sales(
    p_from date,
    p_to date,
    p_filter jsonb default null,
    p_order_by text[] default null,
    p_first integer default null,
    p_after text default null,
    p_last integer default null,
    p_before text default null
)
returns jsonb
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
    perform api_internal.check_period(p_from, p_to, true);
    return api_internal.connection(
        format(
            $base$
            select
                d.product_id,
                p.name,
                p.sku,
                p.category_id,
                sum(d.units)::bigint as units,
                sum(d.orders)::bigint as orders,
                sum(d.revenue) as revenue
            from marts.daily_product_sales as d
            inner join core.products as p on d.product_id = p.product_id
            where d.sales_date between %L::date and %L::date
            group by d.product_id, p.name, p.sku, p.category_id
            $base$,
            p_from, p_to
        ),
        $node$jsonb_build_object(
            'product', api_internal.product_json(b.product_id),
            'units', b.units,
            'orders', b.orders,
            'revenue', api_internal.money(b.revenue)
        )$node$,
        p_filter,
        '{
            "productId": {"column": "product_id", "type": "integer"},
            "categoryId": {"column": "category_id", "type": "integer", "tree": true},
            "name": {"column": "name", "type": "text"},
            "sku": {"column": "sku", "type": "text"},
            "units": {"column": "units", "type": "bigint"},
            "orders": {"column": "orders", "type": "bigint"},
            "revenue": {"column": "revenue", "type": "numeric"}
        }',
        p_order_by,
        '{
            "REVENUE": {"column": "revenue", "type": "numeric"},
            "UNITS": {"column": "units", "type": "bigint"},
            "ORDERS": {"column": "orders", "type": "bigint"},
            "PRODUCT_ID": {"column": "product_id", "type": "integer"},
            "NAME": {"column": "name", "type": "text"},
            "SKU": {"column": "sku", "type": "text"}
        }',
        '{REVENUE_DESC}',
        'PRODUCT_ID',
        p_first, p_after, p_last, p_before
    );
end
$$;
comment on function api.product_sales(date, date, jsonb, text[], integer, text, integer, text) is
'Units, orders and revenue per product over the inclusive UTC days from..to (Cancelled/Returned excluded).';

create function api.top_products_by_category(
    p_category_id integer default null,
    p_from date default null,
    p_to date default null,
    p_first integer default 10
)
returns jsonb
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
-- All time (no from/to) reads the materialized view product_sales_totals once it has been
-- populated; a period sums marts.daily_product_sales. rank is 1 + the number of products
-- of the category with more revenue (ties share a rank); the list holds exactly `first`
-- products per category, ties broken by productId.
declare
    v_first integer := coalesce(p_first, 10);
    v_sales text;
    v_result jsonb;
begin
    perform api_internal.check_period(p_from, p_to, false);
    if v_first < 1 or v_first > 1000 then
        perform api_internal.invalid(format('first must be between 1 and 1000 (got %s)', v_first));
    end if;
    if p_from is null and p_to is null and (
        select c.relispopulated from pg_catalog.pg_class as c
        where c.oid = 'marts.product_sales_totals'::regclass
    ) then
        v_sales := 'select t.product_id, t.units, t.revenue from marts.product_sales_totals as t';
    else
        v_sales := format(
            'select d.product_id, sum(d.units)::bigint as units, sum(d.revenue) as revenue
            from marts.daily_product_sales as d
            where d.sales_date between %L::date and %L::date
            group by d.product_id',
            coalesce(p_from, '-infinity'::date), coalesce(p_to, 'infinity'::date)
        );
    end if;
    execute format(
        $sql$
        with sales as (%s),

        targets as (
            select c.category_id
            from core.product_categories as c
            where ($1 is null and c.parent_id is null) or c.category_id = $1
        ),

        ranked as (
            select
                t.category_id,
                s.product_id,
                s.units,
                s.revenue,
                rank() over (partition by t.category_id order by s.revenue desc) as product_rank,
                row_number() over (
                    partition by t.category_id order by s.revenue desc, s.product_id
                ) as position
            from targets as t
            inner join marts.category_closure as cc on t.category_id = cc.ancestor_id
            inner join core.products as p on cc.descendant_id = p.category_id
            inner join sales as s on p.product_id = s.product_id
        )

        select coalesce(
            jsonb_agg(
                jsonb_build_object(
                    'rank', r.product_rank,
                    'categoryId', r.category_id,
                    'product', api_internal.product_json(r.product_id),
                    'units', r.units,
                    'revenue', api_internal.money(r.revenue)
                ) order by r.category_id, r.position
            ),
            '[]'::jsonb
        )
        from ranked as r
        where r.position <= $2
        $sql$,
        v_sales
    )
    into v_result
    using p_category_id, v_first;
    return v_result;
end
$$;
comment on function api.top_products_by_category(integer, date, date, integer) is
'Best sellers by revenue within a category and its descendants (all root categories without categoryId).';

create function api.sales_trends(
    p_from date,
    p_to date,
    p_granularity text default 'MONTH',
    p_category_id integer default null,
    p_product_id integer default null
)
returns jsonb
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
-- One point per calendar period (ISO weeks start on Monday) from the period holding `from`
-- to the one holding `to`, empty periods included with zeros; only the days from..to count.
-- The change columns compare with the previous point (null for the first).
declare
    v_unit text := lower(p_granularity);
    v_step interval;
    v_result jsonb;
begin
    perform api_internal.check_period(p_from, p_to, true);
    v_step := case v_unit
        when 'day' then interval '1 day'
        when 'week' then interval '7 days'
        when 'month' then interval '1 month'
        when 'quarter' then interval '3 months'
        when 'year' then interval '1 year'
    end;
    if v_step is null then
        perform api_internal.invalid(
            format('unknown granularity %s', quote_literal(p_granularity)),
            'Use DAY, WEEK, MONTH, QUARTER or YEAR.'
        );
    end if;
    if p_category_id is not null and p_product_id is not null then
        perform api_internal.invalid('pass categoryId or productId, not both');
    end if;
    if (p_to - p_from) / (case v_unit when 'day' then 1 when 'week' then 7 when 'month' then 28 else 90 end) > 5000 then
        perform api_internal.invalid(
            'the period holds more than 5000 points', 'Choose a coarser granularity or a shorter period.'
        );
    end if;

    with daily as (
        select s.sales_date, s.units, s.orders, s.revenue
        from marts.daily_sales as s
        where
            p_category_id is null and p_product_id is null
            and s.sales_date between p_from and p_to
        union all
        select s.sales_date, s.units, s.orders, s.revenue
        from marts.daily_category_sales as s
        where s.category_id = p_category_id and s.sales_date between p_from and p_to
        union all
        select s.sales_date, s.units, s.orders, s.revenue
        from marts.daily_product_sales as s
        where s.product_id = p_product_id and s.sales_date between p_from and p_to
    ),

    periods as (
        select g::date as period_start
        from generate_series(
            date_trunc(v_unit, p_from::timestamp), date_trunc(v_unit, p_to::timestamp), v_step
        ) as g
    ),

    totals as (
        select
            date_trunc(v_unit, d.sales_date::timestamp)::date as period_start,
            sum(d.units)::bigint as units,
            sum(d.orders)::bigint as orders,
            sum(d.revenue) as revenue
        from daily as d
        group by 1
    ),

    points as (
        select
            p.period_start,
            coalesce(t.units, 0) as units,
            coalesce(t.orders, 0) as orders,
            coalesce(t.revenue, 0) as revenue
        from periods as p
        left join totals as t on p.period_start = t.period_start
    ),

    changes as (
        select
            pt.*,
            pt.revenue - lag(pt.revenue) over w as revenue_change,
            pt.units - lag(pt.units) over w as units_change,
            pt.orders - lag(pt.orders) over w as orders_change
        from points as pt
        window w as (order by pt.period_start)
    )

    select coalesce(
        jsonb_agg(
            jsonb_build_object(
                'periodStart', api_internal.iso_date(c.period_start),
                'revenue', api_internal.money(c.revenue),
                'units', c.units,
                'orders', c.orders,
                'revenueChange', api_internal.money(c.revenue_change),
                'unitsChange', c.units_change,
                'ordersChange', c.orders_change
            ) order by c.period_start
        ),
        '[]'::jsonb
    )
    into v_result
    from changes as c;
    return v_result;
end
$$;
comment on function api.sales_trends(date, date, text, integer, integer) is
'Revenue, units and orders per DAY/WEEK/MONTH/QUARTER/YEAR over from..to, shop-wide, for a category or a product.';
