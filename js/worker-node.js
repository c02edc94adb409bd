// `import 'azlens/worker'` outside workerd (Node, browsers, Deno): the same guard as
// js/worker.js, with the gate build (js/pkg-gate/) loaded here (a file read in Node, a fetch in a
// browser) instead of a `.wasm` module import only workerd and bundlers understand.

import { instantiate } from './engine.js';
import { guard, gateBuild } from './worker-guard.js';

await instantiate(gateBuild, () => new URL('./pkg-gate/azlens_bg.wasm', import.meta.url));

export { guard, ConfigError, policyFrom } from './worker-guard.js';
export default guard();
