-- noqa: disable=LT02
-- Stage 12: physical line numbers for a file whose quoted fields hold line breaks.
-- A record starts one line after the previous record ends: line = 2 + the number of line
-- breaks inside all earlier records + the number of earlier records.
update staging.{{ key }} as s
set line_no = n.line_no
from (
    select
        rec_no,
        rec_no + 1 + coalesce(
            sum(breaks) over (order by rec_no rows between unbounded preceding and 1 preceding), 0
        ) as line_no
    from (
        select
            rec_no,
            length(record) - length(replace(record, E'\n', '')) as breaks
        from (
            select
                rec_no,
                concat(
                    {%- for c in columns %}
                        {{ c | ident }}{{ "," if not loop.last }}
                    {%- endfor %}
                ) as record
            from staging.{{ key }}
        ) as records
    ) as counted
) as n
where s.rec_no = n.rec_no and s.line_no is null;
-- noqa: enable=LT02
