-- Stage 31: upsert the accepted categories. The later batch wins; a row that arrives again
-- unchanged is left alone (a re-delivery changes nothing).
drop table if exists staging.product_categories_changed;
create unlogged table staging.product_categories_changed as
select
    n.category_id,
    k.parent_id as old_parent_id,
    n.parent_id as new_parent_id
from staging.product_categories_valid as n
left join core.product_categories as k on n.category_id = k.category_id
where
    k.category_id is null
    or (k.name, k.description, k.parent_id, k.created_at)
    is distinct from (n.name, n.description, n.parent_id, n.created_at);

insert into core.product_categories as t (category_id, name, description, parent_id, created_at, batch_id)
select n.category_id, n.name, n.description, n.parent_id, n.created_at, {{ run_id }}
from staging.product_categories_valid as n
inner join staging.product_categories_changed as c on n.category_id = c.category_id
on conflict (category_id) do update
    set
        name = excluded.name,
        description = excluded.description,
        parent_id = excluded.parent_id,
        created_at = excluded.created_at,
        batch_id = excluded.batch_id;
