// Reads every Parquet table of a llamaspark job output with DuckDB and prints JSON: per table its
// columns (name, DuckDB type), row count and rows (generations: a few columns per id; the stage
// tables whole), so a test can compare them with what Spark reads.
//   node duckdb_read.mjs DIR
import { DuckDBInstance } from '@duckdb/node-api';

const dir = process.argv[2];
const instance = await DuckDBInstance.create(':memory:');
const conn = await instance.connect();
const rows = async sql => (await conn.runAndReadAll(sql)).getRowObjectsJson();
const queries = {
  generations: `SELECT id, prompt, completion, prompt_tokens, completion_tokens, len(token_ids) AS n_token_ids,
      token_ids[1] AS first_token_id, finish_reason, seed, temperature, top_p, partition_id, executor_id,
      elapsed_ms, error FROM t ORDER BY id`,
  stage_timings: `SELECT executor_id, host, partition_id, stage, parent, level, calls, total_ms, min_ms, max_ms
      FROM t ORDER BY partition_id, stage`,
  stage_summary: `SELECT stage, parent, level, calls, total_ms, avg_ms, pct FROM t ORDER BY stage`,
};
const out = {};
for (const [table, query] of Object.entries(queries)) {
  const src = `read_parquet('${dir.replaceAll("'", "''")}/${table}/*.parquet')`;
  await conn.run(`CREATE OR REPLACE VIEW t AS SELECT * FROM ${src}`);
  out[table] = {
    columns: (await rows('DESCRIBE t')).map(c => ({ name: c.column_name, type: c.column_type })),
    count: Number((await rows('SELECT count(*) AS n FROM t'))[0].n),
    rows: await rows(query),
  };
}
console.log(JSON.stringify(out));
