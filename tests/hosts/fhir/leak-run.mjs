#!/usr/bin/env node
// Runs the leak suite (leak-suite.mjs) through a gateway and prints JSON results.
//
//   node tests/hosts/fhir/leak-run.mjs --gateway http://127.0.0.1:PORT --upstream http://127.0.0.1:PORT \
//        --token-file tokens.json [--out results.json]
//
// tokens.json: {"full": "<jwt>", "lab": "<jwt>", "write": "<jwt>"} (scopes: TOKEN_SCOPES in
// leak-suite.mjs, `patient` claim "A"). `--scopes` prints {patient, scopes, classes} as JSON and exits,
// so a harness in another language can mint the tokens and name its tests. The last stdout line is the summary; the
// JSON results go to --out (or stdout before the summary). Exit status 0 whether or not it
// leaked: the caller asserts.
import { readFileSync, writeFileSync } from 'node:fs';
import { runSuite, TOKEN_SCOPES, PATIENT, CLASSES } from './leak-suite.mjs';

const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
if (args.includes('--scopes')) {
  console.log(JSON.stringify({ patient: PATIENT, scopes: TOKEN_SCOPES, classes: CLASSES }));
  process.exit(0);
}
const hostPort = (u, what) => {
  if (!u) {
    console.error(`leak-run: ${what} is required`);
    process.exit(2);
  }
  const url = new URL(u);
  return { host: url.hostname, port: Number(url.port) };
};
const gateway = hostPort(opt('--gateway'), '--gateway');
const upstream = hostPort(opt('--upstream'), '--upstream');
const tokens = JSON.parse(readFileSync(opt('--token-file') ?? '', 'utf8'));
const run = await runSuite({ gateway, upstream, tokens });
const out = JSON.stringify({ byClass: run.byClass, results: run.results, summary: run.summary });
if (opt('--out')) writeFileSync(opt('--out'), out);
else console.log(out);
console.log(run.summary);
