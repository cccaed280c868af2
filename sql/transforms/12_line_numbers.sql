-- noqa: disable=LT02
-- Stage 12: for a file whose quoted fields hold line breaks, the records that hold them and
-- how many. A record's physical line is then rec_no + 1 + the breaks inside earlier records;
-- it is worked out only for rejected rows (see _macros.sql), not stored for every row.
insert into staging.{{ key }}_breaks (rec_no, breaks)
select
    rec_no,
    breaks
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
where breaks > 0;
-- noqa: enable=LT02
