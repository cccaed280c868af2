-- Typed filters and the Relay connection (one page, totalCount, pageInfo) built as jsonb, and
-- the JSON shapes (product, customer, order lines) several fields share.

create function api_internal.filter_sql(p_filter jsonb, p_fields jsonb)
returns text
language plpgsql
stable
as $$
-- A typed filter input object as a SQL condition over alias b. p_fields is the whitelist:
-- {"graphqlField": {"column": "...", "type": "...", "tree": true?}}. Operators: equalTo,
-- notEqualTo, in, notIn, greaterThan(OrEqualTo), lessThan(OrEqualTo), isNull; text also
-- includesInsensitive, startsWith, startsWithInsensitive; and/or/not combine filters.
-- A "tree" field (categoryId) matches the category and all its descendants.
declare
    v_parts text[] := '{}';
    v_field text;
    v_ops jsonb;
    v_op text;
    v_value jsonb;
    v_def jsonb;
    v_col text;
    v_type text;
    v_lit text;
    v_list text;
    v_sub text[];
    v_cond text;
begin
    if p_filter is null or jsonb_typeof(p_filter) = 'null' then
        return 'true';
    end if;
    if jsonb_typeof(p_filter) <> 'object' then
        perform api_internal.invalid('a filter must be an object');
    end if;
    for v_field, v_ops in select e.key, e.value from jsonb_each(p_filter) as e order by e.key loop
        continue when jsonb_typeof(v_ops) = 'null';
        if v_field in ('and', 'or') then
            if jsonb_typeof(v_ops) <> 'array' then
                perform api_internal.invalid(format('filter %s takes a list of filters', v_field));
            end if;
            select coalesce(array_agg(api_internal.filter_sql(x.value, p_fields) order by x.n), '{}')
            into v_sub
            from jsonb_array_elements(v_ops) with ordinality as x (value, n);
            v_parts := v_parts || case
                when cardinality(v_sub) = 0 then (v_field = 'and')::text
                else '(' || array_to_string(v_sub, ' ' || v_field || ' ') || ')'
            end;
            continue;
        end if;
        if v_field = 'not' then
            v_parts := v_parts || format('not %s', api_internal.filter_sql(v_ops, p_fields));
            continue;
        end if;
        v_def := p_fields -> v_field;
        if v_def is null then
            perform api_internal.invalid(
                format('unknown filter field %s', quote_literal(v_field)),
                format('Filter on one of: %s.', (select string_agg(k, ', ' order by k) from jsonb_object_keys(p_fields) as k))
            );
        end if;
        if jsonb_typeof(v_ops) <> 'object' then
            perform api_internal.invalid(format('filter field %s takes an object of operators', v_field));
        end if;
        v_col := format('b.%I', v_def ->> 'column');
        v_type := v_def ->> 'type';
        for v_op, v_value in select e.key, e.value from jsonb_each(v_ops) as e order by e.key loop
            continue when jsonb_typeof(v_value) = 'null';
            if v_op in ('in', 'notIn') then
                if jsonb_typeof(v_value) <> 'array' then
                    perform api_internal.invalid(format('%s.%s takes a list', v_field, v_op));
                end if;
                v_list := format(
                    '%L::%s[]', array(select jsonb_array_elements_text(v_value)), v_type
                );
            elsif jsonb_typeof(v_value) in ('object', 'array') then
                perform api_internal.invalid(format('%s.%s takes a single value', v_field, v_op));
            else
                v_lit := format('%L::%s', v_value #>> '{}', v_type);
            end if;
            if coalesce((v_def ->> 'tree')::boolean, false) then
                v_cond := case v_op
                    when 'equalTo' then format(
                        '%s in (select t.descendant_id from marts.category_closure as t where t.ancestor_id = %s)',
                        v_col, v_lit
                    )
                    when 'in' then format(
                        '%s in (select t.descendant_id from marts.category_closure as t where t.ancestor_id = any(%s))',
                        v_col, v_list
                    )
                end;
            elsif v_op in ('includesInsensitive', 'startsWith', 'startsWithInsensitive') and v_type <> 'text' then
                v_cond := null;
            else
                v_cond := case v_op
                    when 'equalTo' then format('%s = %s', v_col, v_lit)
                    when 'notEqualTo' then format('%s <> %s', v_col, v_lit)
                    when 'in' then format('%s = any(%s)', v_col, v_list)
                    when 'notIn' then format('%s <> all(%s)', v_col, v_list)
                    when 'greaterThan' then format('%s > %s', v_col, v_lit)
                    when 'greaterThanOrEqualTo' then format('%s >= %s', v_col, v_lit)
                    when 'lessThan' then format('%s < %s', v_col, v_lit)
                    when 'lessThanOrEqualTo' then format('%s <= %s', v_col, v_lit)
                    when 'isNull' then format(
                        '%s is %s null', v_col, case when (v_value #>> '{}')::boolean then '' else 'not' end
                    )
                    when 'includesInsensitive' then format('strpos(lower(%s), lower(%s)) > 0', v_col, v_lit)
                    when 'startsWith' then format('starts_with(%s, %s)', v_col, v_lit)
                    when 'startsWithInsensitive' then format(
                        'lower(%s) like %L', v_col,
                        replace(replace(replace(lower(v_value #>> '{}'), '\', '\\'), '%', '\%'), '_', '\_') || '%'
                    )
                end;
            end if;
            if v_cond is null then
                perform api_internal.invalid(format('filter field %s has no operator %s', v_field, v_op));
            end if;
            v_parts := v_parts || format('coalesce(%s, false)', v_cond);
        end loop;
    end loop;
    if cardinality(v_parts) = 0 then
        return 'true';
    end if;
    return '(' || array_to_string(v_parts, ' and ') || ')';
end
$$;
comment on function api_internal.filter_sql(jsonb, jsonb) is
'A filter input object (whitelisted fields and operators) as a SQL condition over alias b.';

create function api_internal.connection(
    p_base text,
    p_node text,
    p_filter jsonb,
    p_filter_fields jsonb,
    p_order_by text[],
    p_sorts jsonb,
    p_default_order text[],
    p_tiebreak text,
    p_first integer,
    p_after text,
    p_last integer,
    p_before text
)
returns jsonb
language plpgsql
stable
as $$
-- One page of a Relay connection as jsonb: {totalCount, edges [{cursor, node}], nodes,
-- pageInfo}. p_base is a SELECT (written by an api function, never by a client) whose
-- columns the filter fields, sorts and node expression (over alias b) refer to. The page is
-- found by keyset (cursor values compared with the sort keys), never by OFFSET. Sorting by
-- p_order_by (values KEY_ASC / KEY_DESC from the whitelist p_sorts), then by the unique
-- p_tiebreak ascending. hasPreviousPage (forwards) and hasNextPage (backwards) tell whether
-- a cursor was passed, as the Relay specification allows.
declare
    v_size integer := api_internal.page_size(p_first, p_last);
    v_backward boolean := p_last is not null;
    v_order text[] := coalesce(nullif(p_order_by, '{}'), p_default_order);
    v_keys text[] := '{}';
    v_types text[] := '{}';
    v_dirs text[] := '{}';
    v_seen text[] := '{}';
    v_item text;
    v_key text;
    v_dir text;
    v_sort jsonb;
    v_signature text;
    v_where text := api_internal.filter_sql(p_filter, p_filter_fields);
    v_order_sql text;
    v_total bigint;
    v_edges jsonb;
    v_more boolean;
begin
    foreach v_item in array v_order || (p_tiebreak || '_ASC') loop
        v_key := substring(v_item from '^(.*)_(?:ASC|DESC)$');
        v_dir := lower(substring(v_item from '_(ASC|DESC)$'));
        v_sort := p_sorts -> v_key;
        if v_key is null or v_sort is null then
            perform api_internal.invalid(
                format('unknown orderBy value %s', quote_literal(v_item)),
                format('Sort by one of: %s (each _ASC or _DESC).',
                    (select string_agg(k, ', ' order by k) from jsonb_object_keys(p_sorts) as k))
            );
        end if;
        continue when v_key = any(v_seen);
        v_seen := v_seen || v_key;
        v_keys := v_keys || format('b.%I', v_sort ->> 'column');
        v_types := v_types || (v_sort ->> 'type');
        v_dirs := v_dirs || v_dir;
        exit when v_key = p_tiebreak;  -- unique: later keys cannot matter
    end loop;
    v_signature := array_to_string(
        array(select v_seen[i] || '_' || upper(v_dirs[i]) from generate_subscripts(v_seen, 1) as i), ','
    );
    select string_agg(
        format(
            '%s %s',
            v_keys[i],
            case when (v_dirs[i] = 'asc') <> v_backward then 'asc nulls last' else 'desc nulls first' end
        ),
        ', ' order by i
    )
    into v_order_sql
    from generate_subscripts(v_keys, 1) as i;

    execute format('select count(*) from (%s) as b where %s', p_base, v_where) into v_total;

    execute format(
        $sql$
        select
            coalesce(
                jsonb_agg(
                    jsonb_build_object(
                        'cursor', api_internal.encode_cursor(jsonb_build_array(%L::text, %s)),
                        'node', %s
                    ) order by b.api_position %s
                ) filter (where b.api_position <= %s),
                '[]'::jsonb
            ),
            count(*) > %s
        from (
            select b.*, row_number() over (order by %s) as api_position
            from (%s) as b
            where %s and %s and %s
            order by %s
            limit %s
        ) as b
        $sql$,
        v_signature, array_to_string(v_keys, ', '), p_node,
        case when v_backward then 'desc' else 'asc' end,
        v_size, v_size, v_order_sql, p_base, v_where,
        api_internal.keyset_predicate(
            v_keys, v_types, v_dirs, api_internal.decode_cursor(p_after, v_signature, v_types), true
        ),
        api_internal.keyset_predicate(
            v_keys, v_types, v_dirs, api_internal.decode_cursor(p_before, v_signature, v_types), false
        ),
        v_order_sql, v_size + 1
    )
    into v_edges, v_more;

    return jsonb_build_object(
        'totalCount', v_total,
        'edges', v_edges,
        'nodes', jsonb_path_query_array(v_edges, '$[*].node'),
        'pageInfo', jsonb_build_object(
            'hasNextPage', case when v_backward then p_before is not null else v_more end,
            'hasPreviousPage', case when v_backward then v_more else p_after is not null end,
            'startCursor', v_edges -> 0 -> 'cursor',
            'endCursor', v_edges -> -1 -> 'cursor'
        )
    );
end
$$;
comment on function api_internal.connection(
    text, text, jsonb, jsonb, text[], jsonb, text[], text, integer, text, integer, text
) is
'One page of a Relay connection (keyset pagination, typed filter, whitelisted sort) as jsonb.';

-- JSON shapes shared by several fields.

create function api_internal.category_ref(p_category_id integer)
returns jsonb
language sql
stable
as $$
    select jsonb_build_object('categoryId', c.category_id, 'name', c.name, 'parentId', c.parent_id)
    from core.product_categories as c
    where c.category_id = p_category_id
$$;
comment on function api_internal.category_ref(integer) is 'A category as {categoryId, name, parentId}.';

create function api_internal.product_json(p_product_id integer)
returns jsonb
language sql
stable
as $$
    select jsonb_build_object(
        'productId', p.product_id,
        'name', p.name,
        'description', p.description,
        'sku', p.sku,
        'price', api_internal.money(p.price),
        'cost', api_internal.money(p.cost),
        'inventoryCount', p.inventory_count,
        'isActive', p.is_active,
        'createdAt', api_internal.iso_time(p.created_at),
        'category', api_internal.category_ref(p.category_id)
    )
    from core.products as p
    where p.product_id = p_product_id
$$;
comment on function api_internal.product_json(integer) is 'A product as the GraphQL type Product.';

create function api_internal.customer_json(p_customer_id integer)
returns jsonb
language sql
stable
as $$
    select jsonb_build_object(
        'customerId', c.customer_id,
        'email', c.email,
        'firstName', c.first_name,
        'lastName', c.last_name,
        'city', c.city,
        'state', c.state,
        'zipCode', c.zip_code,
        'country', c.country,
        'registrationDate', api_internal.iso_time(c.registration_date),
        'lastLogin', api_internal.iso_time(c.last_login),
        'lifetimeValue', api_internal.money(coalesce(l.lifetime_value, 0)),
        'orderCount', coalesce(l.order_count, 0),
        'firstOrderAt', api_internal.iso_time(l.first_order_at),
        'lastOrderAt', api_internal.iso_time(l.last_order_at),
        'averageOrderValue', api_internal.money(l.average_order_value)
    )
    from core.customers as c
    left join marts.customer_lifetime as l on c.customer_id = l.customer_id
    where c.customer_id = p_customer_id
$$;
comment on function api_internal.customer_json(integer) is
'A customer with the derived figures of marts.customer_lifetime (0 / null without a counted order).';

create function api_internal.order_items_json(p_order_id bigint, p_order_date timestamptz)
returns jsonb
language sql
stable
as $$
    select coalesce(
        jsonb_agg(
            jsonb_build_object(
                'orderItemId', i.order_item_id,
                'product', api_internal.product_json(i.product_id),
                'quantity', i.quantity,
                'price', api_internal.money(i.price),
                'discount', api_internal.money(i.discount),
                'revenue', api_internal.money(i.revenue)
            ) order by i.order_item_id
        ),
        '[]'::jsonb
    )
    from core.order_items as i
    where i.order_id = p_order_id and i.order_date = p_order_date
$$;
comment on function api_internal.order_items_json(bigint, timestamptz) is
'The lines of an order (order_date prunes to its partition).';
