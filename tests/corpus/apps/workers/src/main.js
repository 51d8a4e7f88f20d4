// @sqlite.org/sqlite-wasm starts its worker with
// new Worker(new URL('sqlite3-worker1.mjs', import.meta.url), { type: 'module' }).
import { sqlite3Worker1Promiser } from '@sqlite.org/sqlite-wasm';

const out = document.getElementById('out');
try {
  const promiser = await sqlite3Worker1Promiser();
  const config = await promiser('config-get', {});
  await promiser('open', { filename: ':memory:' });
  await promiser('exec', { sql: 'create table t(a); insert into t values (1), (2), (39);' });
  const r = await promiser('exec', { sql: 'select sum(a) as s from t', rowMode: 'object', returnValue: 'resultRows' });
  out.textContent = `sqlite ${config.result.version.libVersion}: sum = ${r.result.resultRows[0].s}`;
} catch (e) {
  out.textContent = `error: ${e?.result?.message || e}`;
}
out.className = 'done';
