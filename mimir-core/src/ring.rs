//! The in-memory ring buffer of the last `maxlen` entries.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};

use crate::entry::Entry;

/// The last `maxlen` entries, updated on the caller's thread.
#[derive(Debug)]
pub(crate) struct Ring {
    maxlen: usize,
    entries: Mutex<VecDeque<Entry>>,
}

impl Ring {
    pub(crate) fn new(maxlen: usize) -> Ring {
        Ring {
            maxlen,
            // Reserve up front only for modest sizes; `usize::MAX` means "keep all".
            entries: Mutex::new(VecDeque::with_capacity(maxlen.min(4096))),
        }
    }

    pub(crate) fn maxlen(&self) -> usize {
        self.maxlen
    }

    fn lock(&self) -> MutexGuard<'_, VecDeque<Entry>> {
        // A panic while holding this lock cannot leave the deque inconsistent
        // (push/pop are atomic from our side), so poisoning is ignored.
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn push(&self, entry: Entry) {
        if self.maxlen == 0 {
            return;
        }
        let mut entries = self.lock();
        if entries.len() == self.maxlen {
            entries.pop_front();
        }
        entries.push_back(entry);
    }

    /// Python-style index: 0 is the oldest kept entry, -1 the newest.
    pub(crate) fn get(&self, index: isize) -> Option<Entry> {
        let entries = self.lock();
        let i = if index < 0 {
            entries.len().checked_sub(index.unsigned_abs())?
        } else {
            index.unsigned_abs()
        };
        entries.get(i).cloned()
    }

    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }

    pub(crate) fn snapshot(&self) -> Vec<Entry> {
        self.lock().iter().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(i: usize) -> Entry {
        Entry::from_json(format!("{{\"i\":{i}}}")).unwrap()
    }

    #[test]
    fn keeps_the_last_maxlen_with_python_indices() {
        let ring = Ring::new(3);
        for i in 0..5 {
            ring.push(entry(i));
        }
        assert_eq!(ring.len(), 3);
        assert_eq!(ring.get(-1).unwrap()["i"], 4);
        assert_eq!(ring.get(-3).unwrap()["i"], 2);
        assert_eq!(ring.get(0).unwrap()["i"], 2);
        assert_eq!(ring.get(2).unwrap()["i"], 4);
        assert!(ring.get(3).is_none());
        assert!(ring.get(-4).is_none());
        assert!(ring.get(isize::MIN).is_none());
        let all: Vec<_> = ring.snapshot().iter().map(|e| e["i"].clone()).collect();
        assert_eq!(all, [2, 3, 4]);
    }

    #[test]
    fn maxlen_zero_keeps_nothing_and_max_keeps_all() {
        let none = Ring::new(0);
        none.push(entry(1));
        assert_eq!(none.len(), 0);
        assert!(none.get(-1).is_none());
        let all = Ring::new(usize::MAX);
        for i in 0..10_000 {
            all.push(entry(i));
        }
        assert_eq!(all.len(), 10_000);
        assert_eq!(all.get(0).unwrap()["i"], 0);
    }
}
