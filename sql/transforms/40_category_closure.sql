-- Stage 40: the category tree flattened into (ancestor, descendant) pairs, rebuilt when the
-- batch changed a category (500 rows at full size: cheaper to rebuild than to patch).
-- Also decides which (day, category) sales must be recomputed: the days touched by changed
-- orders, the sales days of products that moved category, and every day when the tree changed.
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

drop table if exists staging.touched_days;
create unlogged table staging.touched_days as
select distinct (order_date at time zone 'UTC')::date as sales_date
from staging.touched_orders;

drop table if exists staging.touched_category_days;
create unlogged table staging.touched_category_days as
select sales_date from staging.touched_days
union
select s.sales_date
from marts.daily_product_sales as s
inner join staging.products_changed as p on s.product_id = p.product_id
where p.old_category_id <> p.new_category_id
union
select s.sales_date
from marts.daily_sales as s
where exists (
    select 1 from staging.product_categories_changed as c
    where c.old_parent_id is distinct from c.new_parent_id
);
