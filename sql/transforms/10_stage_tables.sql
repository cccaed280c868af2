-- noqa: disable=LT02
-- Stage 10: the staging tables for one run. Every delivered column arrives as text, as it
-- was written; rec_no keeps the file order, line_no the physical line where a record starts
-- (filled when records span lines or were salvaged; otherwise it is rec_no + 1, the header
-- being line 1). UNLOGGED: staging is rebuilt from the files, it never needs the WAL.
{% for f in files.values() %}
drop table if exists staging.{{ f.key }};
create unlogged table staging.{{ f.key }} (
    rec_no bigint generated always as identity,
    line_no bigint,
{%- for c in f.table_columns %}
    {{ c | ident }} text{{ "," if not loop.last }}
{%- endfor %}
);

drop table if exists staging.{{ f.key }}_raw;
create unlogged table staging.{{ f.key }}_raw (
    line_no bigint not null,
    utf8_ok boolean not null,
    raw text not null
);
{% endfor %}
-- noqa: enable=LT02
