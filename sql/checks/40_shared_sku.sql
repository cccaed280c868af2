-- Products sharing a sku (suspicious but loadable, per the data contract: loaded and reported).
-- One row per shared sku with the products holding it.
-- Batch scope: the skus of the products the batch delivered changed (found by the sku index).
-- severity: warn
-- scope: batch
select
    p.sku,
    count(*) as products,
    array_agg(p.product_id order by p.product_id) as product_ids
from core.products as p
{% if scope == 'batch' %}
where p.sku in (select c.sku from staging.products_changed as c)
{% endif %}
group by p.sku
having count(*) > 1
