{% from "_macros.sql" import record_rejects %}
-- Stage 20: validate staged product categories (data contract: product_categories.csv).
-- Every rule yields the contract's reason code; the first broken rule of a row is its reason.
-- Output: staging.product_categories_valid, one row per category_id (the last valid line).
{% set f = files["product_categories"] %}
drop table if exists staging.product_categories_checked;
create unlogged table staging.product_categories_checked as
with

staged as (
    select
        rec_no,
        line_no,
        staging.clean(category_id) as category_id,
        staging.clean(name) as name,
        staging.clean(description) as description,
        staging.clean(parent_id) as parent_id,
        staging.clean(created_at) as created_at
    from staging.product_categories
    -- OFFSET 0 keeps this a subquery: each value is computed once per row, not once per use
    offset 0
),

checked as (
    select
        staged.*,
        coalesce(
            case when staged.category_id is null then 'missing_required:category_id is empty' end,
            case when staged.name is null then 'missing_required:name is empty' end,
            case when not staging.is_int(staged.category_id) then 'bad_type:category_id is not an integer' end,
            case when not staging.is_int(staged.parent_id) then 'bad_type:parent_id is not an integer' end,
            case when not staging.is_timestamp(staged.created_at) then 'bad_type:created_at is not a timestamp' end
        ) as problem
    from staged
    offset 0
)

select * from checked;

-- The last valid line of each category is its candidate version in this batch.
drop table if exists staging.product_categories_candidates;
create unlogged table staging.product_categories_candidates as
select distinct on (category_id_int)
    rec_no,
    line_no,
    category_id_int as category_id,
    name,
    description,
    staging.to_int(parent_id)::integer as parent_id,
    staging.to_timestamp_utc(created_at) as created_at
from (
    select
        *,
        staging.to_int(category_id)::integer as category_id_int
    from staging.product_categories_checked
    where problem is null
) as valid_lines
order by category_id_int asc, rec_no desc;

-- A category is accepted when its parent chain reaches a root through loaded categories or
-- accepted ones of this batch; the rest (unknown parent, or a cycle) are orphans.
update staging.product_categories_checked as c
set problem = 'orphan:parent_id ' || c.parent_id || ' is no loaded or accepted category'
from (
    with recursive
    merged as (
        select
            category_id,
            parent_id
        from staging.product_categories_candidates
        union all
        select
            k.category_id,
            k.parent_id
        from core.product_categories as k
        where not exists (
            select 1 from staging.product_categories_candidates as n
            where n.category_id = k.category_id
        )
    ),

    reachable as (
        select category_id from merged
        where parent_id is null
        union
        select m.category_id
        from merged as m
        inner join reachable as r on m.parent_id = r.category_id
    )

    select n.rec_no
    from staging.product_categories_candidates as n
    where not exists (
        select 1 from reachable as r
        where r.category_id = n.category_id
    )
) as orphans
where c.rec_no = orphans.rec_no;

{{ record_rejects(f, run_id) }};

drop table if exists staging.product_categories_valid;
create unlogged table staging.product_categories_valid as
select n.*
from staging.product_categories_candidates as n
inner join staging.product_categories_checked as c on n.rec_no = c.rec_no
where c.problem is null;
