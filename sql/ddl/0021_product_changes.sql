-- Edits of products through the API are recorded, and so is every later overwrite of such a
-- product by a load: the next delivery may still replace an edited value (the shop's export is
-- the source of truth), but never silently.

create table etl.product_changes (
    change_id bigint generated always as identity primary key,
    product_id integer not null,
    source text not null,  -- noqa: RF04
    changed_at timestamptz not null default pg_catalog.clock_timestamp(),
    changed_by text not null,
    application_name text,
    run_id bigint,
    changed_fields text[] not null,
    old_values jsonb not null,
    new_values jsonb not null,
    constraint product_changes_source_known check (source in ('api', 'load'))
);
create index product_changes_product_idx on etl.product_changes (product_id, change_id);
create index product_changes_api_idx on etl.product_changes (product_id) where source = 'api';
comment on table etl.product_changes is
'Audit of product edits made through the API (source api) and of later overwrites of such products (source load).';
comment on column etl.product_changes.change_id is 'Order of the changes.';
comment on column etl.product_changes.product_id is 'The product changed.';
comment on column etl.product_changes.source is
'api: api.update_product; load: any later UPDATE (normally a load) of a product once edited through the API.';
comment on column etl.product_changes.changed_at is 'When the change was written.';
comment on column etl.product_changes.changed_by is
'api: the user the GraphQL request named (header), else the session; load: application_name or session user.';
comment on column etl.product_changes.application_name is 'application_name of the writing session.';
comment on column etl.product_changes.run_id is 'load: batch_id of the new row (the run that overwrote); api: null.';
comment on column etl.product_changes.changed_fields is 'Columns whose value changed (batch_id not counted).';
comment on column etl.product_changes.old_values is 'The product row before the change (to_jsonb).';
comment on column etl.product_changes.new_values is 'The product row after the change (to_jsonb).';

-- The columns whose values differ between two product rows (as jsonb), batch_id excluded.
create function api_internal.changed_fields(p_old jsonb, p_new jsonb)
returns text[]
language sql
immutable
parallel safe
as $$
    select coalesce(array_agg(k.key order by k.key), '{}')
    from jsonb_each(p_new) as k
    where k.key <> 'batch_id' and k.value is distinct from p_old -> k.key
$$;
comment on function api_internal.changed_fields(jsonb, jsonb) is
'Keys whose values differ between two row images, batch_id excluded.';

create function api_internal.record_overwrites_of_api_edits()
returns trigger
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
-- Statement-level AFTER UPDATE trigger on core.products (transition tables old_rows/new_rows):
-- records, set-based, every change to a product that had been edited through the API.
-- api.update_product flags its own write (shopetl.api_write = on) and records it itself.
begin
    if coalesce(current_setting('shopetl.api_write', true), '') = 'on' then
        return null;
    end if;
    if not exists (select 1 from etl.product_changes where source = 'api') then
        return null;  -- the common case: nothing was ever edited through the API
    end if;
    insert into etl.product_changes (
        product_id, source, changed_by, application_name, run_id, changed_fields, old_values, new_values
    )
    select
        c.product_id,
        'load',
        coalesce(nullif(current_setting('application_name'), ''), session_user),
        nullif(current_setting('application_name'), ''),
        c.run_id,
        c.fields,
        c.old_values,
        c.new_values
    from (
        select
            n.product_id,
            n.batch_id as run_id,
            to_jsonb(o) as old_values,
            to_jsonb(n) as new_values,
            api_internal.changed_fields(to_jsonb(o), to_jsonb(n)) as fields
        from new_rows as n
        inner join old_rows as o on n.product_id = o.product_id
        where exists (
            select 1 from etl.product_changes as e
            where e.product_id = n.product_id and e.source = 'api'
        )
    ) as c
    where cardinality(c.fields) > 0
    order by c.product_id;
    return null;
end
$$;
comment on function api_internal.record_overwrites_of_api_edits() is
'Trigger: records into etl.product_changes (source load) the overwrite of products once edited through the API.';

create trigger products_record_overwrites_of_api_edits
after update on core.products
referencing old table as old_rows new table as new_rows
for each statement
execute function api_internal.record_overwrites_of_api_edits();
comment on trigger products_record_overwrites_of_api_edits on core.products is
'A load that changes a product edited through the API leaves a record in etl.product_changes.';
