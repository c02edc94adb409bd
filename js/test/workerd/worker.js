// A module worker that uses the azlens package exactly as an edge worker would: the .wasm is
// imported as a compiled WebAssembly.Module and passed to init(). Requests under /api/ are
// decided by the guard under the POLICY binding; anything else posts { token, options, store }
// and gets the verify() result back as JSON.
import { init, verify, decide, cacheApiStore, version } from '../../index.js';
import wasm from '../../pkg/azlens_bg.wasm';

export default {
  async fetch(request, env) {
    await init(wasm);
    if (new URL(request.url).pathname.startsWith('/api/')) {
      const d = await decide(request, { ...JSON.parse(env.POLICY), now: Number(env.NOW) });
      return Response.json(d, { status: d.status });
    }
    const { token, options, store } = await request.json();
    if (store === 'cache') options.keyStore = cacheApiStore(caches.default);
    try {
      const result = await verify(token, options);
      return Response.json({ version: version(), result });
    } catch (e) {
      return Response.json({ thrown: { name: e.name, message: e.message } });
    }
  },
};
