// The azlens side of the edge-worker benchmark: a module worker that verifies the bearer token
// with the JS shim over the wasm core (keys inline, the verifier created once per isolate) and
// answers 200 or 401. Bindings: JWKS, ALG, ISSUER, AUDIENCE, NOW (the fixtures' instant).
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
    return new Response(`hello ${result.payload.sub}`);
  },
};
