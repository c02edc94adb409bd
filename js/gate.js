// The core's one gate protocol (src/gate/) driven from JavaScript, for decide() (index.js) and
// the edge worker (worker-guard.js): describe the request, read the body the core asks for,
// fetch the key sets it names, finish, and refetch when the outcome says so. It decides
// nothing: the core's answer comes back as it stands.

/**
 * The core's answer to the request `reqJson` (its JSON description).
 * - `gate`: the wasm `Gate`; `keys`: this gate's `GateKeys`;
 * - `readBody(max)`: at most `max + 1` bytes of the body (a Uint8Array), when the core asks;
 * - `now()`: seconds since the epoch, asked when the core decides;
 * - `fetchKeys: false` decides with the policy's inline keys only.
 * @returns {Promise<{answer: {decision?: object, introspection?: object},
 *   warnings: Array<{code: string, message: string}>, body: Uint8Array|null}>}
 *   `body`: the bytes the core read, exactly what goes upstream if the request is allowed.
 */
export async function drive(gate, keys, reqJson, { readBody, now, fetchKeys = true }) {
  let step = JSON.parse(gate.begin(reqJson));
  let body = null;
  if (step.read_body) {
    body = await readBody(step.read_body.max_bytes);
    step = JSON.parse(gate.begin(reqJson, new TextDecoder().decode(body)));
  }
  if (step.reply) return { answer: step.reply, warnings: [], body };
  const { ticket, plan } = step.fetch;
  const finish = (set, generation) => JSON.parse(gate.finish(ticket, set, generation, now()));
  try {
    if (!fetchKeys || plan.errors.length > 0 || plan.sources.length === 0) {
      return { answer: finish(keys.none, 0).answer, warnings: [], body };
    }
    return { ...(await keys.finishWith(plan.sources, finish)), body };
  } finally {
    gate.release(ticket);
  }
}

/**
 * The remote key sets one gate uses: `remote` (js/keys.js `RemoteKeys`) and an empty set for
 * tokens that need none.
 */
export class GateKeys {
  #remote;
  #maxWaitMs;

  constructor(remote, noKeys, maxWaitMs) {
    this.#remote = remote;
    this.none = noKeys;
    this.#maxWaitMs = maxWaitMs;
  }

  /**
   * `finish(set, generation)` with the key sets of `sources`; when the outcome asks for an
   * unknown-`kid` refetch, refetch (at most once per cooldown, js/keys.js) and finish again.
   */
  async finishWith(sources, finish) {
    // One deadline for every wait of this request: first fetch and unknown-kid refetch together.
    const deadline = Date.now() + this.#maxWaitMs;
    const first = await this.#remote.keySetsFor(sources, deadline);
    let warnings = first.warnings;
    let outcome = this.#withSets(first, finish);
    if (outcome.keys.refetch_unknown_kid) {
      const again = await this.#remote.refreshFor(sources, deadline);
      if (again.changed) {
        const next = await this.#remote.keySetsFor(sources, deadline);
        warnings = next.warnings;
        outcome = this.#withSets(next, finish);
      } else {
        warnings = [...warnings, ...again.warnings.filter((w) => !warnings.some((x) => x.code === w.code && x.message === w.message))];
      }
    }
    return { answer: outcome.answer, warnings };
  }

  /**
   * `finish` with one key set from several (a union, freed after use), under the core's
   * generation for them (js/keys.js `keySetsFor`: it moves only when a set's bytes do).
   */
  #withSets({ sets, generation }, finish) {
    if (sets.length === 0) return finish(this.none, generation);
    if (sets.length === 1) return finish(sets[0], generation);
    let union = sets[0];
    for (const s of sets.slice(1)) {
      const next = union.union(s);
      if (union !== sets[0]) union.free();
      union = next;
    }
    try {
      return finish(union, generation);
    } finally {
      union.free();
    }
  }
}
