-- The index of the products by category also carries each product's id, so that the products
-- of a category (and of its descendants, through marts.category_closure) are read from the
-- index alone (an index-only scan) instead of from the products' rows.
--
-- Why: topProductsByCategory joins every product of the categories it ranks, and a category
-- filter of productSales and topProductsByCategory lists its products first
-- (api_internal.sales_of_category). Both read ~200 products of each category through the index
-- and then each product's row for its id: over all root categories 97k heap pages for 100k
-- products, 62 ms of a quarter's 326 ms (docs/benchmarks.md). Three rounds each on a full
-- load: topProductsByCategory over all root categories, a quarter 304-320 -> 236-286 ms, a
-- month 235-249 -> 166-192 ms; of one category, a quarter 40-52 -> 22-24 ms. The key starts
-- with the column of the index it replaces, so every other use reads it as before.

create index products_category_covering_idx on core.products (category_id, product_id);
drop index core.products_category_idx;
alter index core.products_category_covering_idx rename to products_category_idx;
comment on index core.products_category_idx is
'The products of a category in id order, their ids in the index (index-only).';
