//! Segments made once per build: whoever asks for a key first makes it, others wait for it or
//! go on (see [`super::early`], which begins some before the compress stage asks).

use std::collections::HashMap;
use std::sync::{Condvar, Mutex};

/// Segments made (or being made) in this build, by key.
#[derive(Default)]
pub struct MadeOnce {
    pub(super) slots: Mutex<HashMap<[u8; 32], Slot>>,
    made: Condvar,
}

pub(super) enum Slot {
    Making,
    Made(Vec<u8>),
}

/// Clears a slot whose maker panicked, so that a waiter makes it instead of waiting forever.
struct Making<'a> {
    once: &'a MadeOnce,
    key: [u8; 32],
    done: bool,
}

impl Drop for Making<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.once.slots.lock().unwrap_or_else(|e| e.into_inner()).remove(&self.key);
            self.once.made.notify_all();
        }
    }
}

impl MadeOnce {
    /// The segment of `key`: made here by `make` unless it is made or being made already, in
    /// which case `None` when `wait` is false (someone else is at it), or, when `wait` is true,
    /// the bytes once they are made.
    pub fn get_or(&self, key: &[u8; 32], wait: bool, make: impl FnOnce() -> Vec<u8>) -> Option<Vec<u8>> {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            match slots.get(key) {
                Some(Slot::Made(bytes)) => return Some(bytes.clone()),
                Some(Slot::Making) if !wait => return None,
                Some(Slot::Making) => slots = self.made.wait(slots).unwrap_or_else(|e| e.into_inner()),
                None => break,
            }
        }
        slots.insert(*key, Slot::Making);
        drop(slots);
        let mut making = Making { once: self, key: *key, done: false };
        let bytes = make();
        self.slots.lock().unwrap_or_else(|e| e.into_inner()).insert(*key, Slot::Made(bytes.clone()));
        making.done = true;
        self.made.notify_all();
        Some(bytes)
    }
}
