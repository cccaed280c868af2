-- noqa: disable=LT02
-- Stage 11: records COPY could not take, for one file. The orchestrator framed the file into
-- records (by line and quote balance) in staging.{{ key }}_raw; here each record is split as
-- CSV. A record that is not valid UTF-8, whose quoting is broken or whose number of fields
-- differs from the header's is rejected as `malformed`; the others join staging.{{ key }}.

insert into etl.rejects (run_id, file_key, file_name, line_no, reason, detail, raw)
with
raw_records as (
    select
        line_no,
        utf8_ok,
        raw,
        staging.csv_fields(raw) as fields
    from staging.{{ key }}_raw
)

select
    {{ run_id }},
    {{ key | lit }},
    {{ file_name | lit }},
    line_no,
    'malformed',
    case
        when not utf8_ok then 'invalid UTF-8'
        when fields is null then 'broken quoting'
        else format('%s fields, the header has {{ header | length }}', cardinality(fields))
    end,
    raw
from raw_records
where not utf8_ok or fields is null or cardinality(fields) <> {{ header | length }};

insert into staging.{{ key }} (
    line_no,
    {%- for c in header %}
        {{ c | ident }}{{ "," if not loop.last }}
    {%- endfor %}
)
select
    line_no,
{%- for c in header %}
    fields[{{ loop.index }}]{{ "," if not loop.last }}
{%- endfor %}
from (select
    line_no,
    utf8_ok,
    staging.csv_fields(raw) as fields
from staging.{{ key }}_raw) as parsed
where utf8_ok and cardinality(fields) = {{ header | length }}
order by line_no;
-- noqa: enable=LT02
