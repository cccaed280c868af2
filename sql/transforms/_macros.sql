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
