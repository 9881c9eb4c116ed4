//! The ranking rules applied to whole sets of documents first — words matched,
//! typos, fields — narrowing them to the few that can reach the requested page,
//! then those few ranked one by one (proximity, exactness, importance).

use super::*;

impl Index {
    /// The documents that can reach the first `end` places: the rules are applied
    /// to whole sets — words matched, then typos, then fields — keeping every set
    /// that ranks wholly above the place `end` and narrowing the one it cuts through.
    /// Documents outside are beaten by at least `end` documents inside.
    pub(super) fn contenders(
        &self,
        words: &[WordSets],
        matching: &RoaringBitmap,
        named: &[u32],
        end: usize,
    ) -> RoaringBitmap {
        let mut chosen: RoaringBitmap = named.iter().copied().collect();
        // Named entries always come first: they may take places of their own.
        let mut need = end + named.len();
        if matching.len() as usize <= need.max(SMALL_SET) {
            return matching.clone();
        }
        let count = words.len();
        if let [word] = words {
            // One word: its levels are the buckets of the typos and fields rules,
            // in order.
            for level in &word.levels {
                let size = level.len() as usize;
                if size <= need || size <= SMALL_SET {
                    chosen |= level;
                    need = need.saturating_sub(size);
                    if need == 0 {
                        return chosen;
                    }
                } else {
                    self.by_exactness(words, level, need, &mut chosen);
                    return chosen;
                }
            }
            return chosen;
        }
        // Words matched: `at_least[k]` holds the documents matching k words or more.
        let mut at_least = vec![RoaringBitmap::new(); count + 1];
        at_least[0] = matching.clone();
        for (w, word) in words.iter().enumerate() {
            for k in (1..=w + 1).rev() {
                let grown = &at_least[k - 1] & &word.all;
                at_least[k] |= grown;
            }
        }
        let Some(most) = (1..=count)
            .rev()
            .find(|&k| at_least[k].len() as usize >= need)
        else {
            return matching.clone();
        };
        let better = if most < count {
            at_least[most + 1].clone()
        } else {
            RoaringBitmap::new()
        };
        let bucket = &at_least[most] - &better;
        chosen |= better;
        need = need.saturating_sub(chosen.len() as usize).max(1);
        if bucket.len() as usize <= need.max(SMALL_SET) {
            return chosen | bucket;
        }
        // Typos, summed over the words: split the bucket by its sum.
        let by_typos = sums(words, &bucket, 2, |level| level / 5);
        let Some(bucket) = cut(by_typos, &mut chosen, &mut need) else {
            return chosen;
        };
        // Fields, summed the same way.
        let by_fields = sums(words, &bucket, 4, |level| level % 5);
        let Some(bucket) = cut(by_fields, &mut chosen, &mut need) else {
            return chosen;
        };
        if most > 1 {
            // Proximity tells these apart: each is looked at on its own.
            return chosen | bucket;
        }
        self.by_exactness(words, &bucket, need, &mut chosen);
        chosen
    }

    /// Adds to `chosen` the `need` best documents of `bucket`, whose documents all
    /// match one word with the same typos and field: no proximity tells them apart,
    /// so words found as typed, then importance, then catalogue order.
    fn by_exactness(
        &self,
        words: &[WordSets],
        bucket: &RoaringBitmap,
        mut need: usize,
        chosen: &mut RoaringBitmap,
    ) {
        let mut exact = RoaringBitmap::new();
        for word in words {
            exact |= &word.exact;
        }
        let exact = bucket & &exact;
        let inexact = bucket - &exact;
        for part in [exact, inexact] {
            if need == 0 {
                break;
            }
            if part.len() as usize <= need {
                need -= part.len() as usize;
                *chosen |= part;
            } else {
                self.most_important(&part, need, chosen);
                need = 0;
            }
        }
    }

