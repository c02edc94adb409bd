// The jose worker of the edge-worker benchmark: the same as azlens.js with panva jose (WebCrypto
// in workerd), the key imported once per isolate. Bindings as in azlens.js.
import { importJWK, jwtVerify } from '../node_modules/jose/dist/webapi/index.js';

let key;

export default {
  async fetch(request, env) {
    key ??= await importJWK(JSON.parse(env.JWKS).keys[0], env.ALG);
    const token = (request.headers.get('authorization') ?? '').replace(/^Bearer /, '');
    let payload;
    try {
      ({ payload } = await jwtVerify(token, key, {
        algorithms: [env.ALG],
        issuer: env.ISSUER,
        audience: env.AUDIENCE,
        currentDate: new Date(Number(env.NOW) * 1000),
      }));
    } catch (e) {
      return new Response(e.code ?? 'invalid', { status: 401 });
    }
    const forwarded = new Request(request);
    forwarded.headers.delete('authorization');
    forwarded.headers.set('x-auth-sub', String(payload.sub));
    return env.UPSTREAM.fetch(forwarded);
  },
};
