{% from "_macros.sql" import split_table, rest_of_stage, record_rejects with context %}
-- Stage 21: validate staged customers (data contract: customers.csv).
-- Output: staging.customers_valid, one row per customer_id (the last valid line), emails
-- trimmed and lower case and never held by another customer.
{% set f = files["customers"] %}
-- The per-row checks: one statement, or on a big file its parts of the staged blocks run at once
-- (split_table in _macros.sql); the rest of the stage then works on the whole table.
{% call(where_this_part) split_table("customers_checked", "staging.customers") %}
with

staged as (
    select
        rec_no,
        line_no,
        staging.clean(customer_id) as customer_id,
        lower(staging.clean(email)) as email,
        staging.clean(first_name) as first_name,
        staging.clean(last_name) as last_name,
        staging.clean(street_address) as street_address,
        staging.clean(city) as city,
        staging.clean(state) as state,
        staging.clean(zip_code) as zip_code,
        staging.clean(country) as country,
        staging.clean(phone) as phone,
        staging.clean(registration_date) as registration_date,
        staging.clean(last_login) as last_login
    from staging.customers{{ where_this_part }}
    -- OFFSET 0 keeps this a subquery: each value is computed once per row, not once per use
    offset 0
),

checked as (
    select
        staged.*,
        coalesce(
            case when staged.customer_id is null then 'missing_required:customer_id is empty' end,
            case when staged.email is null then 'missing_required:email is empty' end,
            case when not staging.is_int(staged.customer_id) then 'bad_type:customer_id is not an integer' end,
            case
                when not staging.is_timestamp(staged.registration_date)
                    then 'bad_type:registration_date is not a timestamp'
            end,
            case when not staging.is_timestamp(staged.last_login) then 'bad_type:last_login is not a timestamp' end,
            case
                when not staging.is_email(staged.email) then 'bad_value:email needs exactly one @ with a dot after it'
            end
        ) as problem
    from staged
    offset 0
)

select * from checked
{% endcall %}

{% call rest_of_stage() %}
drop table if exists staging.customers_candidates;
create unlogged table staging.customers_candidates as
select distinct on (customer_id_int)
    rec_no,
    line_no,
    customer_id_int as customer_id,
    email,
    first_name,
    last_name,
    street_address,
    city,
    state,
    zip_code,
    country,
    phone,
    staging.to_timestamp_utc(registration_date) as registration_date,
    staging.to_timestamp_utc(last_login) as last_login
from (
    select
        *,
        staging.to_int(customer_id)::integer as customer_id_int
    from staging.customers_checked
    where problem is null
) as valid_lines
order by customer_id_int asc, rec_no desc;

-- An email belongs to its first holder, by batch and then line: a loaded customer that keeps
-- it in this batch holds it before any line of this batch; within the batch the earliest line.
update staging.customers_checked as c
set problem = 'duplicate:email ' || c.email || ' is held by customer ' || dup.holder
from (
    with
    claims as (
        select
            k.email,
            k.customer_id,
            0 as batch_order,
            0::bigint as rec_no
        from core.customers as k
        where
            k.email in (select candidate.email from staging.customers_candidates as candidate)
            and not exists (
                select 1 from staging.customers_candidates as n
                where n.customer_id = k.customer_id and n.email <> k.email
            )
        union all
        select
            email,
            customer_id,
            1 as batch_order,
            rec_no
        from staging.customers_candidates
    ),

    holders as (
        select distinct on (email)
            email,
            customer_id
        from claims
        order by email asc, batch_order asc, rec_no asc
    )

    select
        n.rec_no,
        h.customer_id as holder
    from staging.customers_candidates as n
    inner join holders as h on n.email = h.email
    where h.customer_id <> n.customer_id
) as dup
where c.rec_no = dup.rec_no;

{{ record_rejects(f, run_id) }};

drop table if exists staging.customers_valid;
create unlogged table staging.customers_valid as
select n.*
from staging.customers_candidates as n
inner join staging.customers_checked as c on n.rec_no = c.rec_no
where c.problem is null;
create unique index on staging.customers_valid (customer_id);
{% endcall %}
