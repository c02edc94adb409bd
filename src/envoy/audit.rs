//! The Envoy filter's audit trail, without the host: a bounded queue of AuditEvents (JSON text
//! the core built, [`crate::audit::balp`]), batch Bundles to POST to the audit repository
//! through a cluster, and counters for log lines. A failed POST puts its events back at the
//! front; what the queue cannot hold is dropped and counted, never lost silently.

use crate::audit::AuditSettings;
use serde::Serialize;
use std::collections::VecDeque;

/// What happened to the events so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counters {
    /// Accepted by the repository.
    pub sent: u64,
    /// Refused by the repository entry by entry (not retried).
    pub rejected: u64,
    /// POSTs that failed as a whole (their events were queued again).
    pub failed_posts: u64,
    /// Events that found the queue full.
    pub dropped: u64,
    /// Waiting, or in the POST in flight.
    pub queued: u64,
}

#[derive(Debug)]
pub struct AuditQueue {
    batch: usize,
    capacity: usize,
    queue: VecDeque<String>,
    in_flight: Vec<String>,
    counters: Counters,
}

impl AuditQueue {
    pub fn new(settings: &AuditSettings) -> AuditQueue {
        AuditQueue {
            batch: settings.batch.max(1),
            capacity: settings.queue.max(1),
            queue: VecDeque::new(),
            in_flight: Vec::new(),
            counters: Counters::default(),
        }
    }

    /// Queue one event (JSON text), or count it dropped when the queue is full.
    pub fn push(&mut self, event: String) {
        if self.queue.len() + self.in_flight.len() >= self.capacity {
            self.counters.dropped += 1;
        } else {
            self.queue.push_back(event);
        }
    }

    /// The next batch Bundle to POST, unless one is in flight or nothing waits.
    pub fn next_bundle(&mut self) -> Option<Vec<u8>> {
        if !self.in_flight.is_empty() || self.queue.is_empty() {
            return None;
        }
        let n = self.batch.min(self.queue.len());
        self.in_flight = self.queue.drain(..n).collect();
        let entries: Vec<String> = self
            .in_flight
            .iter()
            .map(|e| {
                format!(r#"{{"resource":{e},"request":{{"method":"POST","url":"AuditEvent"}}}}"#)
            })
            .collect();
        Some(
            format!(
                r#"{{"resourceType":"Bundle","type":"batch","entry":[{}]}}"#,
                entries.join(",")
            )
            .into_bytes(),
        )
    }

    /// The POST in flight was answered: `status` and the batch-response body (or it failed:
    /// `status` 0). A 2xx answer counts its entries; anything else puts the batch back.
    pub fn answered(&mut self, status: u16, body: &[u8]) {
        let batch = std::mem::take(&mut self.in_flight);
        if (200..300).contains(&status) {
            let accepted = accepted_entries(body, batch.len());
            self.counters.sent += accepted as u64;
            self.counters.rejected += (batch.len() - accepted) as u64;
            return;
        }
        self.counters.failed_posts += 1;
        let room = self.capacity.saturating_sub(self.queue.len());
        let kept = batch.len().min(room);
        self.counters.dropped += (batch.len() - kept) as u64;
        for e in batch.into_iter().take(kept).rev() {
            self.queue.push_front(e);
        }
    }

    pub fn in_flight(&self) -> bool {
        !self.in_flight.is_empty()
    }

    pub fn counters(&self) -> Counters {
        Counters {
            queued: (self.queue.len() + self.in_flight.len()) as u64,
            ..self.counters
        }
    }
}

/// How many of the first `n` entries of a batch-response Bundle say 2xx.
fn accepted_entries(body: &[u8], n: usize) -> usize {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) else {
        return 0;
    };
    v["entry"]
        .as_array()
        .map(|entries| {
            entries
                .iter()
                .take(n)
                .filter(|e| {
                    e["response"]["status"]
                        .as_str()
                        .is_some_and(|s| s.starts_with('2'))
                })
                .count()
        })
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queue(batch: usize, cap: usize) -> AuditQueue {
        AuditQueue::new(&AuditSettings {
            batch,
            queue: cap,
            ..AuditSettings::default()
        })
    }

    #[test]
    fn batches_are_bounded_and_failures_requeue_and_count() {
        let mut q = queue(2, 3);
        for i in 0..4 {
            q.push(format!(r#"{{"n":{i}}}"#));
        }
        assert_eq!(q.counters().dropped, 1);
        let b = q.next_bundle().unwrap();
        let v: serde_json::Value = serde_json::from_slice(&b).unwrap();
        assert_eq!(v["type"], "batch");
        assert_eq!(v["entry"].as_array().unwrap().len(), 2);
        assert!(q.next_bundle().is_none(), "one POST at a time");
        q.push("{}".into()); // full with the two in flight
        assert_eq!(q.counters().dropped, 2);
        q.answered(0, b"");
        assert_eq!(q.counters().failed_posts, 1);
        assert_eq!(q.counters().queued, 3);
        let b = q.next_bundle().unwrap();
        let v: serde_json::Value = serde_json::from_slice(&b).unwrap();
        assert_eq!(v["entry"][0]["resource"]["n"], 0, "requeued in order");
        let ok =
            br#"{"entry":[{"response":{"status":"201 Created"}},{"response":{"status":"400"}}]}"#;
        q.answered(200, ok);
        let c = q.counters();
        assert_eq!((c.sent, c.rejected, c.queued), (1, 1, 1));
    }
}
