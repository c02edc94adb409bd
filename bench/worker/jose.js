// The jose side of the edge-worker benchmark: the same worker with panva jose (WebCrypto in
// workerd), the key imported once per isolate. Bindings as in azlens.js.
import { importJWK, jwtVerify } from '../node_modules/jose/dist/webapi/index.js';

let key;

export default {
  async fetch(request, env) {
    key ??= await importJWK(JSON.parse(env.JWKS).keys[0], env.ALG);
    const token = (request.headers.get('authorization') ?? '').replace(/^Bearer /, '');
    try {
      const { payload } = await jwtVerify(token, key, {
        algorithms: [env.ALG],
        issuer: env.ISSUER,
        audience: env.AUDIENCE,
        currentDate: new Date(Number(env.NOW) * 1000),
      });
      return new Response(`hello ${payload.sub}`);
    } catch (e) {
      return new Response(e.code ?? 'invalid', { status: 401 });
    }
  },
};
