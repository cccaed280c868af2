-- Stage 41: the category tree flattened into (ancestor, descendant, depth) pairs, rebuilt
-- when the batch changed a category (500 rows at full size: cheaper to rebuild than to patch).
delete from marts.category_closure
where exists (select 1 from staging.product_categories_changed);

insert into marts.category_closure (ancestor_id, descendant_id, depth)
with recursive
tree as (
    select
        category_id as ancestor_id,
        category_id as descendant_id,
        0 as depth
    from core.product_categories
    union all
    select
        t.ancestor_id,
        c.category_id,
        t.depth + 1
    from tree as t
    inner join core.product_categories as c on t.descendant_id = c.parent_id
)

select
    ancestor_id,
    descendant_id,
    depth
from tree
where not exists (select 1 from marts.category_closure);
