// The edge worker for workerd (Cloudflare Workers): `main` in wrangler.toml, and what
// `import 'azlens/worker'` resolves to under the `workerd` condition. workerd hands a `.wasm`
// import over as a compiled WebAssembly.Module; everything else is js/worker-guard.js. The worker
// ships the gate build (js/pkg-gate/): the core without the inspection report, which a gateway
// never calls, so a smaller module to upload and to compile at cold start.
//
//   import { guard } from 'azlens/worker';
//   export default guard({ policy, upstream: 'https://fhir.internal.example' });
//
// The default export reads both from the worker's bindings (AZLENS_POLICY, UPSTREAM).

import wasmModule from './pkg-gate/azlens_bg.wasm';
import { guard, useWasmModule } from './worker-guard.js';

useWasmModule(wasmModule);

export { guard, ConfigError, policyFrom } from './worker-guard.js';
export default guard();
