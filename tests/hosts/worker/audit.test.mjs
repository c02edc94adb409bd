// IUA route rules and the audit trail through the edge worker in workerd: purpose of use, role,
// consent bound to the patient reached, break-the-glass, and the IHE BALP AuditEvent of every
// decision, written to the log and POSTed in batch Bundles to a real FHIR server (Medplum's
// fhir-router, tests/hosts/fhir/server.mjs) as the audit repository — and, with the repository
// down, requests still decided and the failed uploads counted in the log lines.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import * as h from './harness.mjs';
import { startFhirServer } from '../fhir/server.mjs';
import { validateFhir } from '../fhir/validate.mjs';

const ACT_REASON = 'http://terminology.hl7.org/CodeSystem/v3-ActReason';
const DOCTOR = '158965000';
const bench = {};

const iua = (breakGlass) => ({
  purpose_of_use: [{ system: ACT_REASON, code: 'TREAT' }],
  subject_role: [{ code: DOCTOR }],
  consent: 'patient',
  break_glass: breakGlass,
});
const policyWith = (audit) =>
  h.policy(bench.keys.url, {
    routes: [
      { path_prefix: '/fhir', fhir: true, iua: iua(true) },
      { path_prefix: '/strict', fhir: true, iua: iua(false) },
    ],
    forward: { headers: { 'x-break-glass': 'break_glass', 'x-auth-user': 'atna_user' } },
    audit: { source: 'edge-gateway.example', batch: 5, queue: 8, ...audit },
  });

function token({ purpose = 'TREAT', role = DOCTOR, consent = 'A' } = {}) {
  return h.sign(bench.key, h.claims({
    scope: 'user/*.rs',
    patient: undefined,
    extensions: {
      ihe_iua: {
        subject_name: 'Dr Who',
        subject_role: [{ system: 'http://snomed.info/sct', code: role }],
        purpose_of_use: [{ system: ACT_REASON, code: purpose }],
      },
      ihe_bppc: { patient_id: consent, doc_id: 'urn:uuid:consent-A' },
    },
  }));
}
const bearer = (t) => ({ headers: { authorization: `Bearer ${t}`, 'x-break-glass': 'spoofed' } });

