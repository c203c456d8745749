//! The fast trainer: the very merges of the book's loop ([`super::literal`]), with pair counts
//! kept up to date instead of recounted for every merge.
//!
//! How it stays exact (measured decisions, see `BENCHMARKS.md`, section Tokenizers):
//! - Distinct pieces ("words") with their number of occurrences, laid out one after the other in
//!   order of first appearance. A position in that layout orders occurrences exactly as the book's
//!   left-to-right scan over all pieces meets them first (the first piece that holds a pair is an
//!   instance of the earliest-appearing word that holds it).
//! - Per pair: its count (occurrences times word frequency, overlapping, as `Counter` counts them)
//!   and the positions of its left symbol, ascending. A pair gains occurrences only when it is made
//!   (it holds the newest id), so afterwards its list only loses entries: its first valid entry
//!   is the book's tie-break key, and it can only move right.
//! - A max-heap on (count, earliest position): among equal counts the pair seen first wins, as
//!   Python's `max` over a `Counter` picks. Entries go stale when a neighbouring merge lowers a
//!   count or removes a first occurrence; both only lower a pair's priority, so a popped entry is
//!   checked and pushed back with its current priority when it has changed (lazy refresh).
//! - A merge visits only the occurrences of the merged pair, left to right (greedy, no overlap,
//!   as `replace_pair`), and updates the pairs on either side.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rustc_hash::FxHashMap;

use super::pretokenize::{for_each_piece, Piece};

const NONE: u32 = u32::MAX;

struct PairInfo {
    pair: (u32, u32),
    count: u64,
    /// Left-symbol positions, ascending; entries before `head` are known to be stale.
    occurrences: Vec<u32>,
    head: usize,
}

/// Distinct pieces of at least two symbols, in order of first appearance, as one layout.
pub struct Words {
    /// Symbol id at each position (`NONE` once merged into its left neighbour).
    symbols: Vec<u32>,
    next: Vec<u32>,
    prev: Vec<u32>,
    /// How often the word that holds each position occurs in the text.
    frequency: Vec<u32>,
}

impl Words {
    /// The pieces of `text` (the book's pre-tokenizer), each character mapped by `char_id`.
    pub fn from_text(text: &str, char_id: impl Fn(char) -> u32, space_id: u32) -> Words {
        let mut index: FxHashMap<(bool, &str), usize> = FxHashMap::default();
        let mut firsts: Vec<(bool, &str)> = Vec::new();
        let mut counts: Vec<u32> = Vec::new();
        for_each_piece(text, |piece| {
            if let Piece::Word { space, text } = piece {
                // A piece of one symbol has no pair: it never changes anything.
                if !space && text.chars().nth(1).is_none() {
                    return;
                }
                let i = *index.entry((space, text)).or_insert_with(|| {
                    firsts.push((space, text));
                    counts.push(0);
                    firsts.len() - 1
                });
                counts[i] += 1;
            }
        });
        let mut words = Words { symbols: Vec::new(), next: Vec::new(), prev: Vec::new(), frequency: Vec::new() };
        for (&(space, text), &count) in firsts.iter().zip(&counts) {
            let start = words.symbols.len();
            if space {
                words.symbols.push(space_id);
            }
            words.symbols.extend(text.chars().map(&char_id));
            let end = words.symbols.len();
            for p in start..end {
                words.prev.push(if p == start { NONE } else { p as u32 - 1 });
                words.next.push(if p + 1 == end { NONE } else { p as u32 + 1 });
                words.frequency.push(count);
            }
        }
        words
    }

    /// Words given as id sequences (in order of first appearance) with their frequencies.
    pub fn from_sequences<'a>(sequences: impl IntoIterator<Item = (&'a [u32], u32)>) -> Words {
        let mut words = Words { symbols: Vec::new(), next: Vec::new(), prev: Vec::new(), frequency: Vec::new() };
        for (ids, count) in sequences {
            let start = words.symbols.len();
            let end = start + ids.len();
            for (p, &id) in (start..end).zip(ids) {
                words.symbols.push(id);
                words.prev.push(if p == start { NONE } else { p as u32 - 1 });
                words.next.push(if p + 1 == end { NONE } else { p as u32 + 1 });
                words.frequency.push(count);
            }
        }
        words
    }
}

struct Trainer {
    words: Words,
    pairs: Vec<PairInfo>,
    index: FxHashMap<(u32, u32), u32>,
    heap: BinaryHeap<(u64, Reverse<u32>, u32)>,
}

