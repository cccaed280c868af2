-- The building blocks every api function shares: value formats (money as text with 2 places,
-- ISO-8601 dates and times), client errors, page sizes, opaque keyset cursors and the keyset
-- condition that finds the rows after or before a cursor.
--
-- Filters, sorts and cursors come from clients, so they are turned into SQL only through
-- whitelists (the field and sort tables each api function passes in) and quote_literal
-- (format %L): no client text is ever spliced into a statement unquoted.

create function api_internal.money(p_value numeric)
returns text
language sql
immutable
parallel safe
as $$
    select round(p_value, 2)::text
$$;
comment on function api_internal.money(numeric) is
'Money as the API shows it: a decimal string with exactly 2 places (null stays null).';

create function api_internal.iso_date(p_value date)
returns text
language sql
stable
parallel safe
as $$
    select to_char(p_value, 'YYYY-MM-DD')
$$;
comment on function api_internal.iso_date(date) is 'A date as YYYY-MM-DD.';

create function api_internal.iso_time(p_value timestamptz)
returns text
language sql
stable
parallel safe
as $$
    select case
        when date_trunc('second', p_value) = p_value
            then to_char(p_value at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
        else to_char(p_value at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
    end
$$;
comment on function api_internal.iso_time(timestamptz) is
'A timestamp as ISO-8601 in UTC with Z (fractional seconds only when present).';

create function api_internal.invalid(p_message text, p_hint text default null)
returns void
language plpgsql
stable
as $$
begin
    raise exception using
        errcode = '22023',
        message = p_message,
        hint = coalesce(p_hint, '');
end
$$;
comment on function api_internal.invalid(text, text) is
'Raise SQLSTATE 22023 (invalid_parameter_value) with a message meant for API clients.';

create function api_internal.page_size(p_first integer, p_last integer)
returns integer
language plpgsql
stable
as $$
-- The number of rows a page asks for: first or last, 100 when neither, at most 1000.
declare
    v_size integer := coalesce(p_first, p_last, 100);
    v_arg text := case when p_last is not null then 'last' else 'first' end;
begin
    if p_first is not null and p_last is not null then
        perform api_internal.invalid(
            'pass first (with after) or last (with before), not both',
            'Page forwards with first/after or backwards with last/before.'
        );
    end if;
    if v_size < 0 then
        perform api_internal.invalid(format('%s must not be negative (got %s)', v_arg, v_size));
    end if;
    if v_size > 1000 then
        perform api_internal.invalid(
            format('%s must be at most 1000 (got %s)', v_arg, v_size),
            'Ask for at most 1000 rows and page on with the cursor pageInfo.endCursor.'
        );
    end if;
    return v_size;
end
$$;
comment on function api_internal.page_size(integer, integer) is
'Validates first/last (not both, 0..1000) and returns the page size (default 100).';

create function api_internal.encode_cursor(p_values jsonb)
returns text
language sql
immutable
parallel safe
as $$
    select translate(encode(convert_to(p_values::text, 'UTF8'), 'base64'), E'\n', '')
$$;
comment on function api_internal.encode_cursor(jsonb) is
'Opaque cursor: base64 of the jsonb array [sort signature, sort key values...].';

create function api_internal.decode_cursor(p_cursor text, p_signature text, p_types text[])
returns jsonb
language plpgsql
stable
as $$
-- The sort key values a cursor carries, checked: it must decode, belong to the same sort
-- (signature) and hold one value of the right type per key. Anything else is a clear 22023.
declare
    v_value jsonb;
    v_hint constant text := 'Pass a cursor taken from edges or pageInfo of the same field and orderBy.';
begin
    if p_cursor is null then
        return null;
    end if;
    begin
        v_value := convert_from(decode(p_cursor, 'base64'), 'UTF8')::jsonb;
    exception when others then
        perform api_internal.invalid('invalid cursor: it is not a cursor this API issued', v_hint);
    end;
    if jsonb_typeof(v_value) is distinct from 'array' or jsonb_typeof(v_value -> 0) is distinct from 'string' then
        perform api_internal.invalid('invalid cursor: it is not a cursor this API issued', v_hint);
    end if;
    if v_value ->> 0 <> p_signature then
        perform api_internal.invalid('invalid cursor: it was issued for another field or orderBy', v_hint);
    end if;
    if jsonb_array_length(v_value) <> cardinality(p_types) + 1 then
        perform api_internal.invalid('invalid cursor: it is not a cursor this API issued', v_hint);
    end if;
    for i in 1 .. cardinality(p_types) loop
        if jsonb_typeof(v_value -> i) not in ('string', 'number', 'null') then
            perform api_internal.invalid('invalid cursor: it is not a cursor this API issued', v_hint);
        end if;
        begin
            execute format('select %L::%s', v_value ->> i, p_types[i]);
        exception when others then
            perform api_internal.invalid('invalid cursor: it is not a cursor this API issued', v_hint);
        end;
    end loop;
    return v_value - 0;
end
$$;
comment on function api_internal.decode_cursor(text, text, text[]) is
'The key values of a cursor made by encode_cursor; raises 22023 for a tampered or foreign cursor.';

create function api_internal.keyset_predicate(
    p_keys text[], p_types text[], p_dirs text[], p_values jsonb, p_after boolean
)
returns text
language plpgsql
immutable
as $$
-- SQL condition "the row comes after (p_after) / before the cursor row" in the order of the
-- keys: an OR over i of (equal on keys 1..i-1 and strictly beyond on key i). NULL sorts as
-- the largest value (asc nulls last, desc nulls first: PostgreSQL's defaults), so every term
-- is true or false, never null. Values are quoted literals cast to the key's type.
declare
    v_terms text[] := '{}';
    v_equal text := 'true';
    v_key text;
    v_value text;
    v_larger boolean;
    v_beyond text;
begin
    if p_values is null then
        return 'true';
    end if;
    for i in 1 .. cardinality(p_keys) loop
        v_key := p_keys[i];
        v_larger := (p_dirs[i] = 'asc') = p_after;
        if jsonb_typeof(p_values -> (i - 1)) = 'null' then
            v_beyond := case when v_larger then 'false' else format('(%s is not null)', v_key) end;
            v_terms := v_terms || format('(%s and %s)', v_equal, v_beyond);
            v_equal := format('%s and %s is null', v_equal, v_key);
        else
            v_value := format('%L::%s', p_values ->> (i - 1), p_types[i]);
            v_beyond := case
                when v_larger then format('(%s is null or %s > %s)', v_key, v_key, v_value)
                else format('(%s is not null and %s < %s)', v_key, v_key, v_value)
            end;
            v_terms := v_terms || format('(%s and %s)', v_equal, v_beyond);
            v_equal := format('%s and %s is not null and %s = %s', v_equal, v_key, v_key, v_value);
        end if;
    end loop;
    return '(' || array_to_string(v_terms, ' or ') || ')';
end
$$;
comment on function api_internal.keyset_predicate(text[], text[], text[], jsonb, boolean) is
'Keyset condition for rows after/before a cursor in a multi-key, mixed-direction order.';
