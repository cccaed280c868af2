-- Parsers for the raw text the pipeline stages. Each is a single expression (so the planner
-- inlines it) and never raises: a value that does not parse yields false / null, and the
-- validation stages turn that into the reason code `bad_type`. These implement the "Types"
-- paragraph of the data contract.
--
-- They run on every field of 26M rows, so each tries a cheap test of the common shape first
-- (LIKE and ltrim cost ~0.1 us; a regular expression or substr ~1-3 us) and only then the
-- general form.

create function staging.clean(p_value text)
returns text
language sql
immutable
parallel safe
as $$
    select nullif(btrim(p_value, E' \t\r\n'), '')
$$;
comment on function staging.clean(text) is
'Trimmed text; empty (or blank) is NULL, as the contract says an empty field is.';

create function staging.is_int(p_value text)
returns boolean
language sql
immutable
parallel safe
as $$
    -- also accepts pandas' integral floats such as "12.0" (see docs/data-contract-notes.md)
    select (length(p_value) between 1 and 9 and ltrim(p_value, '0123456789') = '')
        or (
            p_value ~ '^[+-]?[0-9]{1,10}(\.0*)?$'
            and split_part(p_value, '.', 1)::bigint between -2147483648 and 2147483647
        )
$$;
comment on function staging.is_int(text) is 'Whether the text is a 32-bit integer.';

create function staging.is_bigint(p_value text)
returns boolean
language sql
immutable
parallel safe
as $$
    select (length(p_value) between 1 and 18 and ltrim(p_value, '0123456789') = '')
        or p_value ~ '^[+-]?[0-9]{1,18}(\.0*)?$'
$$;
comment on function staging.is_bigint(text) is 'Whether the text is a 64-bit integer (up to 18 digits).';

create function staging.to_int(p_value text)
returns bigint
language sql
immutable
parallel safe
as $$
    select split_part(p_value, '.', 1)::bigint
$$;
comment on function staging.to_int(text) is 'Integer value of text accepted by is_int/is_bigint.';

create function staging.is_money(p_value text)
returns boolean
language sql
immutable
parallel safe
as $$
    -- fast: digits, one point, two digits ("123.45"); else the general form
    select (
        p_value like '%_.__'
        and p_value not like '%.%.%'
        and ltrim(p_value, '0123456789.') = ''
        and octet_length(p_value) <= 13
    )
    or p_value ~ '^[+-]?([0-9]{1,10}(\.[0-9]{0,2})?|\.[0-9]{1,2})$'
$$;
comment on function staging.is_money(text) is
'Whether the text is money: a decimal with at most 2 places and "." as the point.';

create function staging.is_decimal(p_value text)
returns boolean
language sql
immutable
parallel safe
as $$
    select p_value ~ '^[+-]?([0-9]{1,15}(\.[0-9]{0,6})?|\.[0-9]{1,6})$'
$$;
comment on function staging.is_decimal(text) is 'Whether the text is a plain decimal number.';

create function staging.is_bool(p_value text)
returns boolean
language sql
immutable
parallel safe
as $$
    select lower(p_value) in ('true', 'false', 't', 'f', '1', '0')
$$;
comment on function staging.is_bool(text) is 'Whether the text is True/False, true/false, t/f or 1/0.';

create function staging.to_bool(p_value text)
returns boolean
language sql
immutable
parallel safe
as $$
    select lower(p_value) in ('true', 't', '1')
$$;
comment on function staging.to_bool(text) is 'Boolean value of text accepted by is_bool.';

-- is_timestamp has two bodies with one meaning: PostgreSQL 16+ checks the parts' ranges with
-- pg_input_is_valid (C, ~0.3 us); older servers compare the parts as text (~4 us). Both accept
-- exactly YYYY-MM-DD HH:MM:SS and the ISO-8601 forms below, hours 00-23, seconds 00-59.
create function staging.timestamp_shape(p_value text)
returns boolean
language sql
immutable
parallel safe
as $$
    select p_value ~ (
        '^[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?'
        || '(Z|[+-](0[0-9]|1[0-5])(:?[0-5][0-9])?)?$'
    )
$$;
comment on function staging.timestamp_shape(text) is
'Whether the text has the shape of one of the contract''s timestamp forms (ranges not checked).';

