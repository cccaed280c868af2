-- The schemas follow the data: staging (raw text as delivered) -> core (validated,
-- normalised facts) -> marts (derived aggregates) -> api (what clients may call);
-- etl holds the pipeline's own bookkeeping (migrations, runs, rejects, checks).

create schema if not exists staging;
comment on schema staging is
'Raw deliveries as text, one UNLOGGED table per file, rebuilt by every run.';

create schema if not exists core;
comment on schema core is
'Validated, normalised facts: categories, products, customers, orders, order items.';

create schema if not exists marts;
comment on schema marts is
'Derived data for analysis: date dimension, daily aggregates, customer lifetime values.';

create schema if not exists api;
comment on schema api is
'Functions a client may call (GraphQL root fields map to them one to one).';

create schema if not exists etl;
comment on schema etl is
'The pipeline''s bookkeeping: migrations, runs, files, rejected rows, check results.';
