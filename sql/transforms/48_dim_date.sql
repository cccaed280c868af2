-- Stage 48: the date dimension covers every day from the first to the last order (UTC days).
insert into marts.dim_date (
    date_day, year, quarter, month, day_of_month, iso_year, iso_week, iso_day_of_week,
    week_start, month_start, quarter_start, year_start, is_weekend
)
select
    d::date,
    extract(year from d)::smallint,
    extract(quarter from d)::smallint,
    extract(month from d)::smallint,
    extract(day from d)::smallint,
    extract(isoyear from d)::smallint,
    extract(week from d)::smallint,
    extract(isodow from d)::smallint,
    date_trunc('week', d)::date,
    date_trunc('month', d)::date,
    date_trunc('quarter', d)::date,
    date_trunc('year', d)::date,
    extract(isodow from d) in (6, 7)
from
    generate_series(
        (select least(min(sales_date), (select min(date_day) from marts.dim_date)) from staging.touched_days),
        (select greatest(max(sales_date), (select max(date_day) from marts.dim_date)) from staging.touched_days),
        interval '1 day'
    ) as d
on conflict (date_day) do nothing;
