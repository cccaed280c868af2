-- Stage 33: upsert the accepted products.
drop table if exists staging.products_changed;
create unlogged table staging.products_changed as
select
    n.product_id,
    k.category_id as old_category_id,
    n.category_id as new_category_id
from staging.products_valid as n
left join core.products as k on n.product_id = k.product_id
where
    k.product_id is null
    or (
        k.name, k.description, k.price, k.cost, k.category_id, k.sku, k.inventory_count,
        k.weight, k.created_at, k.is_active
    ) is distinct from (
        n.name, n.description, n.price, n.cost, n.category_id, n.sku, n.inventory_count,
        n.weight, n.created_at, n.is_active
    );

insert into core.products as t (
    product_id, name, description, price, cost, category_id, sku, inventory_count, weight,
    created_at, is_active, batch_id
)
select
    n.product_id,
    n.name,
    n.description,
    n.price,
    n.cost,
    n.category_id,
    n.sku,
    n.inventory_count,
    n.weight,
    n.created_at,
    n.is_active,
    {{ run_id }}
from staging.products_valid as n
inner join staging.products_changed using (product_id)
on conflict (product_id) do update
    set
        name = excluded.name,
        description = excluded.description,
        price = excluded.price,
        cost = excluded.cost,
        category_id = excluded.category_id,
        sku = excluded.sku,
        inventory_count = excluded.inventory_count,
        weight = excluded.weight,
        created_at = excluded.created_at,
        is_active = excluded.is_active,
        batch_id = excluded.batch_id;
