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

{#- Insert the rows of staging.<key>_checked whose `problem` is set into etl.rejects. -#}
{% macro record_rejects(f, run_id) -%}
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
from staging.{{ f.key }}_checked as c
inner join staging.{{ f.key }} as s on c.rec_no = s.rec_no
left join staging.{{ f.key }}_raw as r on c.line_no = r.line_no
where c.problem is not null
{%- endmacro %}
