-- The one write of the API: updateProduct. Validates the patch (nothing changes when any
-- field is refused), writes core.products and records who/when/old/new in
-- etl.product_changes. Who: the user the GraphQL server names for the request
-- (setting shopetl.request_user), else application_name, else the session user.

create function api.update_product(p_product_id integer, p_patch jsonb)
returns jsonb
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    v_allowed constant text[] := array[
        'name', 'description', 'price', 'cost', 'categoryId', 'isActive', 'inventoryCount'
    ];
    v_old core.products;
    v_new core.products;
    v_unknown text;
    v_key text;
    v_price numeric;
    v_cost numeric;
begin
    if p_patch is null or jsonb_typeof(p_patch) <> 'object' or p_patch = '{}'::jsonb then
        perform api_internal.invalid('patch must set at least one field', 'Patchable: ' || array_to_string(v_allowed, ', '));
    end if;
    select string_agg(k, ', ' order by k) into v_unknown
    from jsonb_object_keys(p_patch) as k
    where k <> all(v_allowed);
    if v_unknown is not null then
        perform api_internal.invalid(
            format('patch has unknown field(s) %s', v_unknown), 'Patchable: ' || array_to_string(v_allowed, ', ')
        );
    end if;
    foreach v_key in array array['name', 'price', 'categoryId', 'isActive'] loop
        if p_patch ? v_key and jsonb_typeof(p_patch -> v_key) = 'null' then
            raise exception using
                errcode = '22004',
                message = format('%s cannot be set to null', v_key);
        end if;
    end loop;

    select * into v_old from core.products as p where p.product_id = p_product_id for update;
    if not found then
        raise exception using
            errcode = 'P0002',
            message = format('no product with productId %s', p_product_id),
            hint = 'Check the productId (query products to find it).';
    end if;

    v_new := v_old;
    begin
        if p_patch ? 'name' then
            v_new.name := btrim(p_patch ->> 'name');
        end if;
        if p_patch ? 'description' then
            v_new.description := nullif(btrim(p_patch ->> 'description'), '');
        end if;
        if p_patch ? 'price' then
            v_price := (p_patch ->> 'price')::numeric;
            v_new.price := v_price;
        end if;
        if p_patch ? 'cost' then
            v_cost := (p_patch ->> 'cost')::numeric;
            v_new.cost := v_cost;
        end if;
        if p_patch ? 'categoryId' then
            v_new.category_id := (p_patch ->> 'categoryId')::integer;
        end if;
        if p_patch ? 'isActive' then
            v_new.is_active := (p_patch ->> 'isActive')::boolean;
        end if;
        if p_patch ? 'inventoryCount' then
            v_new.inventory_count := (p_patch ->> 'inventoryCount')::integer;
        end if;
    exception when data_exception then
        perform api_internal.invalid(format('patch has a value of the wrong type: %s', sqlerrm));
    end;

    if v_new.name = '' then
        perform api_internal.invalid('name must not be empty');
    end if;
    if v_price < 0 then
        perform api_internal.invalid(
            format('price must not be negative (got %s)', v_price), 'Money is a decimal >= 0 with 2 places.'
        );
    end if;
    if v_price <> round(v_price, 2) or v_cost <> round(v_cost, 2) then
        perform api_internal.invalid('money has at most 2 decimal places');
    end if;
    if v_cost < 0 then
        perform api_internal.invalid(format('cost must not be negative (got %s)', v_cost));
    end if;
    if v_new.inventory_count < 0 then
        perform api_internal.invalid(format('inventoryCount must not be negative (got %s)', v_new.inventory_count));
    end if;
    if not exists (select 1 from core.product_categories as c where c.category_id = v_new.category_id) then
        raise exception using
            errcode = '23503',
            message = format('unknown categoryId %s: there is no such category', v_new.category_id),
            hint = 'Query categories for the valid categoryId values.';
    end if;

    if v_new is distinct from v_old then
        -- the overwrite trigger on core.products skips the API's own write
        perform set_config('shopetl.api_write', 'on', true);
        update core.products as p
        set
            name = v_new.name,
            description = v_new.description,
            price = v_new.price,
            cost = v_new.cost,
            category_id = v_new.category_id,
            is_active = v_new.is_active,
            inventory_count = v_new.inventory_count
        where p.product_id = p_product_id;
        perform set_config('shopetl.api_write', 'off', true);
        insert into etl.product_changes (
            product_id, source, changed_by, application_name, changed_fields, old_values, new_values
        )
        values (
            p_product_id,
            'api',
            coalesce(
                nullif(current_setting('shopetl.request_user', true), ''),
                nullif(current_setting('application_name'), ''),
                session_user
            ),
            nullif(current_setting('application_name'), ''),
            api_internal.changed_fields(to_jsonb(v_old), to_jsonb(v_new)),
            to_jsonb(v_old),
            to_jsonb(v_new)
        );
    end if;
    return api_internal.product_json(p_product_id);
end
$$;
comment on function api.update_product(integer, jsonb) is
'Change a product (name, description, price, cost, categoryId, isActive, inventoryCount); audited.';

-- Who may call what: the API role executes the api functions and nothing else.
revoke all on all functions in schema api from public;
revoke all on all functions in schema api_internal from public;
grant execute on all functions in schema api to shopetl_api;
