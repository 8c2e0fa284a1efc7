// The aggregate and window functions of pg_catalog on PostgreSQL 15 (builtin-functions.ts has the
// plain ones), read with: SELECT DISTINCT proname FROM pg_proc WHERE pronamespace = 'pg_catalog'::regnamespace AND prokind <> 'f'
const aggregates =
  'array_agg avg bit_and bit_or bit_xor bool_and bool_or corr count covar_pop covar_samp cume_dist ' +
  'dense_rank every first_value json_agg json_object_agg jsonb_agg jsonb_object_agg lag last_value ' +
  'lead max min mode nth_value ntile percent_rank percentile_cont percentile_disc range_agg ' +
  'range_intersect_agg rank regr_avgx regr_avgy regr_count regr_intercept regr_r2 regr_slope ' +
  'regr_sxx regr_sxy regr_syy row_number stddev stddev_pop stddev_samp string_agg sum var_pop ' +
  'var_samp variance xmlagg';

export const builtinAggregateNames: ReadonlySet<string> = new Set(aggregates.split(/\s+/).filter(Boolean));

// The base, pseudo and range types of pg_catalog on PostgreSQL 15, read with:
// SELECT typname FROM pg_type WHERE typnamespace = 'pg_catalog'::regnamespace AND typname NOT LIKE '\_%' AND typrelid = 0
// plus the serial pseudo-types CREATE TABLE accepts. Names as columnType() spells them.

const names =
  'aclitem any anyarray anycompatible anycompatiblearray anycompatiblemultirange ' +
  'anycompatiblenonarray anycompatiblerange anyelement anyenum anymultirange anynonarray anyrange ' +
  'bit bool box bpchar bytea char cid cidr circle cstring date datemultirange daterange ' +
  'event_trigger fdw_handler float4 float8 gtsvector index_am_handler inet int2 int2vector int4 ' +
  'int4multirange int4range int8 int8multirange int8range internal interval json jsonb jsonpath ' +
  'language_handler line lseg macaddr macaddr8 money name numeric nummultirange numrange oid ' +
  'oidvector path pg_brin_bloom_summary pg_brin_minmax_multi_summary pg_ddl_command ' +
  'pg_dependencies pg_lsn pg_mcv_list pg_ndistinct pg_node_tree pg_snapshot point polygon record ' +
  'refcursor regclass regcollation regconfig regdictionary regnamespace regoper regoperator ' +
  'regproc regprocedure regrole regtype table_am_handler text tid time timestamp timestamptz ' +
  'timetz trigger tsm_handler tsmultirange tsquery tsrange tstzmultirange tstzrange tsvector ' +
  'txid_snapshot unknown uuid varbit varchar void xid xid8 xml' +
  ' serial2 serial4 serial8';

export const builtinTypeNames: ReadonlySet<string> = new Set(names.split(/\s+/).filter(Boolean));
