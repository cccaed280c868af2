-- noqa: disable=LT02
-- Stage 10: the staging tables for one run. Every delivered column arrives as text, as it
-- was written; rec_no keeps the file order; line_no is the physical line where a record starts
-- when it was salvaged record by record (otherwise rec_no + 1 + the line breaks inside earlier
-- records, see stage 12; the header is line 1). UNLOGGED and never vacuumed: staging is
-- rebuilt from the files every run.
{% for f in files.values() %}
drop table if exists staging.{{ f.key }};
create unlogged table staging.{{ f.key }} (
    rec_no bigint generated always as identity,
    line_no bigint,
{%- for c in f.table_columns %}
    {{ c | ident }} text{{ "," if not loop.last }}
{%- endfor %}
) with (autovacuum_enabled = false);

drop table if exists staging.{{ f.key }}_raw;
create unlogged table staging.{{ f.key }}_raw (
    line_no bigint not null,
    utf8_ok boolean not null,
    raw text not null
) with (autovacuum_enabled = false);

-- records whose quoted fields hold line breaks (stage 12): rec_no and how many
drop table if exists staging.{{ f.key }}_breaks;
create unlogged table staging.{{ f.key }}_breaks (
    rec_no bigint primary key,
    breaks bigint not null
);
{% endfor %}
-- noqa: enable=LT02
