-- Stage 35: upsert the changed products.
insert into core.products as t (
    product_id, name, description, price, cost, category_id, sku, inventory_count, weight,
    created_at, is_active, batch_id
)
select
    product_id,
    name,
    description,
    price,
    cost,
    category_id,
    sku,
    inventory_count,
    weight,
    created_at,
    is_active,
    {{ run_id }}
from staging.products_changed
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
