//! The book's training loop, ported literally: the slow oracle the fast trainer is tested against.
//!
//! Written from the algorithm of `BPETokenizerSimple.train` (`find_freq_pair` + `replace_pair`):
//! every merge counts all adjacent pairs of all pieces again (a `Counter`, which keeps the order in
//! which pairs are first seen), takes the most frequent (the first seen among equals, as Python's
//! `max` keeps the first maximum), and replaces it greedily, left to right, without overlap.
//! Quadratic: use it on small texts only (it is what [`super::trainer`] must equal).

use std::collections::HashMap;

/// The merges the book's loop learns on `sequences` (one id sequence per piece of the text), with
/// new ids `first_new_id`, `first_new_id + 1`, ... up to (not including) `vocab_size`. Stops early
/// when no piece has two symbols left.
pub fn train_literal(mut sequences: Vec<Vec<u32>>, first_new_id: u32, vocab_size: usize) -> Vec<(u32, u32)> {
    let mut merges = Vec::new();
    for new_id in first_new_id as usize..vocab_size {
        let Some(pair) = find_freq_pair(&sequences) else { break };
        sequences = replace_pair(&sequences, pair, new_id as u32);
        merges.push(pair);
    }
    merges
}

/// The most frequent adjacent pair; among equals, the one seen first in a left-to-right scan.
pub fn find_freq_pair(sequences: &[Vec<u32>]) -> Option<(u32, u32)> {
    // A Counter: counts in order of first sight.
    let mut position: HashMap<(u32, u32), usize> = HashMap::new();
    let mut counts: Vec<((u32, u32), u64)> = Vec::new();
    for ids in sequences {
        for pair in ids.windows(2).map(|w| (w[0], w[1])) {
            match position.get(&pair) {
                Some(&i) => counts[i].1 += 1,
                None => {
                    position.insert(pair, counts.len());
                    counts.push((pair, 1));
                }
            }
        }
    }
    // Python's max: the first of the largest.
    let mut best: Option<((u32, u32), u64)> = None;
    for &(pair, count) in &counts {
        if best.is_none_or(|(_, c)| count > c) {
            best = Some((pair, count));
        }
    }
    best.map(|(pair, _)| pair)
}

/// Replaces every occurrence of `pair` by `new_id`, left to right, without overlap (`a a a` ->
/// `Z a`).
pub fn replace_pair(sequences: &[Vec<u32>], pair: (u32, u32), new_id: u32) -> Vec<Vec<u32>> {
    sequences
        .iter()
        .map(|ids| {
            let mut out = Vec::with_capacity(ids.len());
            let mut i = 0;
            while i < ids.len() {
                if i + 1 < ids.len() && (ids[i], ids[i + 1]) == pair {
                    out.push(new_id);
                    i += 2;
                } else {
                    out.push(ids[i]);
                    i += 1;
                }
            }
            out
        })
        .collect()
}
