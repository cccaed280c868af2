-- Root fields over the catalog: product, products, categories.
-- Every api function: one GraphQL root field (api.snake_case <-> camelCase), parameters
-- p_<argument>, the whole field result as jsonb, SECURITY DEFINER with a pinned search_path.

create function api.product(p_product_id integer)
returns jsonb
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
    select api_internal.product_json(p_product_id)
$$;
comment on function api.product(integer) is
'The product with this productId, with its category; null when there is none.';

create function api.products(
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
        'select * from core.products',
        'api_internal.product_json(b.product_id)',
        p_filter,
        '{
            "productId": {"column": "product_id", "type": "integer"},
            "name": {"column": "name", "type": "text"},
            "sku": {"column": "sku", "type": "text"},
            "categoryId": {"column": "category_id", "type": "integer", "tree": true},
            "price": {"column": "price", "type": "numeric"},
            "inventoryCount": {"column": "inventory_count", "type": "integer"},
            "isActive": {"column": "is_active", "type": "boolean"}
        }',
        p_order_by,
        '{
            "PRODUCT_ID": {"column": "product_id", "type": "integer"},
            "NAME": {"column": "name", "type": "text"},
            "SKU": {"column": "sku", "type": "text"},
            "PRICE": {"column": "price", "type": "numeric"},
            "INVENTORY_COUNT": {"column": "inventory_count", "type": "integer"}
        }',
        '{PRODUCT_ID_ASC}',
        'PRODUCT_ID',
        p_first, p_after, p_last, p_before
    )
$$;
comment on function api.products(jsonb, text[], integer, text, integer, text) is
'Products as a connection: filter (categoryId includes descendants), orderBy, first/after or last/before.';

create function api.categories()
returns jsonb
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
    with recursive tree as (
        select
            c.category_id,
            c.name,
            c.description,
            c.parent_id,
            0 as depth,
            array[c.category_id] as path
        from core.product_categories as c
        where c.parent_id is null
        union all
        select
            c.category_id,
            c.name,
            c.description,
            c.parent_id,
            t.depth + 1 as depth,
            t.path || c.category_id as path
        from core.product_categories as c
        inner join tree as t on c.parent_id = t.category_id
    ),

    children as (
        select
            c.parent_id,
            jsonb_agg(c.category_id order by c.category_id) as child_ids
        from core.product_categories as c
        where c.parent_id is not null
        group by c.parent_id
    )

    select coalesce(
        jsonb_agg(
            jsonb_build_object(
                'categoryId', t.category_id,
                'name', t.name,
                'description', t.description,
                'parentId', t.parent_id,
                'depth', t.depth,
                'path', to_jsonb(t.path),
                'childIds', coalesce(ch.child_ids, '[]'::jsonb)
            ) order by t.path
        ),
        '[]'::jsonb
    )
    from tree as t
    left join children as ch on t.category_id = ch.parent_id
$$;
comment on function api.categories() is
'The category tree as a list in depth-first order; parentId, depth, path (root first) and childIds give its shape.';
