// The edge worker's audit trail: the core builds an IHE BALP AuditEvent for every decision
// (src/audit/balp.rs); this file only moves them. Each event is written to the log (when
// `audit.log`) and, when `audit.repository` names a FHIR server's base URL, queued and POSTed
// there as a batch Bundle after the response, through ctx.waitUntil: the request never waits
// for the repository. The queue is bounded (`audit.queue`); a failed POST keeps its events
// queued for the next attempt, and what does not fit is dropped. Both are counted, and the
// counters go into every decision's log line (`audit`), so nothing is lost silently.

export class AuditTrail {
  #settings;
  #log;
  #queue = [];
  #sending = null;
  /** Events taken from the queue by the POST in flight. */
  #inflight = 0;
  /**
   * Events the repository accepted, events it refused (not retried), POSTs that failed (their
   * events stay queued), events dropped for a full queue.
   */
  counters = { sent: 0, rejected: 0, failed_posts: 0, dropped: 0 };

  constructor(settings, log) {
    this.#settings = settings;
    this.#log = log;
    this.repository = settings.repository ? new URL(settings.repository.replace(/\/+$/, '')) : null;
    /** Whether events go anywhere: to the log, or to a repository. */
    this.wanted = Boolean(settings.log) || this.repository !== null;
  }

  /** Record one AuditEvent (JSON text from the core); `ctx` keeps the upload alive past the response. */
  record(eventText, ctx) {
    if (this.#settings.log) this.#log(`{"audit_event":${eventText}}`);
    if (this.repository === null) return;
    if (this.#queue.length + this.#inflight >= this.#settings.queue) {
      this.counters.dropped += 1;
    } else {
      this.#queue.push(eventText);
    }
    if (this.#sending === null) {
      this.#sending = this.#flush().finally(() => {
        this.#sending = null;
      });
      ctx?.waitUntil?.(this.#sending);
    }
  }

  /** The counters and queue length for log lines. */
  state() {
    return { ...this.counters, queued: this.#queue.length + this.#inflight };
  }

  /** POST batches until the queue is empty or a POST fails (the rest waits for the next request). */
  async #flush() {
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#settings.batch);
      this.#inflight = batch.length;
      const bundle = `{"resourceType":"Bundle","type":"batch","entry":[${batch
        .map((e) => `{"resource":${e},"request":{"method":"POST","url":"AuditEvent"}}`)
        .join(',')}]}`;
      let ok = false;
      try {
        const res = await fetch(this.repository, {
          method: 'POST',
          headers: { 'content-type': 'application/fhir+json', accept: 'application/fhir+json' },
          body: bundle,
        });
        if (res.ok) {
          // A batch answer says per entry; an entry the repository refuses is not retried.
          const accepted = await acceptedCount(res, batch.length);
          this.counters.sent += accepted;
          this.counters.rejected += batch.length - accepted;
          ok = true;
        }
      } catch {
        ok = false;
      }
      this.#inflight = 0;
      if (ok) continue;
      this.counters.failed_posts += 1;
      // Back to the front of the queue; what no longer fits is dropped and counted.
      const room = Math.max(0, this.#settings.queue - this.#queue.length);
      this.counters.dropped += Math.max(0, batch.length - room);
      this.#queue.unshift(...batch.slice(0, room));
      this.#log(JSON.stringify({ audit_repository: 'unavailable', status: 'failed', ...this.state() }));
      return;
    }
  }
}

/** How many entries of a batch-response Bundle say 2xx (0 when it is not one). */
async function acceptedCount(res, n) {
  try {
    const body = await res.json();
    const entries = Array.isArray(body?.entry) ? body.entry.slice(0, n) : [];
    return entries.filter((e) => /^2\d\d/.test(String(e?.response?.status ?? ''))).length;
  } catch {
    return 0;
  }
}
