/**
 * What list_tables and describe_table read from the system catalogs (pg_catalog, so every relation the
 * role can see, with comments and estimates information_schema lacks). Names reach SQL only as parameters.
 */
import type pg from 'pg';
import { VendorError } from '../server/vendor-error.js';
import { VENDOR } from './pg-credential.js';

const KINDS: Record<string, string> = {
  r: 'table',
  p: 'partitioned table',
  v: 'view',
  m: 'materialized view',
  f: 'foreign table',
};
const SYSTEM_SCHEMAS = `n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_(toast|temp_)'`;
export const MAX_TABLES = 1000;

export async function listTables(client: pg.Client, schema: string | undefined, includeViews: boolean) {
  const kinds = includeViews ? ['r', 'p', 'v', 'm', 'f'] : ['r', 'p', 'f'];
  const { rows } = await client.query<{
    schema: string;
    name: string;
    kind: string;
    rows: string;
    comment: string | null;
  }>(
    `select n.nspname as schema, c.relname as name, c.relkind as kind,
            greatest(c.reltuples, -1)::int8 as rows, obj_description(c.oid, 'pg_class') as comment
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind = any($1::"char"[]) and ${SYSTEM_SCHEMAS} and ($2::text is null or n.nspname = $2)
        and has_schema_privilege(n.oid, 'usage')
      order by n.nspname, c.relname
      limit ${MAX_TABLES + 1}`,
    [kinds, schema ?? null],
  );
  return {
    tables: rows.slice(0, MAX_TABLES).map((r) => ({
      schema: r.schema,
      name: r.name,
      kind: KINDS[r.kind] ?? r.kind,
      // -1: never analysed, so no estimate.
      ...(Number(r.rows) >= 0 ? { estimatedRows: Number(r.rows) } : {}),
      ...(r.comment ? { comment: r.comment } : {}),
    })),
    truncated: rows.length > MAX_TABLES,
  };
}

export async function describeTable(client: pg.Client, schema: string, table: string) {
  const found = await client.query<{ oid: string; kind: string; comment: string | null }>(
    `select c.oid::int8 as oid, c.relkind as kind, obj_description(c.oid, 'pg_class') as comment
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = $1 and c.relname = $2 and c.relkind = any('{r,p,v,m,f}')`,
    [schema, table],
  );
  const rel = found.rows[0];
  if (!rel)
    throw new VendorError(
      VENDOR,
      404,
      'undefined_table',
      `${VENDOR} has no table or view ${schema}.${table} (or this role cannot see it)`,
    );
  const oid = rel.oid;
  const columns = await client.query<{
    name: string;
    type: string;
    nullable: boolean;
    default: string | null;
    comment: string | null;
  }>(
    `select a.attname as name, format_type(a.atttypid, a.atttypmod) as type, not a.attnotnull as nullable,
            pg_get_expr(d.adbin, d.adrelid) as default, col_description(a.attrelid, a.attnum) as comment
       from pg_attribute a left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
      where a.attrelid = $1 and a.attnum > 0 and not a.attisdropped
      order by a.attnum`,
    [oid],
  );
  const constraints = await client.query<{
    name: string;
    type: string;
    columns: string[];
    ref_schema: string | null;
    ref_table: string | null;
    ref_columns: string[] | null;
  }>(
    `select con.conname as name, con.contype as type,
            array(select attname from unnest(con.conkey) with ordinality k(n, i)
                  join pg_attribute on attrelid = con.conrelid and attnum = k.n order by k.i)::text[] as columns,
            fn.nspname as ref_schema, fc.relname as ref_table,
            case when con.contype = 'f' then array(select attname from unnest(con.confkey) with ordinality k(n, i)
                  join pg_attribute on attrelid = con.confrelid and attnum = k.n order by k.i)::text[] end as ref_columns
       from pg_constraint con
       left join pg_class fc on fc.oid = con.confrelid left join pg_namespace fn on fn.oid = fc.relnamespace
      where con.conrelid = $1 and con.contype in ('p', 'f', 'u')
      order by con.conname`,
    [oid],
  );
  const indexes = await client.query<{ name: string; definition: string; unique: boolean; primary: boolean }>(
    `select i.relname as name, pg_get_indexdef(x.indexrelid) as definition, x.indisunique as unique, x.indisprimary as primary
       from pg_index x join pg_class i on i.oid = x.indexrelid where x.indrelid = $1 order by i.relname`,
    [oid],
  );
  const by = (t: string) => constraints.rows.filter((c) => c.type === t);
  return {
    schema,
    name: table,
    kind: KINDS[rel.kind] ?? rel.kind,
    ...(rel.comment ? { comment: rel.comment } : {}),
    columns: columns.rows.map((c) => ({
      name: c.name,
      type: c.type,
      nullable: c.nullable,
      ...(c.default !== null ? { default: c.default } : {}),
      ...(c.comment ? { comment: c.comment } : {}),
    })),
    primaryKey: by('p')[0]?.columns ?? [],
    uniqueConstraints: by('u').map((c) => ({ name: c.name, columns: c.columns })),
    foreignKeys: by('f').map((c) => ({
      name: c.name,
      columns: c.columns,
      references: { schema: c.ref_schema, table: c.ref_table, columns: c.ref_columns },
    })),
    indexes: indexes.rows,
  };
}
