// The library-level azlens worker of the edge-worker benchmark: the JS shim's `createVerifier`
// over the wasm core (keys inline, the verifier made once per isolate), then the request goes to
// the origin (the UPSTREAM service binding) or gets a 401. Bindings: JWKS, ALG, ISSUER,
// AUDIENCE, NOW (the fixtures' instant). The real edge worker (js/worker.js) is benchmarked
// beside it.
import wasm from '../../js/pkg/azlens_bg.wasm';
import { init, createVerifier } from '../../js/index.js';

let verifier;

export default {
  async fetch(request, env) {
    if (!verifier) {
      await init(wasm);
      verifier = createVerifier({ algorithms: [env.ALG], issuer: env.ISSUER, audience: env.AUDIENCE, keys: JSON.parse(env.JWKS) });
    }
    const token = (request.headers.get('authorization') ?? '').replace(/^Bearer /, '');
    const result = await verifier.verify(token, { now: Number(env.NOW) });
    if (!result.valid) return new Response(result.errors.map((e) => e.code).join(' '), { status: 401 });
    const forwarded = new Request(request);
    forwarded.headers.delete('authorization');
    forwarded.headers.set('x-auth-sub', String(result.payload.sub));
    return env.UPSTREAM.fetch(forwarded);
  },
};
