-- Stage 34: upsert the changed customers (emails already unique, see stage 21).
insert into core.customers as t (
    customer_id, email, first_name, last_name, street_address, city, state, zip_code,
    country, phone, registration_date, last_login, batch_id
)
select
    customer_id,
    email,
    first_name,
    last_name,
    street_address,
    city,
    state,
    zip_code,
    country,
    phone,
    registration_date,
    last_login,
    {{ run_id }}
from staging.customers_changed
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