impl Trainer {
    fn new(words: Words) -> Trainer {
        let mut trainer = Trainer { words, pairs: Vec::new(), index: FxHashMap::default(), heap: BinaryHeap::new() };
        for p in 0..trainer.words.symbols.len() {
            let q = trainer.words.next[p];
            if q != NONE {
                let pair = (trainer.words.symbols[p], trainer.words.symbols[q as usize]);
                let w = u64::from(trainer.words.frequency[p]);
                trainer.add(pair, w, p as u32);
            }
        }
        for (i, info) in trainer.pairs.iter().enumerate() {
            trainer.heap.push((info.count, Reverse(info.occurrences[0]), i as u32));
        }
        trainer
    }

    /// One more occurrence of `pair` at `position` (ascending within each pair's list).
    fn add(&mut self, pair: (u32, u32), weight: u64, position: u32) -> u32 {
        let i = *self.index.entry(pair).or_insert_with(|| {
            self.pairs.push(PairInfo { pair, count: 0, occurrences: Vec::new(), head: 0 });
            self.pairs.len() as u32 - 1
        });
        let info = &mut self.pairs[i as usize];
        info.count += weight;
        info.occurrences.push(position);
        i
    }

    fn remove(&mut self, pair: (u32, u32), weight: u64) {
        if let Some(&i) = self.index.get(&pair) {
            self.pairs[i as usize].count -= weight;
        }
    }

    fn is_at(&self, pair: (u32, u32), p: u32) -> bool {
        let s = &self.words.symbols;
        let q = self.words.next[p as usize];
        s[p as usize] == pair.0 && q != NONE && s[q as usize] == pair.1
    }

    /// The first position where pair `i` still occurs (the book's tie-break key).
    fn first_position(&mut self, i: u32) -> Option<u32> {
        let (pair, mut head) = {
            let info = &self.pairs[i as usize];
            (info.pair, info.head)
        };
        let len = self.pairs[i as usize].occurrences.len();
        while head < len {
            let p = self.pairs[i as usize].occurrences[head];
            if self.is_at(pair, p) {
                break;
            }
            head += 1;
        }
        self.pairs[i as usize].head = head;
        self.pairs[i as usize].occurrences.get(head).copied()
    }

    /// The pair the book's `find_freq_pair` picks now, or `None` when no pair is left.
    fn best(&mut self) -> Option<u32> {
        while let Some((count, Reverse(position), i)) = self.heap.pop() {
            let current = self.pairs[i as usize].count;
            if current == 0 {
                continue;
            }
            let first = self.first_position(i).expect("a pair with a count occurs somewhere");
            if current == count && first == position {
                return Some(i);
            }
            self.heap.push((current, Reverse(first), i));
        }
        None
    }

    /// Replaces every occurrence of pair `i` with `new_id`, left to right.
    fn merge(&mut self, i: u32, new_id: u32) {
        let (a, b) = self.pairs[i as usize].pair;
        let occurrences = std::mem::take(&mut self.pairs[i as usize].occurrences);
        let mut made: Vec<u32> = Vec::new();
        for &p in &occurrences {
            if !self.is_at((a, b), p) {
                continue;
            }
            let pu = p as usize;
            let q = self.words.next[pu];
            let before = self.words.prev[pu];
            let after = self.words.next[q as usize];
            let w = u64::from(self.words.frequency[pu]);
            if before != NONE {
                self.remove((self.words.symbols[before as usize], a), w);
            }
            if after != NONE {
                self.remove((b, self.words.symbols[after as usize]), w);
            }
            self.words.symbols[pu] = new_id;
            self.words.symbols[q as usize] = NONE;
            self.words.next[pu] = after;
            if after != NONE {
                self.words.prev[after as usize] = p;
            }
            if before != NONE {
                made.push(self.add((self.words.symbols[before as usize], new_id), w, before));
            }
            if after != NONE {
                made.push(self.add((new_id, self.words.symbols[after as usize]), w, p));
            }
        }
        self.pairs[i as usize].count = 0;
        made.sort_unstable();
        made.dedup();
        for j in made {
            if self.pairs[j as usize].count > 0 {
                if let Some(first) = self.first_position(j) {
                    self.heap.push((self.pairs[j as usize].count, Reverse(first), j));
                }
            }
        }
    }
}

/// The merges the book's training loop learns on `words`, with new ids `first_new_id`,
/// `first_new_id + 1`, ... below `vocab_size`; stops early when no pair is left.
pub fn train_words(words: Words, first_new_id: u32, vocab_size: usize) -> Vec<(u32, u32)> {
    let mut trainer = Trainer::new(words);
    let mut merges = Vec::new();
    for new_id in first_new_id as usize..vocab_size {
        let Some(i) = trainer.best() else { break };
        merges.push(trainer.pairs[i as usize].pair);
        trainer.merge(i, new_id as u32);
    }
    merges
}
