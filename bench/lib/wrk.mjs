// Runs the load generator (Debian's wrk) against a loopback URL and returns its numbers, read
// from the JSON line that lib/wrk-json.lua prints.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('./wrk-json.lua', import.meta.url));

export async function wrkVersion() {
  // wrk prints its version with a usage error (exit status 1).
  const out = await run('wrk', ['--version']).catch((e) => e);
  return `${out.stdout ?? ''}`.split('\n')[0].replace(/ Copyright.*/, '').trim();
}

/** One wrk run: { rps, p50_ms, p90_ms, p99_ms, mean_ms, requests, errors }. */
/** `tokens`: a file of tokens, one per line, sent in turn as bearer tokens (lib/wrk-json.lua). */
export async function wrk(url, { connections, seconds, headers = {}, tokens }) {
  const args = ['-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '5s', '-s', SCRIPT];
  for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}: ${v}`);
  const env = { ...process.env, WRK_TOKENS: tokens ?? '' };
  const { stdout } = await run('wrk', [...args, url], { maxBuffer: 1 << 20, env });
  const line = stdout.split('\n').find((l) => l.startsWith('WRK_JSON '));
  if (!line) throw new Error(`wrk printed no result:\n${stdout}`);
  const r = JSON.parse(line.slice('WRK_JSON '.length));
  return {
    rps: r.requests / (r.duration_us / 1e6),
    p50_ms: r.p50_us / 1000,
    p90_ms: r.p90_us / 1000,
    p99_ms: r.p99_us / 1000,
    mean_ms: r.mean_us / 1000,
    requests: r.requests,
    errors: r.socket_errors + r.non_2xx,
  };
}
