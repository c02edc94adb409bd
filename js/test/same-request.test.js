// The same-request table (tests/hosts/same-request.json) through decide(): the status and error
// code the worker (tests/hosts/worker/) and Envoy (tests/hosts/envoy/) give for the same cases.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { init, decide, MemoryStore } from '../index.js';
import { TABLE, tableKeys, keyServer, policyFor, requestOf, seen } from '../../tests/hosts/same-request.mjs';

test('every case of the same-request table, in order, as the other hosts answer it', async () => {
  await init();
  const keys = tableKeys();
  const server = await keyServer(keys);
  const options = { ...policyFor(server.url), keyStore: new MemoryStore() };
  try {
    for (const c of TABLE.cases) {
      if (c.serve) server.serve(c.serve);
      const req = requestOf(c, keys);
      const d = await decide({ ...req, origin: 'https://fhir.test' }, options);
      assert.deepEqual(seen(c, d.status, d.body ?? ''), c.expect, `${c.name}: ${JSON.stringify(d.log)}`);
    }
  } finally {
    await server.close();
  }
});