do $body$
begin
    if current_setting('server_version_num')::integer >= 160000 then
        execute $fn$
            create function staging.is_timestamp(p_value text)
            returns boolean
            language sql
            stable
            parallel safe
            as $$
                select case
                    when p_value like '____-__-__ __:__:__'
                        then ltrim(p_value, '0123456789-: ') = '' and pg_input_is_valid(p_value, 'timestamp')
                    else staging.timestamp_shape(p_value) and pg_input_is_valid(p_value, 'timestamptz')
                end
                and substr(p_value, 12, 2) <> '24'
                and (substr(p_value, 17, 1) <> ':' or substr(p_value, 18, 2) <> '60')
            $$
        $fn$;
    else
        execute $fn$
            create function staging.is_timestamp(p_value text)
            returns boolean
            language sql
            immutable
            parallel safe
            as $$
                select (
                    (p_value like '____-__-__ __:__:__' and ltrim(p_value, '0123456789-: ') = '')
                    or staging.timestamp_shape(p_value)
                )
                and substr(p_value, 1, 4) >= '0001'
                and substr(p_value, 6, 2) between '01' and '12'
                and substr(p_value, 9, 2) between '01' and '31'
                and substr(p_value, 12, 2) <= '23'
                and substr(p_value, 15, 2) <= '59'
                and (substr(p_value, 17, 1) <> ':' or substr(p_value, 18, 2) <= '59')
                and (
                    substr(p_value, 9, 2) <= '28'
                    or substr(p_value, 9, 2)::integer <= extract(
                        day from make_date(substr(p_value, 1, 4)::integer, substr(p_value, 6, 2)::integer, 1)
                        + interval '1 month - 1 day'
                    )
                )
            $$
        $fn$;
    end if;
end
$body$;
comment on function staging.is_timestamp(text) is
'Whether the text is a valid timestamp in one of the contract''s two forms.';

create function staging.to_timestamp_utc(p_value text)
returns timestamptz
language sql
stable
parallel safe
as $$
    -- no offset means UTC, whatever the session's TimeZone
    select case
        when length(p_value) = 19 and substr(p_value, 17, 1) = ':' then p_value::timestamp at time zone 'UTC'
        when p_value ~ '(Z|[+-][0-9]{2}(:?[0-9]{2})?)$' then p_value::timestamptz
        else p_value::timestamp at time zone 'UTC'
    end
$$;
comment on function staging.to_timestamp_utc(text) is
'Timestamp of text accepted by is_timestamp; without an offset the time is UTC.';

create function staging.is_email(p_value text)
returns boolean
language sql
immutable
parallel safe
as $$
    -- exactly one "@", with a dot somewhere after it
    select p_value ~ '^[^@]*@[^@]*\.[^@]*$'
$$;
comment on function staging.is_email(text) is 'The contract''s email rule: exactly one @ with a dot after it.';

create function staging.to_status(p_value text)
returns core.order_status
language sql
immutable
parallel safe
as $$
    -- one CASE rather than a lookup, so that the planner inlines it (5M rows at full size)
    select case lower(btrim(p_value))
        when 'pending' then 'Pending'::core.order_status
        when 'processing' then 'Processing'::core.order_status
        when 'shipped' then 'Shipped'::core.order_status
        when 'in transit' then 'In Transit'::core.order_status
        when 'delivered' then 'Delivered'::core.order_status
        when 'cancelled' then 'Cancelled'::core.order_status
        when 'returned' then 'Returned'::core.order_status
    end
$$;
comment on function staging.to_status(text) is
'Canonical status for text matched without regard to letter case or surrounding spaces; NULL if unknown.';

-- Only for lines COPY could not take (the salvage path): split one CSV record (RFC 4180)
-- into its fields. Returns NULL when the quoting is broken.
create function staging.csv_fields(p_record text)
returns text[]
language sql
immutable
parallel safe
as $$
    with pieces as (
        select m.ord, m.piece[1] as field
        from regexp_matches(p_record || ',', '("(?:[^"]|"")*"|[^,"]*),', 'g') with ordinality as m (piece, ord)
    )
    select case
        when coalesce(sum(length(field) + 1), 0) = length(p_record) + 1
            then array_agg(
                case
                    when field like '"%' then replace(substr(field, 2, length(field) - 2), '""', '"')
                    else nullif(field, '')
                end
                order by ord
            )
    end
    from pieces
$$;
comment on function staging.csv_fields(text) is
'Fields of one CSV record (RFC 4180 quoting); NULL when the record cannot be parsed.';

create function staging.csv_quote(p_value text)
returns text
language sql
immutable
parallel safe
as $$
    -- one field as CSV text: NULL is empty, a value holding a comma, quote or line break is quoted
    select case
        when p_value is null then ''
        when p_value ~ '[,"\r\n]' or p_value = '' then '"' || replace(p_value, '"', '""') || '"'
        else p_value
    end
$$;
comment on function staging.csv_quote(text) is 'A field as it would be written in a CSV record.';
