-- Stage 33: upsert the changed categories. The later batch wins.
insert into core.product_categories as t (category_id, name, description, parent_id, created_at, batch_id)
select
    category_id,
    name,
    description,
    parent_id,
    created_at,
    {{ run_id }}
from staging.product_categories_changed
on conflict (category_id) do update
    set
        name = excluded.name,
        description = excluded.description,
        parent_id = excluded.parent_id,
        created_at = excluded.created_at,
        batch_id = excluded.batch_id;