    /// Adds to `out` the `take` documents of `set` of highest importance (ties in
    /// catalogue order).
    fn most_important(&self, set: &RoaringBitmap, take: usize, out: &mut RoaringBitmap) {
        if set.len() as usize * 16 >= self.documents {
            // A dense set: walk the catalogue in importance order.
            let mut taken = 0;
            for &document in &self.by_importance {
                if taken == take {
                    break;
                }
                if set.contains(document) {
                    out.insert(document);
                    taken += 1;
                }
            }
        } else {
            let mut documents: Vec<(std::cmp::Reverse<u32>, u32)> = set
                .iter()
                .map(|d| (std::cmp::Reverse(self.importance[d as usize]), d))
                .collect();
            if take < documents.len() {
                documents.select_nth_unstable(take);
                documents.truncate(take);
            }
            out.extend(documents.into_iter().map(|(_, d)| d));
        }
    }

    /// Fills in, for every word of the contenders in `ranked`, the posting entry of
    /// its best match — the first one found in plan order, as proximity reads it.
    fn fill_entries(&self, plan: &Plan, candidates: &mut [Candidate], ranked: &[(u64, u32, u32)]) {
        if plan.words.len() < 2 {
            return;
        }
        let set: RoaringBitmap = ranked.iter().map(|item| item.1).collect();
        let mut set = set;
        for item in ranked {
            candidates[item.2 as usize].filled = 0;
        }
        for unit in &plan.units {
            for derivation in &plan.derivations[unit.derivations.clone()] {
                let range = self.postings.entry_range(derivation.term);
                for field in 0..5u8 {
                    let found = self.postings.field_set(derivation.term, usize::from(field));
                    if found.is_empty() {
                        continue;
                    }
                    let code = (derivation.typos << 3) | field;
                    for document in found & &set {
                        let candidate = &mut candidates[document as usize];
                        let mut words = unit.words & candidate.words & !candidate.filled;
                        let mut entry = None;
                        while words != 0 {
                            let w = words.trailing_zeros() as usize;
                            words &= words - 1;
                            if candidate.codes[w] != code {
                                continue;
                            }
                            let entry = *entry.get_or_insert_with(|| {
                                self.postings.entry_of(range.clone(), document)
                            });
                            candidate.entries[w] = entry;
                            candidate.filled |= 1 << w;
                        }
                        if candidate.filled == candidate.words {
                            set.remove(document);
                        }
                    }
                }
            }
        }
    }

    /// Orders `ranked` so its first `end` items are the best, fully ranked: a
    /// selection on the cheap rules, then the costly ones (proximity) only for the
    /// items that can reach the window.
    pub(super) fn order_top(
        &self,
        plan: &Plan,
        candidates: &mut [Candidate],
        ranked: &mut [(u64, u32, u32)],
        end: usize,
    ) {
        let by_key = |a: &(u64, u32, u32), b: &(u64, u32, u32)| b.0.cmp(&a.0);
        let mut contenders = end;
        if end < ranked.len() {
            ranked.select_nth_unstable_by(end - 1, by_key);
            let boundary = ranked[end - 1].0;
            // Items tied with the last one on the cheap rules may still overtake it.
            let (_, rest) = ranked.split_at_mut(end);
            let mut tied = 0;
            for index in 0..rest.len() {
                if rest[index].0 == boundary {
                    rest.swap(index, tied);
                    tied += 1;
                }
            }
            contenders += tied;
        }
        let contenders = &mut ranked[..contenders];
        self.fill_entries(plan, candidates, contenders);
        for item in contenders.iter_mut() {
            let candidate = &candidates[item.2 as usize];
            let (_, _, _, exact) = summary(candidate);
            item.0 |= refine_key(
                self.proximity(candidate),
                exact,
                self.importance[item.1 as usize],
            );
        }
        let order = |a: &(u64, u32, u32), b: &(u64, u32, u32)| b.0.cmp(&a.0).then(a.1.cmp(&b.1));
        if end < contenders.len() {
            contenders.select_nth_unstable_by(end - 1, order);
        }
        contenders[..end].sort_unstable_by(order);
    }

