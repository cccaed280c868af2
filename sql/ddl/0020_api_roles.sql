-- The role the GraphQL server works as, and the private schema of the api helpers.
--
-- The server logs in as any user that may `set role shopetl_api` and then can do one thing:
-- EXECUTE the functions of schema api. It holds no privilege on any table. The api read
-- functions are SECURITY DEFINER and STABLE: PostgreSQL runs a non-volatile function's
-- statements read-only, so they can read core/marts and nothing else; the one write function
-- (api.update_product) is SECURITY DEFINER and VOLATILE. Every such function pins
-- search_path to pg_catalog, pg_temp and names every object with its schema.
--
-- Roles are cluster-wide: the role may already exist (another database of the same server).

do $$
begin
    if not exists (select 1 from pg_catalog.pg_roles where rolname = 'shopetl_api') then
        create role shopetl_api nologin;
    end if;
exception when duplicate_object then
    null;  -- created meanwhile by a migration of another database on the same server
end
$$;

-- Whoever runs the migrations may switch to the role (needed by non-superuser owners).
do $$
begin
    if not pg_catalog.pg_has_role(current_user, 'shopetl_api', 'member') then
        execute format('grant shopetl_api to %I', current_user);
    end if;
end
$$;

grant usage on schema api to shopetl_api;

create schema if not exists api_internal;
comment on schema api_internal is
'Helpers of the api functions (filters, sorting, keyset cursors, JSON shapes); not callable by the API role.';
revoke all on schema api_internal from public;
