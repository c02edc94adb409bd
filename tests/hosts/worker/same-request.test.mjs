// The same-request table (tests/hosts/same-request.json) through the edge worker in workerd:
// the status and error code decide() (js/test/) and Envoy (tests/hosts/envoy/) give for the
// same cases.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as h from './harness.mjs';
import { TABLE, tableKeys, keyServer, policyFor, requestOf, seen } from '../same-request.mjs';

test('every case of the same-request table, in order, as the other hosts answer it', async () => {
  const keys = tableKeys();
  const server = await keyServer(keys);
  const upstream = await h.upstreamServer();
  const tmp = h.tempDir();
  const worker = await h.startWorker({ policy: policyFor(server.url), upstream: upstream.url, cacheDir: tmp.dir });
  try {
    for (const c of TABLE.cases) {
      if (c.serve) server.serve(c.serve);
      const { method, path, headers, body } = requestOf(c, keys);
      const res = await worker.fetch(path, { method, headers, body });
      assert.deepEqual(seen(c, res.status, await res.text()), c.expect, c.name);
    }
  } finally {
    await worker.dispose();
    await server.close();
    await upstream.close();
    tmp.remove();
  }
});
