-- productSales filtered by a category and topProductsByCategory for one category sum the sales
-- of that category's products only, instead of every product's before keeping the category's.
--
-- Why: api_internal.connection filters the rows of the query it is given, and the sums of a
-- period came out of one aggregate over all products: a year of one category's 208 products
-- summed 1.02M mart rows of 83,878 products (637 ms, the slowest request of the twelfth bench
-- run). With the category's product ids as a constant list, PostgreSQL pushes the condition
-- into each part of the sums (the daily mart's (product_id, sales_date) index, the monthly
-- mart's key): 26-33 ms for that request. The filter itself still applies on top, so the rows
-- are the same. It pays even for the largest root category at full size (11,789 products: a
-- year 670-770 -> 280-325 ms); a category of more than a fifth of the catalogue (c_max) keeps
-- the one aggregate over all products.

create function api_internal.sales_of_category(p_sales text, p_category_id integer)
returns text
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
-- p_sales (a SELECT of product_id, units, orders, revenue) kept to the products of category
-- p_category_id and its descendants, as a constant list the planner pushes into the sums; p_sales
-- itself when p_category_id is null or the category holds more than c_max products.
declare
    c_max constant integer := 20000;
    v_products integer[];
begin
    if p_category_id is null then
        return p_sales;
    end if;
    v_products := array(
        select p.product_id
        from marts.category_closure as t
        inner join core.products as p on t.descendant_id = p.category_id
        where t.ancestor_id = p_category_id
        order by p.product_id
        limit c_max + 1
    );
    if cardinality(v_products) > c_max then
        return p_sales;
    end if;
    return format('select r.* from (%s) as r where r.product_id = any(%L::integer[])', p_sales, v_products);
end
$$;
comment on function api_internal.sales_of_category(text, integer) is
'The sales query kept to the products of a category (and its descendants), pushed into its sums.';

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
declare
    -- a top-level filter field is ANDed with the others, so its category bounds every result row
    v_category text := p_filter -> 'categoryId' ->> 'equalTo';
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
            api_internal.sales_of_category(
                api_internal.product_sales_sql(p_from, p_to),
                case when v_category ~ '^[0-9]{1,9}$' then v_category::integer end
            )
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
-- All time (no from/to) reads marts.product_sales_totals; a period sums
-- marts.monthly_product_sales for its whole months and marts.daily_product_sales for the rest
-- (api_internal.product_sales_sql), of the category's products only when p_category_id names
-- one (api_internal.sales_of_category). rank is 1 + the
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
    v_sales := api_internal.sales_of_category(v_sales, p_category_id);
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

alter function api.product_sales(date, date, jsonb, text[], integer, text, integer, text) set work_mem = '64MB';
alter function api.top_products_by_category(integer, date, date, integer) set work_mem = '64MB';
revoke all on function api_internal.sales_of_category(text, integer) from public;
