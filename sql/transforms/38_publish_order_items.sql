{% from "_partitions.sql" import within_dates with context %}
-- Stage 38: replace the changed order lines. A replaced line is replaced whole: its old
-- version is deleted wherever it was (found through core.order_item_keys, which stage 37 kept
-- in step with moved orders) and the new one is inserted into its order's month. Only a line
-- loaded before (stage 31 found its key: old_order_id) has an old version; without that
-- condition a batch of new lines scanned the months they span for none (0.5 s at full size).
delete from core.order_items as i
using staging.order_items_changed as c
inner join core.order_item_keys as k on c.order_item_id = k.order_item_id
where
    c.old_order_id is not null
    and i.order_item_id = k.order_item_id and i.order_date = k.order_date
    and {{ within_dates("i.order_date", "changed_lines") }};

insert into core.order_items (
    order_item_id, order_id, order_date, product_id, quantity, price, discount, total, batch_id
)
select
    order_item_id,
    order_id,
    order_date,
    product_id,
    quantity,
    price,
    discount,
    total,
    {{ run_id }}
from staging.order_items_changed;

-- A line loaded before (stage 31 found its key) has its key updated; a new line's key is
-- inserted, plainly: it has none yet, so there is no conflict to look for, which an upsert
-- does for every row (0.27 s of a bench batch's 200k new lines; a first load inserts into the
-- empty table, whose primary key stage 49 builds).
{%- if not bulk %}
update core.order_item_keys as k
set order_id = c.order_id, order_date = c.order_date
from staging.order_items_changed as c
where
    c.old_order_id is not null
    and k.order_item_id = c.order_item_id
    and (k.order_id, k.order_date) is distinct from (c.order_id, c.order_date);
{%- endif %}

insert into core.order_item_keys (order_item_id, order_id, order_date)
select
    order_item_id,
    order_id,
    order_date
from staging.order_items_changed
{%- if not bulk %}
where old_order_id is null
{%- endif %};