    pub(super) fn ranking(&self, candidate: &Candidate, exact_name: bool) -> Ranking {
        let (words_matched, typos, field_rank, exact) = summary(candidate);
        let best = candidate
            .matched()
            .map(|w| candidate.codes[w] & 7)
            .min()
            .unwrap_or(4);
        Ranking {
            exact_name,
            words_matched,
            typos,
            field: Field::from_rank(best),
            field_rank,
            proximity: self.proximity(candidate),
            exact,
            importance: self.importance[candidate.document as usize],
        }
    }

    /// Sum over consecutive matched words of how far apart they are.
    fn proximity(&self, candidate: &Candidate) -> u8 {
        let mut total = 0;
        let mut previous: Option<usize> = None;
        for word in candidate.matched() {
            if let Some(before) = previous {
                total += self.pair_cost(candidate, before, word);
            }
            previous = Some(word);
        }
        total.min(u32::from(u8::MAX)) as u8
    }

    fn pair_cost(&self, candidate: &Candidate, before: usize, after: usize) -> u32 {
        let (first, second) = (candidate.entries[before], candidate.entries[after]);
        if first == second {
            return 0; // written together and matched as one word
        }
        let (first, second) = (
            self.postings.positions(first),
            self.postings.positions(second),
        );
        let mut best = FAR;
        for &a in first.iter().take(PROXIMITY_OCCURRENCES) {
            for &b in second.iter().take(PROXIMITY_OCCURRENCES) {
                if occurrence_field(a) != occurrence_field(b) {
                    continue;
                }
                if occurrence_field(a) == Field::Tags as u8 {
                    return 0; // tags are a set: any two are together
                }
                let (i, j) = (occurrence_position(a), occurrence_position(b));
                let cost = match j.cmp(&i) {
                    std::cmp::Ordering::Greater => j - i - 1,
                    std::cmp::Ordering::Equal => 0,
                    std::cmp::Ordering::Less => i - j + 1,
                };
                best = best.min(cost.min(NEAR_MAX));
                if best == 0 {
                    return 0;
                }
            }
        }
        best
    }
}

/// Splits `bucket` by the sum over the query words of a per-word value of their
/// best level (`value(level)`, at most `most`): the set at index `s` holds the
/// documents whose sum is `s`.
fn sums(
    words: &[WordSets],
    bucket: &RoaringBitmap,
    most: usize,
    value: impl Fn(usize) -> usize,
) -> Vec<RoaringBitmap> {
    let mut sums = vec![bucket.clone()];
    for word in words {
        let mut by_value = vec![RoaringBitmap::new(); most + 1];
        for (level, set) in word.levels.iter().enumerate() {
            by_value[value(level)] |= set;
        }
        let mut next = vec![RoaringBitmap::new(); sums.len() + most];
        for (sum, set) in sums.iter().enumerate() {
            if set.is_empty() {
                continue;
            }
            next[sum] |= set - &word.all;
            for (value, part) in by_value.iter().enumerate() {
                if !part.is_empty() {
                    next[sum + value] |= set & part;
                }
            }
        }
        sums = next;
    }
    sums
}

/// Takes the sets of `sums` best first into `chosen` while they fit in `need`;
/// answers the set the place `need` cuts through, unless it is small enough to
/// take whole (then `None`, as when everything fits).
fn cut(
    sums: Vec<RoaringBitmap>,
    chosen: &mut RoaringBitmap,
    need: &mut usize,
) -> Option<RoaringBitmap> {
    for set in sums {
        let size = set.len() as usize;
        if size <= *need || size <= SMALL_SET {
            *need = need.saturating_sub(size);
            *chosen |= set;
            if *need == 0 {
                return None;
            }
        } else {
            return Some(set);
        }
    }
    None
}

/// (words matched, typos, field rank, exact words) of a candidate.
pub(super) fn summary(candidate: &Candidate) -> (u8, u8, u8, u8) {
    let mut typos = 0;
    let mut field_rank = 0;
    for word in candidate.matched() {
        typos += candidate.codes[word] >> 3;
        field_rank += candidate.codes[word] & 7;
    }
    (
        candidate.words.count_ones() as u8,
        typos,
        field_rank,
        (candidate.exact & candidate.words).count_ones() as u8,
    )
}
