-- marts.category_closure is the transitive closure of the category tree: exactly the pairs
-- (ancestor, descendant, depth) that parent_id implies, each category its own ancestor at
-- depth 0. The category rollup of the sales marts is built from it.
-- Whole tables in every scope: 500 categories at full size.
-- severity: error
-- scope: table
with recursive
tree as (
    select
        c.category_id as ancestor_id,
        c.category_id as descendant_id,
        0 as depth
    from core.product_categories as c
    union all
    select
        t.ancestor_id,
        c.category_id as descendant_id,
        t.depth + 1 as depth
    from tree as t
    inner join core.product_categories as c on t.descendant_id = c.parent_id
    where t.depth < 100
)

select
    coalesce(t.ancestor_id, cc.ancestor_id) as ancestor_id,
    coalesce(t.descendant_id, cc.descendant_id) as descendant_id,
    t.depth as tree_depth,
    cc.depth as closure_depth
from tree as t
full join marts.category_closure as cc on t.ancestor_id = cc.ancestor_id and t.descendant_id = cc.descendant_id
where t.depth is distinct from cc.depth
