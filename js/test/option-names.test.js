// OptionsError speaks the caller's language: the core validates the policy document in
// snake_case, but a JS caller wrote camelCase options, so the names in its message are theirs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { init, verify, OptionsError } from '../index.js';
import { inCallerNames } from '../options.js';

await init();

test('a misspelt option is named as the caller wrote it, without a JSON position', async () => {
  const cases = [
    [{ algorithms: ['RS256'], maxTokenAgee: 5 }, /unknown field `maxTokenAgee`, expected one of .*`maxTokenAge`.*`keyCache`/],
    [{ algorithms: ['RS256'], keyCache: { allowLoopbackHtp: true } }, /unknown field `allowLoopbackHtp`, expected one of .*`allowLoopbackHttp`/],
    [{ algorithms: ['RS256'], profile: 'cds-hooks' }, /cds-hooks profile but names no "audience"/],
    [{ algorithms: ['RS384'], profile: 'smart-backend' }, /"profileOptions\.tokenEndpoint"/],
  ];
  for (const [options, message] of cases) {
    await assert.rejects(
      verify('a.b.c', options),
      (e) => e instanceof OptionsError && message.test(e.message) && !/_[a-z]/.test(e.message.replace(/"https?:[^"]*"/g, '')) && !/line \d+ column/.test(e.message),
      JSON.stringify(options),
    );
  }
});

test('values are left alone; only names change', () => {
  assert.equal(inCallerNames('unknown variant `smart-v2`, expected one of `iua`, `smart-backend` at line 1 column 9'), 'unknown variant `smart-v2`, expected one of `iua`, `smart-backend`');
  assert.equal(inCallerNames('names neither "profile_options.token_endpoint" nor an "audience"'), 'names neither "profileOptions.tokenEndpoint" nor an "audience"');
  assert.equal(inCallerNames('the issuer "https://as.example/a_b" is not allowed'), 'the issuer "https://as.example/a_b" is not allowed');
});
