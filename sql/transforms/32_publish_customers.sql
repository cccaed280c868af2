-- Stage 32: upsert the accepted customers (emails already unique, see stage 21).
drop table if exists staging.customers_changed;
create unlogged table staging.customers_changed as
select n.customer_id
from staging.customers_valid as n
left join core.customers as k on n.customer_id = k.customer_id
where
    k.customer_id is null
    or (
        k.email, k.first_name, k.last_name, k.street_address, k.city, k.state, k.zip_code,
        k.country, k.phone, k.registration_date, k.last_login
    ) is distinct from (
        n.email, n.first_name, n.last_name, n.street_address, n.city, n.state, n.zip_code,
        n.country, n.phone, n.registration_date, n.last_login
    );

insert into core.customers as t (
    customer_id, email, first_name, last_name, street_address, city, state, zip_code,
    country, phone, registration_date, last_login, batch_id
)
select
    n.customer_id,
    n.email,
    n.first_name,
    n.last_name,
    n.street_address,
    n.city,
    n.state,
    n.zip_code,
    n.country,
    n.phone,
    n.registration_date,
    n.last_login,
    {{ run_id }}
from staging.customers_valid as n
inner join staging.customers_changed using (customer_id)
on conflict (customer_id) do update
    set
        email = excluded.email,
        first_name = excluded.first_name,
        last_name = excluded.last_name,
        street_address = excluded.street_address,
        city = excluded.city,
        state = excluded.state,
        zip_code = excluded.zip_code,
        country = excluded.country,
        phone = excluded.phone,
        registration_date = excluded.registration_date,
        last_login = excluded.last_login,
        batch_id = excluded.batch_id;
