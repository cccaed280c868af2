-- productSales and topProductsByCategory over a period read marts.monthly_product_sales for
-- the whole months of the period and marts.daily_product_sales only for the days at its ends
-- (before: every day of the period from the daily mart, ~5M rows for a year at full size).
-- Same figures, to the cent: the monthly mart is the daily mart summed per month.

create function api_internal.product_sales_sql(p_from date, p_to date)
returns text
language plpgsql
stable
as $$
-- A SELECT of (product_id, units, orders, revenue) summed over the inclusive UTC days
-- p_from..p_to (null: unbounded), one row per product with a counted order in the period.
-- It adds the monthly rows of a run of whole months and the daily rows of the days at the
-- ends. A month only partly in the period is, whichever reads fewer rows, either its days
-- in the period, or its monthly row minus its days outside the period (so a period from
-- the 3rd to the 28th of a month reads the month and 5 days, not 26 days). A month's rows
-- cost about as much as c_month_days days' rows (~68k products a month against ~11k a day
-- at full size). Sums are exact (integers and numeric), so the result is the daily mart's.
declare
    c_month_days constant integer := 6;
    v_first date;
    v_last date;
    v_from date;
    v_to date;
    v_from_month date;
    v_to_month date;
    v_lo date;        -- first whole month read from the monthly mart
    v_hi date;        -- last one
    v_parts text[] := '{}';
    v_minus boolean := false;
    v_eom date;
    v_before integer;
    v_inside integer;
    v_after integer;
begin
    select min(m.month_start), (max(m.month_start) + interval '1 month' - interval '1 day')::date
    into v_first, v_last
    from marts.monthly_product_sales as m;
    v_from := greatest(coalesce(p_from, '-infinity'::date), v_first);
    v_to := least(coalesce(p_to, 'infinity'::date), v_last);
    if v_first is null or v_from > v_to then
        return 'select 0 as product_id, 0::bigint as units, 0::bigint as orders, 0::numeric as revenue where false';
    end if;
    v_from_month := date_trunc('month', v_from)::date;
    v_to_month := date_trunc('month', v_to)::date;

    if v_from_month = v_to_month then
        v_eom := (v_from_month + interval '1 month' - interval '1 day')::date;
        v_before := v_from - v_from_month;
        v_inside := v_to - v_from + 1;
        v_after := v_eom - v_to;
        if v_inside <= v_before + v_after + c_month_days then
            v_parts := v_parts || format(
                'select d.product_id, d.units, d.orders, d.revenue from marts.daily_product_sales as d'
                ' where d.sales_date between %L::date and %L::date', v_from, v_to
            );
            v_lo := null;
        else
            v_lo := v_from_month;
            v_hi := v_from_month;
            if v_before > 0 then
                v_parts := v_parts || format(
                    'select d.product_id, -d.units, -d.orders, -d.revenue from marts.daily_product_sales as d'
                    ' where d.sales_date between %L::date and %L::date', v_from_month, v_from - 1
                );
            end if;
            if v_after > 0 then
                v_parts := v_parts || format(
                    'select d.product_id, -d.units, -d.orders, -d.revenue from marts.daily_product_sales as d'
                    ' where d.sales_date between %L::date and %L::date', v_to + 1, v_eom
                );
            end if;
            v_minus := v_before + v_after > 0;
        end if;
    else
        -- the first month: from v_from to its end
        v_eom := (v_from_month + interval '1 month' - interval '1 day')::date;
        v_before := v_from - v_from_month;
        v_inside := v_eom - v_from + 1;
        if v_before = 0 then
            v_lo := v_from_month;
        elsif v_inside <= v_before + c_month_days then
            v_lo := (v_from_month + interval '1 month')::date;
            v_parts := v_parts || format(
                'select d.product_id, d.units, d.orders, d.revenue from marts.daily_product_sales as d'
                ' where d.sales_date between %L::date and %L::date', v_from, v_eom
            );
        else
            v_lo := v_from_month;
            v_minus := true;
            v_parts := v_parts || format(
                'select d.product_id, -d.units, -d.orders, -d.revenue from marts.daily_product_sales as d'
                ' where d.sales_date between %L::date and %L::date', v_from_month, v_from - 1
            );
        end if;
        -- the last month: from its start to v_to
        v_eom := (v_to_month + interval '1 month' - interval '1 day')::date;
        v_after := v_eom - v_to;
        v_inside := v_to - v_to_month + 1;
        if v_after = 0 then
            v_hi := v_to_month;
        elsif v_inside <= v_after + c_month_days then
            v_hi := (v_to_month - interval '1 month')::date;
            v_parts := v_parts || format(
                'select d.product_id, d.units, d.orders, d.revenue from marts.daily_product_sales as d'
                ' where d.sales_date between %L::date and %L::date', v_to_month, v_to
            );
        else
            v_hi := v_to_month;
            v_minus := true;
            v_parts := v_parts || format(
                'select d.product_id, -d.units, -d.orders, -d.revenue from marts.daily_product_sales as d'
                ' where d.sales_date between %L::date and %L::date', v_to + 1, v_eom
            );
        end if;
    end if;
    if v_lo <= v_hi then
        v_parts := v_parts || format(
            'select m.product_id, m.units, m.orders, m.revenue from marts.monthly_product_sales as m'
            ' where m.month_start between %L::date and %L::date', v_lo, v_hi
        );
    end if;
    -- the days subtracted from a month leave products with no order in the period at 0
    return format(
        'select s.product_id, sum(s.units)::bigint as units, sum(s.orders)::bigint as orders,'
        ' sum(s.revenue) as revenue from (%s) as s (product_id, units, orders, revenue) group by s.product_id%s',
        array_to_string(v_parts, ' union all '),
        case when v_minus then ' having sum(s.orders) > 0' else '' end
    );
