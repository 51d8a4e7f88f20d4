//! Parallel work over items of very different sizes (a bundle's modules: a few lines to
//! hundreds of kB), scheduled largest first; and one output cut into slices that are written
//! on every core.
//!
//! Split in halves as rayon splits a list, the last module a core takes may be one of the
//! largest, and the other core waits for it: at the end of minifying three.js ×10 one core sat
//! idle for about 75 ms. Taking the items one at a time in decreasing size, every core ends on
//! small ones.

use std::cmp::Reverse;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use rayon::prelude::*;

/// `f` of every item, on every core, largest `weight` first; results in the items' order.
pub fn map_largest_first<T: Send, R: Send>(items: Vec<T>, weight: impl Fn(&T) -> usize, f: impl Fn(T) -> R + Sync) -> Vec<R> {
    let n = items.len();
    let mut order: Vec<(usize, T)> = items.into_iter().enumerate().collect();
    order.sort_by_key(|(i, item)| (Reverse(weight(item)), *i));
    let slots: Vec<Mutex<Option<(usize, T)>>> = order.into_iter().map(|item| Mutex::new(Some(item))).collect();
    let next = AtomicUsize::new(0);
    let workers = rayon::current_num_threads().min(n);
    let done: Vec<Vec<(usize, R)>> = (0..workers)
        .into_par_iter()
        .map(|_| {
            let mut out = Vec::new();
            loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                let Some(slot) = slots.get(k) else { break };
                let (i, item) = slot.lock().unwrap_or_else(|e| e.into_inner()).take().expect("each slot is taken once");
                out.push((i, f(item)));
            }
            out
        })
        .collect();
    let mut results: Vec<Option<R>> = (0..n).map(|_| None).collect();
    for (i, r) in done.into_iter().flatten() {
        results[i] = Some(r);
    }
    results.into_iter().map(|r| r.expect("every item is mapped")).collect()
}

/// `buf` cut into consecutive slices of `lens` (which add up to at most its length), for
/// parts of one output that are written on every core.
pub fn split_by_lens<'a, T>(mut buf: &'a mut [T], lens: &[usize]) -> Vec<&'a mut [T]> {
    let mut slices = Vec::with_capacity(lens.len());
    for &n in lens {
        let (slice, after) = buf.split_at_mut(n);
        slices.push(slice);
        buf = after;
    }
    slices
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_item_is_mapped_once_and_results_keep_the_items_order() {
        let items: Vec<u64> = (0..1000).map(|i| (i * 7919) % 1013).collect();
        let calls = AtomicUsize::new(0);
        let out = map_largest_first(
            items.clone(),
            |&x| x as usize,
            |x| {
                calls.fetch_add(1, Ordering::Relaxed);
                x * 2
            },
        );
        assert_eq!(calls.into_inner(), items.len());
        assert_eq!(out, items.iter().map(|x| x * 2).collect::<Vec<_>>());
        assert!(map_largest_first(Vec::<u8>::new(), |_| 0, |x| x).is_empty());
    }

    #[test]
    fn slices_follow_each_other() {
        let mut buf = [0u8; 6];
        for (k, slice) in split_by_lens(&mut buf, &[1, 0, 3, 2]).into_iter().enumerate() {
            slice.fill(k as u8);
        }
        assert_eq!(buf, [0, 2, 2, 2, 3, 3]);
    }

    #[test]
    fn the_largest_items_are_started_first() {
        // On one thread the order of calls is the order of starts.
        let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let started = Mutex::new(Vec::new());
        pool.install(|| map_largest_first(vec![3usize, 9, 1, 9, 5], |&x| x, |x| started.lock().unwrap().push(x)));
        assert_eq!(started.into_inner().unwrap(), [9, 9, 5, 3, 1]);
    }
}
