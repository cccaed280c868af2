{#- Macros shared by the validation stages (not a stage itself: no NN_ prefix). -#}

{#- The record as CSV text, from its staged fields (the exact bytes are kept for salvaged lines). -#}
{% macro raw_record(columns, alias) -%}
concat_ws(
        ','
{%- for c in columns %},
        staging.csv_quote({{ alias }}.{{ c | ident }})
{%- endfor %}
    )
{%- endmacro %}

{#- Insert the rows of staging.<table> (default <key>_checked) whose `problem` is set into etl.rejects. -#}
{% macro record_rejects(f, run_id, table=none) -%}
insert into etl.rejects (run_id, file_key, file_name, line_no, reason, detail, raw)
select
    {{ run_id }},
    {{ f.key | lit }},
    {{ f.file_name | lit }},
    coalesce(
        c.line_no,
        c.rec_no + 1 + coalesce((select sum(b.breaks) from staging.{{ f.key }}_breaks as b where b.rec_no < c.rec_no), 0)
    ),
    split_part(c.problem, ':', 1),
    nullif(substr(c.problem, length(split_part(c.problem, ':', 1)) + 2), ''),
    coalesce(r.raw, {{ raw_record(f.columns, "s") }})
from staging.{{ table or (f.key ~ "_checked") }} as c
inner join staging.{{ f.key }} as s on c.rec_no = s.rec_no
left join staging.{{ f.key }}_raw as r on c.line_no = r.line_no
where c.problem is not null
{%- endmacro %}


{#- Give staging.<table> the per-column statistics targets of core.<core_table> (migration 0043):
    none for the columns that queries only read and add up, which ANALYZE of the staging table
    would otherwise spend most of its time on (staging.orders_valid of 100k orders: 180 -> 70 ms).
    One ALTER TABLE for all such columns (none: nothing is run). -#}
{% macro core_statistics_targets(table, core_table) -%}
do $$
declare
    v_alter text;
begin
    select
        'alter table staging.{{ table }} '
        || string_agg(format('alter column %I set statistics 0', c.attname), ', ' order by c.attnum)
    into v_alter
    from pg_attribute as c
    inner join pg_attribute as s on c.attname = s.attname
    where
        c.attrelid = 'core.{{ core_table }}'::regclass
        and s.attrelid = 'staging.{{ table }}'::regclass
        and c.attnum > 0 and not c.attisdropped
        and s.attnum > 0 and not s.attisdropped
        and c.attstattarget = 0;
    if v_alter is not null then
        execute v_alter;
    end if;
end
$$
{%- endmacro %}


{#- Turn a checked table into the valid one: rejected rows out (record_rejects keeps them), and
    one row per key, the last line winning. Building the unique index proves there is no
    duplicate key in the common case; only when it fails are the earlier lines removed. -#}
{% macro keep_last_valid(table, key) -%}
delete from staging.{{ table }} where problem is not null;
alter table staging.{{ table }} drop column problem;

do $$
begin
    create unique index {{ table }}_key on staging.{{ table }} ({{ key }});
exception when unique_violation then
    delete from staging.{{ table }} as t
    using (
        select {{ key }}, max(rec_no) as last_rec_no
        from staging.{{ table }}
        group by {{ key }}
        having count(*) > 1
    ) as d
    where t.{{ key }} = d.{{ key }} and t.rec_no < d.last_rec_no;
    create unique index {{ table }}_key on staging.{{ table }} ({{ key }});
end
$$;
analyze staging.{{ table }};
{%- endmacro %}


{#- The first tuple id of part k of n of the staged table's blocks (see split_table). -#}
{% macro first_tid_of_part(k, n) -%}
('(' || {{ k }} * current_setting('shopetl.staged_blocks')::bigint / {{ n }} || ',0)')::tid
{%- endmacro %}

{#- A validation stage's big per-row statement, written once in a call block and rendered by
    the render variable `section` (default "all"):
      all     drop table; create unlogged table staging.<table> as <body>;  (psql, small loads)
      setup   the same, `with no data`: only the table, for the parts to fill
      part    insert into staging.<table> <body>, reading only part `part` of `parts` of the
              staged table's blocks (the load runs the parts at once, one connection each)
      finish  nothing here: the rest of the stage, in a `rest_of_stage` call block
    The body gets `where_this_part`: nothing, or in a part the block range of `source` to put
    right after `from <source>` (a TID range scan; the parts cover every block once, the last
    one up to the end). The part first reads the staged table's size into a session setting:
    pg_relation_size is volatile, and a volatile call inside the query would make PostgreSQL
    materialize the `staged` CTE (a spilled copy of every staged row) instead of inlining it. -#}
{% macro split_table(table, source) -%}
{%- set this_section = section | default("all") %}
{%- set k = part | default(0) %}
{%- set n = parts | default(1) %}
{%- if this_section in ("all", "setup") %}
drop table if exists staging.{{ table }};
create unlogged table staging.{{ table }} with (autovacuum_enabled = false) as
{{ caller("") | trim }}
{%- if this_section == "setup" %}
with no data
{%- endif %};
{%- elif this_section == "part" %}
{%- set lower = ["ctid >= " ~ first_tid_of_part(k, n)] if k > 0 else [] %}
{%- set upper = ["ctid < " ~ first_tid_of_part(k + 1, n)] if k < n - 1 else [] %}
{%- set where_this_part = "\n    where " ~ ((lower + upper) | join("\n        and ") or "true") %}
-- part {{ k + 1 }} of {{ n }} of the staged table's blocks (split_table in _macros.sql)
select set_config(
    'shopetl.staged_blocks', (pg_relation_size({{ source | lit }}) / current_setting('block_size')::bigint)::text, false
);
insert into staging.{{ table }}
{{ caller(where_this_part) | trim }};
{%- endif %}
{%- endmacro %}

{#- The statements of a split stage after its big one (see split_table): run in the sections
    "all" and "finish". -#}
{% macro rest_of_stage() -%}
{%- if (section | default("all")) in ("all", "finish") %}
{{ caller() | trim }}
{%- endif %}
{%- endmacro %}