end
$$;
comment on function api_internal.product_sales_sql(date, date) is
'SELECT of units, orders, revenue per product over inclusive UTC days (null: unbounded): '
'monthly mart for whole months, daily mart for the rest.';

create or replace function api.product_sales(
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
                s.product_id,
                p.name,
                p.sku,
                p.category_id,
                s.units,
                s.orders,
                s.revenue
            from (%s) as s
            -- "+ 0": no index lookup per product. The planner cannot estimate the groups of
            -- a UNION ALL (it guesses 200 for ~100k) and would otherwise probe products_pkey
            -- 100k times instead of hashing the sums.
            inner join core.products as p on s.product_id = p.product_id + 0
            $base$,
            api_internal.product_sales_sql(p_from, p_to)
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
            "REVENUE": {"column": "revenue", "type": "numeric", "nullable": false},
            "UNITS": {"column": "units", "type": "bigint", "nullable": false},
            "ORDERS": {"column": "orders", "type": "bigint", "nullable": false},
            "PRODUCT_ID": {"column": "product_id", "type": "integer", "nullable": false},
            "NAME": {"column": "name", "type": "text", "nullable": false},
            "SKU": {"column": "sku", "type": "text", "nullable": false}
        }',
        '{REVENUE_DESC}',
        'PRODUCT_ID',
        p_first, p_after, p_last, p_before,
        true
    );
end
$$;

create or replace function api.top_products_by_category(
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
-- populated; a period sums marts.monthly_product_sales for its whole months and
-- marts.daily_product_sales for the rest (api_internal.product_sales_sql). rank is 1 + the
-- number of products of the category with more revenue (ties share a rank); the list holds
-- exactly `first` products per category, ties broken by productId.
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
        v_sales := api_internal.product_sales_sql(p_from, p_to);
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
            inner join sales as s on p.product_id + 0 = s.product_id  -- hashed (see api.product_sales)
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

-- Summing ~100k products per call: with the default 4MB of work_mem the aggregate, the page's
-- rows and their sort spill to disk (a month's page took ~290 ms instead of ~60 ms).
alter function api.product_sales(date, date, jsonb, text[], integer, text, integer, text) set work_mem = '64MB';
alter function api.top_products_by_category(integer, date, date, integer) set work_mem = '64MB';

-- Who may call what (new functions are executable by PUBLIC until revoked).
revoke all on all functions in schema api from public;
revoke all on all functions in schema api_internal from public;
grant execute on all functions in schema api to shopetl_api;
