// `import 'azlens/worker'` outside workerd (Node, browsers, Deno): the same guard as
// js/worker.js, with the WebAssembly loaded by init() (a file read in Node, a fetch in a
// browser) instead of a `.wasm` module import only workerd and bundlers understand.

import { init } from './index.js';
import { guard } from './worker-guard.js';

await init();

export { guard, ConfigError, policyFrom } from './worker-guard.js';
export default guard();
