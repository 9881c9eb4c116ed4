//! A fast, non-cryptographic hasher for the index's own build-time tables (the
//! multiply-rotate scheme rustc's `FxHasher` uses). The keys are catalogue words,
//! not attacker-chosen at request time, so flooding resistance buys nothing here and
//! SipHash would double the build time.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

/// Multiply-rotate hasher over 8-byte chunks.
#[derive(Default, Clone, Copy)]
pub struct WordHasher {
    hash: u64,
}

impl WordHasher {
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for WordHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, value: u8) {
        self.add(u64::from(value));
    }

    fn write_u32(&mut self, value: u32) {
        self.add(u64::from(value));
    }

    fn write_u64(&mut self, value: u64) {
        self.add(value);
    }

    fn write_usize(&mut self, value: usize) {
        self.add(value as u64);
    }

    fn finish(&self) -> u64 {
        // A multiply leaves the low bits, which pick the bucket, depending on the
        // low input bits only: fold the high bits down (MurmurHash3's finaliser).
        let mut h = self.hash;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h
    }
}

/// A `HashMap` with [`WordHasher`].
pub type WordMap<K, V> = HashMap<K, V, BuildHasherDefault<WordHasher>>;

/// Hashes a word's bytes with [`WordHasher`].
pub fn hash_word(word: &[u8]) -> u64 {
    let mut hasher = WordHasher::default();
    hasher.write(word);
    hasher.finish()
}

/// One slot of the interner's table: everything a probe compares, so a probe
/// reads one slot and then the word's bytes.
#[derive(Default, Clone, Copy)]
struct Slot {
    /// High bits of the word's hash.
    tag: u32,
    /// The word's number + 1; 0 marks an empty slot.
    number: u32,
    /// Where the word's bytes start in `words`, and their length.
    start: u32,
    len: u32,
}

/// Gives every distinct word a number, storing the words back to back. Built for
/// the index build's hot loop: one probe of a flat table comparing stored hashes,
/// and a byte comparison only on a hash match. The table is larger than the
/// caches, so a caller interning many words can first [`Interner::touch`] the slot
/// of each (the fetches overlap) and then intern them with their hashes.
#[derive(Default)]
pub struct Interner {
    /// Never more than half full.
    slots: Vec<Slot>,
    starts: Vec<u32>,
    words: String,
}

impl Interner {
    /// The number of `word`, given on first sight.
    pub fn intern(&mut self, word: &str) -> u32 {
        self.intern_hashed(word, hash_word(word.as_bytes()))
    }

    /// Asks the caches for the slot `hash` is probed at first, without waiting
    /// for it (a prefetch where the processor has one, a read elsewhere).
    #[cfg_attr(
        target_arch = "x86_64",
        expect(
            unsafe_code,
            reason = "_mm_prefetch takes a raw pointer; std has no safe prefetch"
        )
    )]
    pub fn touch(&self, hash: u64) {
        let size = self.slots.len();
        if size == 0 {
            return;
        }
        let slot = &self.slots[hash as usize & (size - 1)];
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
            // SAFETY: SSE is part of every x86-64 processor, and a prefetch
            // only hints the caches: it never faults and changes nothing.
            unsafe { _mm_prefetch::<_MM_HINT_T0>((slot as *const Slot).cast::<i8>()) };
        }
        #[cfg(not(target_arch = "x86_64"))]
        std::hint::black_box(slot.tag);
    }

    /// The number of `word`, whose [`hash_word`] is `hash`.
    pub fn intern_hashed(&mut self, word: &str, hash: u64) -> u32 {
        if (self.starts.len() + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let tag = (hash >> 32) as u32;
        let mask = self.slots.len() - 1;
        let mut slot = hash as usize & mask;
        loop {
            let found = self.slots[slot];
            if found.number == 0 {
                let number = self.starts.len() as u32;
                let start = self.words.len() as u32;
                self.starts.push(start);
                self.words.push_str(word);
                self.slots[slot] = Slot {
                    tag,
                    number: number + 1,
                    start,
                    len: word.len() as u32,
                };
                return number;
            }
            if found.tag == tag
                && found.len as usize == word.len()
                && &self.words.as_bytes()[found.start as usize..(found.start + found.len) as usize]
                    == word.as_bytes()
            {
                return found.number - 1;
            }
            slot = (slot + 1) & mask;
        }
    }

    /// The word numbered `number`.
    pub fn word(&self, number: u32) -> &str {
        let number = number as usize;
        let start = self.starts[number] as usize;
        let end = self
            .starts
            .get(number + 1)
            .map_or(self.words.len(), |&end| end as usize);
        &self.words[start..end]
    }

    /// Number of distinct words.
    pub fn count(&self) -> usize {
        self.starts.len()
    }

    fn grow(&mut self) {
        let size = (self.slots.len() * 2).max(1024);
        let mut slots = vec![Slot::default(); size];
        for old in self.slots.iter().filter(|slot| slot.number != 0) {
            let hash = hash_word(
                &self.words.as_bytes()[old.start as usize..(old.start + old.len) as usize],
            );
            let mut slot = hash as usize & (size - 1);
            while slots[slot].number != 0 {
                slot = (slot + 1) & (size - 1);
            }
            slots[slot] = *old;
        }
        self.slots = slots;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interning_numbers_each_distinct_word_once() {
        let mut interner = Interner::default();
        let words: Vec<String> = (0..5000).map(|i| format!("w{}", i % 1200)).collect();
        let numbers: Vec<u32> = words.iter().map(|w| interner.intern(w)).collect();
        assert_eq!(interner.count(), 1200);
        for (word, number) in words.iter().zip(numbers) {
            assert_eq!(interner.word(number), word);
        }
    }
}