/** A port nothing listens on: a server started and closed. */
async function closedPort() {
  const s = http.createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

/** Wait for `check()` to hold (the uploads run after the responses, through ctx.waitUntil). */
async function eventually(check, what) {
  for (let i = 0; i < 400; i++) {
    const v = await check();
    if (v) return v;
    await h.sleep(25);
  }
  throw new Error(`never happened: ${what}`);
}

before(async () => {
  bench.key = h.signingKey('k1');
  bench.keys = await h.keyServer([bench.key]);
  bench.upstream = await h.upstreamServer();
  bench.fhir = await startFhirServer();
  bench.tmp = h.tempDir();
  bench.worker = await h.startWorker({
    policy: policyWith({ repository: bench.fhir.url }),
    upstream: bench.upstream.url,
    cacheDir: bench.tmp.dir,
  });
});

after(async () => {
  await bench.worker?.dispose();
  await bench.down?.dispose();
  await bench.keys?.close();
  await bench.upstream?.close();
  await bench.fhir?.close();
  bench.tmp?.remove();
});

const auditEvents = (w) =>
  w.logs.flatMap(({ message }) => {
    try {
      const v = JSON.parse(message);
      return v?.audit_event ? [v.audit_event] : [];
    } catch {
      return [];
    }
  });

test('each rule decides in workerd, break-the-glass is flagged upstream, every decision is audited', async () => {
  const w = bench.worker;
  const before = w.decisions().length;
  // workerd hands its log lines over asynchronously: wait for a decision's line before reading it.
  const lines = (n) => eventually(() => w.decisions().length >= before + n && auditEvents(w).length >= n, `${n} decision lines`);
  const ok = await w.fetch('/fhir/Observation?patient=A', bearer(token()));
  assert.equal(ok.status, 200);
  const seen = bench.upstream.seen.at(-1);
  assert.equal(seen.headers['x-break-glass'], undefined, 'a client-sent flag never reaches the upstream');

  for (const [t, path, rule] of [
    [token({ purpose: 'HPAYMT' }), '/fhir/Observation?patient=A', 'iua.purpose-of-use'],
    [token({ role: '309343006' }), '/fhir/Observation?patient=A', 'iua.subject-role'],
    [token(), '/fhir/Observation?patient=B', 'iua.consent-patient'],
    [token({ purpose: 'ETREAT' }), '/strict/Observation?patient=B', 'iua.break-glass-not-allowed'],
  ]) {
    const r = await w.fetch(path, bearer(t));
    assert.equal(r.status, 403, path);
    assert.equal((await r.json()).rule, rule);
  }

  const glass = await w.fetch('/fhir/Observation?patient=B', bearer(token({ purpose: 'ETREAT' })));
  assert.equal(glass.status, 200);
  assert.equal(bench.upstream.seen.at(-1).headers['x-break-glass'], 'true');
  await lines(6);
  const line = w.decisions().at(-1);
  assert.equal(line.rule, 'iua.break-glass');

  // Six decisions, six AuditEvents in the log, each valid FHIR R4.
  const logged = auditEvents(w);
  assert.equal(logged.length, 6);
  for (const ev of logged) assert.deepEqual(validateFhir(ev), [], JSON.stringify(ev));
  assert.deepEqual(logged.map((e) => e.outcome), ['0', '4', '4', '4', '4', '0']);
  assert.match(logged[5].outcomeDesc, /break-the-glass/);
  assert.equal(logged[5].entity[0].what.reference, 'Patient/B');

  // …and in the audit repository, a real FHIR server.
  const stored = await eventually(async () => {
    const res = await fetch(`${bench.fhir.url}/AuditEvent?_count=100`);
    const bundle = await res.json();
    return (bundle.entry ?? []).length >= 6 ? bundle.entry.map((e) => e.resource) : null;
  }, 'six AuditEvents in the repository');
  assert.equal(stored.length, 6);
  const descs = stored.map((e) => e.outcomeDesc).sort();
  assert.deepEqual(descs, logged.map((e) => e.outcomeDesc).sort());
  assert.ok(stored.every((e) => e.source.observer.display === 'edge-gateway.example'));

  // The counters say so in the next decision's log line.
  await w.fetch('/fhir/Observation?patient=A', bearer(token()));
  await lines(7);
  const last = w.decisions().at(-1);
  assert.equal(last.audit.rejected, 0);
  assert.equal(last.audit.failed_posts, 0);
  assert.ok(last.audit.sent >= 6, JSON.stringify(last.audit));
});

test('an audit repository that is down: requests are still decided, failures and drops are counted', async () => {
  bench.down = await h.startWorker({
    policy: policyWith({ repository: `http://127.0.0.1:${await closedPort()}/fhir` }),
    upstream: bench.upstream.url,
    cacheDir: bench.tmp.dir,
  });
  const w = bench.down;
  const first = await w.fetch('/fhir/Observation?patient=A', bearer(token()));
  assert.equal(first.status, 200);
  await eventually(() => w.logs.some(({ message }) => message.includes('"audit_repository":"unavailable"')), 'a failed upload logged');

  // Twelve more decisions with a queue of 8: the kept events stay queued, the rest are dropped.
  for (let i = 0; i < 12; i++) {
    const r = await w.fetch('/fhir/Observation?patient=B', bearer(token()));
    assert.equal(r.status, 403);
  }
  // workerd hands its log lines over asynchronously: wait for the thirteenth decision's line.
  await eventually(() => w.decisions().length >= 13, 'the log line of every decision');
  // The last line counts every event: queued (with those in a POST in flight) or dropped.
  const a = w.decisions().at(-1).audit;
  assert.equal(a.sent, 0);
  assert.ok(a.failed_posts >= 1, JSON.stringify(a));
  assert.equal(a.queued + a.dropped, 13, JSON.stringify(a));
  assert.ok(a.queued <= 8 && a.dropped >= 5, JSON.stringify(a));
  assert.equal(auditEvents(w).length, 13, 'every event is in the log whatever the repository does');
});
