// A module worker that uses the azlens package exactly as an edge worker would: the .wasm is
// imported as a compiled WebAssembly.Module and passed to init(). The test posts
// { token, options, store } and gets the verify() result back as JSON.
import { init, verify, cacheApiStore, version } from '../../index.js';
import wasm from '../../pkg/azlens_bg.wasm';

export default {
  async fetch(request) {
    await init(wasm);
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
