// Which wasm-bindgen build the shared modules (js/keys.js, js/http.js) call, and how a build is
// loaded. There are two builds of the core: js/pkg/ (the full build: verification and the
// inspection report; js/index.js loads it) and js/pkg-gate/ (the gate build: no report; the edge
// worker loads it). Both export the key cache's classes (`KeySlots`, `KeyDiscovery`,
// src/wasm/keycache.rs), which take and give only strings and numbers, so the modules shared by
// both hosts call whichever build was loaded, and never import one themselves.

let loaded = null;

/** Record `glue` (a build's `azlens.js` module, instantiated) for the shared modules; the first stays. */
export function useBuild(glue) {
  loaded ??= glue;
}

/** The build in use; throws the sentence a user needs when none has been loaded yet. */
export function engine() {
  if (loaded === null) throw new Error('azlens: call `await init()` before verifying or inspecting tokens.');
  return loaded;
}

/**
 * Instantiate the build whose glue is `glue` from `source`: a `WebAssembly.Module`, the bytes, a
 * URL or a Response; with none, Node reads the file `wasmUrl()` names and a browser fetches it.
 * `wasmUrl` is a function: workerd gives modules no `import.meta.url` to resolve against, and
 * there the module is always passed in.
 */
export async function instantiate(glue, wasmUrl, source) {
  if (source instanceof WebAssembly.Module || source instanceof ArrayBuffer || ArrayBuffer.isView(source)) {
    glue.initSync({ module: source });
  } else if (source === undefined && typeof process !== 'undefined' && process.versions?.node) {
    // getBuiltinModule, not import(): bundlers and workerd's module loader never see a Node
    // built-in to resolve, so this one file serves every host unchanged.
    const fs = process.getBuiltinModule?.('node:fs/promises');
    const url = wasmUrl();
    if (!fs) {
      throw new Error(`azlens: this Node (${process.version}) is older than 20.16; pass the module's bytes: init(await readFile(new URL('${url}')))`);
    }
    glue.initSync({ module: await fs.readFile(url) });
  } else {
    await glue.default(source === undefined ? undefined : { module_or_path: source });
  }
  useBuild(glue);
}
