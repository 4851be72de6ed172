//! A brute-force model of [`Index`] for model-based tests (`tests/model.rs`) and the
//! `operations` fuzz target (`fuzz/`), which includes this file by path.
//!
//! The model keeps every live vector in a map and answers a search by scoring all of them
//! in f64. [`Checker::apply`] runs one operation on both and reports the first divergence:
//! - an add or delete is accepted by both or rejected by both, and a rejected one leaves the
//!   index's bytes unchanged;
//! - an exact search returns the model's best `k` (up to float ties, see
//!   [`Checker::check_hits`]) with the model's scores;
//! - a rescored search returns true scores in order; its recall is summed in [`Recall`];
//! - a round trip through `to_bytes` / `from_bytes` answers every probe identically and
//!   writes the same bytes again.

#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::collections::{BTreeMap, HashSet};

use quiver::{Index, IndexParams, Metric, SearchOptions};

/// One operation on the index.
#[derive(Debug, Clone)]
pub enum Op {
    /// Upsert `ids` with `vectors` (`[n][dimensions]`) and optional metadata.
    Add {
        /// The ids, one per row.
        ids: Vec<String>,
        /// `[ids.len()][dimensions]`, possibly malformed on purpose.
        vectors: Vec<f32>,
        /// JSON texts, one per id.
        metadata: Option<Vec<Option<String>>>,
    },
    /// Delete these ids (unknown ones are ignored).
    Delete(Vec<String>),
    /// Search with these options.
    Search {
        /// The query, possibly malformed on purpose.
        query: Vec<f32>,
        /// The options.
        options: SearchOptions,
    },
    /// Replace the index with `Index::from_bytes(index.to_bytes())`.
    RoundTrip,
}

/// Hits of rescored searches that the exact search also returns.
#[derive(Debug, Default, Clone, Copy)]
pub struct Recall {
    /// Hits shared with the exact answer.
    pub found: usize,
    /// Hits wanted.
    pub wanted: usize,
}

impl Recall {
    /// found / wanted (1 when nothing was wanted).
    pub fn ratio(&self) -> f64 {
        if self.wanted == 0 {
            1.0
        } else {
            self.found as f64 / self.wanted as f64
        }
    }
}

/// A live row of the model: the vector as the index should store it, and its metadata.
#[derive(Debug, Clone)]
struct Row {
    vector: Vec<f32>,
    metadata: Option<String>,
}

/// The index under test and its model.
#[derive(Debug)]
pub struct Checker {
    /// The index under test.
    pub index: Index,
    params: IndexParams,
    rows: BTreeMap<String, Row>,
    /// Recall of the rescored (non-exact) searches so far.
    pub recall: Recall,
}

/// Relative tolerance between f32 kernel scores and the model's f64 scores.
const TOLERANCE: f64 = 1e-4;

impl Checker {
    /// An empty in-memory index and model.
    pub fn new(params: IndexParams) -> Self {
        Checker {
            index: Index::new(params),
            params,
            rows: BTreeMap::new(),
            recall: Recall::default(),
        }
    }

    /// Runs `op` on the index and the model; `Err` describes the first divergence.
    pub fn apply(&mut self, op: &Op) -> Result<(), String> {
        match op {
            Op::Add {
                ids,
                vectors,
                metadata,
            } => self.add(ids, vectors, metadata.as_deref()),
            Op::Delete(ids) => {
                let removed = self.index.delete(ids);
                let expected = ids.iter().filter(|id| self.rows.remove(*id).is_some());
                let expected = expected.count();
                if removed.len() != expected {
                    return Err(format!(
                        "delete removed {}, model {expected}",
                        removed.len()
                    ));
                }
                self.check_size()
            }
            Op::Search { query, options } => self.search(query, options),
            Op::RoundTrip => self.round_trip(),
        }
    }

    fn add(
        &mut self,
        ids: &[String],
        vectors: &[f32],
        metadata: Option<&[Option<String>]>,
    ) -> Result<(), String> {
        let expected = self.expected_rows(ids, vectors, metadata);
        let before = expected.is_none().then(|| self.index.to_bytes());
        match (self.index.add(ids, vectors, metadata), expected) {
            (Ok(()), Some(rows)) => {
                self.rows.extend(rows);
                self.check_size()?;
                self.check_stored(ids)
            }
            (Err(error), None) => {
                if before.as_deref() != Some(self.index.to_bytes().as_slice()) {
                    return Err(format!("a rejected add ({error}) changed the index"));
                }
                if error.to_string().len() < 20 {
                    return Err(format!("an unhelpful error message: {error:?}"));
                }
                Ok(())
            }
            (Ok(()), None) => Err("the index accepted an add the model rejects".into()),
            (Err(error), Some(_)) => Err(format!("the index rejected a valid add: {error}")),
        }
    }

    /// The rows a valid add stores, or `None` if the add must be rejected.
    fn expected_rows(
        &self,
        ids: &[String],
        vectors: &[f32],
        metadata: Option<&[Option<String>]>,
    ) -> Option<Vec<(String, Row)>> {
        let d = self.params.dimensions;
        let distinct: HashSet<&String> = ids.iter().collect();
        let ids_ok =
            distinct.len() == ids.len() && ids.iter().all(|id| !id.is_empty() && id.len() < 65_535);
        if !ids_ok
            || vectors.len() != ids.len() * d
            || metadata.is_some_and(|m| m.len() != ids.len())
        {
            return None;
        }
        let mut rows = Vec::with_capacity(ids.len());
        for (i, (id, row)) in ids.iter().zip(vectors.chunks_exact(d)).enumerate() {
            if !self.acceptable(row) {
                return None;
            }
            let vector = if self.params.metric == Metric::Cosine {
                let norm = row
                    .iter()
                    .map(|&v| f64::from(v).powi(2))
                    .sum::<f64>()
                    .sqrt();
                if norm == 0.0 {
                    return None;
                }
                row.iter().map(|&v| (f64::from(v) / norm) as f32).collect()
            } else {
                row.to_vec()
            };
            let metadata = metadata.and_then(|m| m[i].clone());
            rows.push((id.clone(), Row { vector, metadata }));
        }
        Some(rows)
    }

    /// Finite values and, under dot and l2, a sum of squares (in f32, in order) that does
    /// not overflow.
    fn acceptable(&self, row: &[f32]) -> bool {
        row.iter().all(|v| v.is_finite())
            && (self.params.metric == Metric::Cosine
                || row.iter().map(|v| v * v).sum::<f32>().is_finite())
    }

    fn check_size(&self) -> Result<(), String> {
        if self.index.len() != self.rows.len() {
            return Err(format!(
                "size {}, model {}",
                self.index.len(),
                self.rows.len()
            ));
        }
        Ok(())
    }

    /// `get` returns what the model holds for each of `ids`.
    fn check_stored(&self, ids: &[String]) -> Result<(), String> {
        for id in ids {
            let row = &self.rows[id];
            let Some((vector, metadata)) = self.index.get(id) else {
                return Err(format!("get({id:?}) found nothing"));
            };
            let close = vector.is_some_and(|v| {
                v.len() == row.vector.len()
                    && v.iter()
                        .zip(&row.vector)
                        .all(|(a, b)| (a - b).abs() <= 1e-6)
            });
            if !close || metadata != row.metadata.as_deref() {
                return Err(format!("get({id:?}) differs from what was added"));
            }
        }
        Ok(())
    }

    /// The model's exact score of `vector` for `query` (normalised for cosine).
    fn score(&self, query: &[f64], vector: &[f32]) -> f64 {
        let pairs = query.iter().zip(vector).map(|(&q, &x)| (q, f64::from(x)));
        match self.params.metric {
            Metric::Cosine | Metric::Dot => pairs.map(|(q, x)| q * x).sum(),
            Metric::L2 => pairs.map(|(q, x)| (q - x).powi(2)).sum::<f64>().sqrt(),
        }
    }

    /// Higher is better on this scale for every metric.
    fn key(&self, score: f64) -> f64 {
        if self.params.metric == Metric::L2 {
            -score
        } else {
            score
        }
    }

    fn search(&mut self, query: &[f32], options: &SearchOptions) -> Result<(), String> {
        let d = self.params.dimensions;
        let valid_query = query.len() == d
            && self.acceptable(query)
            && (self.params.metric != Metric::Cosine || query.iter().any(|&v| v != 0.0));
        let valid_options = options.k >= 1
            && options
                .oversampling
                .is_none_or(|o| o.is_finite() && o >= 1.0);
        let hits = match (
            self.index.search(query, options),
            valid_query && valid_options,
        ) {
            (Ok(hits), true) => hits,
            (Err(_), false) => return Ok(()),
            (Ok(_), false) => return Err("the index answered an invalid search".into()),
            (Err(error), true) => return Err(format!("a valid search failed: {error}")),
        };
        let hits: Vec<(String, f32, Option<String>)> = hits
            .into_iter()
            .map(|h| (h.id.to_owned(), h.score, h.metadata.map(str::to_owned)))
            .collect();
        self.check_hits(query, options, &hits)
    }

    /// Checks a search's hits against the model. With `exact` or rescoring, every score is
    /// the true one; an exact search returns only hits no worse than the model's k-th best
    /// (so ties within [`TOLERANCE`] may come in any order).
    fn check_hits(
        &mut self,
        query: &[f32],
        options: &SearchOptions,
        hits: &[(String, f32, Option<String>)],
    ) -> Result<(), String> {
        let mut q: Vec<f64> = query.iter().map(|&v| f64::from(v)).collect();
        if self.params.metric == Metric::Cosine {
            let norm = q.iter().map(|v| v * v).sum::<f64>().sqrt();
            q.iter_mut().for_each(|v| *v /= norm);
        }
        let k = options.k.min(self.rows.len());
        if hits.len() != k {
            return Err(format!("{} hits, expected {k}", hits.len()));
        }
        let mut keys: Vec<f64> = self
            .rows
            .values()
            .map(|r| self.key(self.score(&q, &r.vector)))
            .collect();
        keys.sort_by(|a, b| b.total_cmp(a));
        let kth = keys
            .get(k.wrapping_sub(1))
            .copied()
            .unwrap_or(f64::INFINITY);
        // Before the quantizer is fitted every search is exact.
        let exact_search = options.exact || !self.index.is_quantized();
        let true_scores = exact_search || options.rescore;
        let mut seen = HashSet::new();
        let mut previous = f64::INFINITY;
        let mut found = 0;
        for (id, score, metadata) in hits {
            let Some(row) = self.rows.get(id) else {
                return Err(format!("hit {id:?} is not live"));
            };
            if !seen.insert(id) {
                return Err(format!("hit {id:?} is returned twice"));
            }
            if metadata != &row.metadata {
                return Err(format!("hit {id:?} carries the wrong metadata"));
            }
            let key = self.key(f64::from(*score));
            if key > previous + TOLERANCE * (1.0 + previous.abs()) {
                return Err(format!("hits are not sorted at {id:?}"));
            }
            previous = key;
            let truth = self.key(self.score(&q, &row.vector));
            if true_scores && (truth - key).abs() > TOLERANCE * (1.0 + truth.abs()) {
                return Err(format!("hit {id:?} scores {score}, exactly {truth}"));
            }
            let in_top = truth >= kth - TOLERANCE * (1.0 + kth.abs());
            if exact_search && !in_top {
                return Err(format!(
                    "exact hit {id:?} ({truth}) is worse than the k-th ({kth})"
                ));
            }
            found += usize::from(in_top);
        }
        if !exact_search && options.rescore {
            self.recall.found += found;
            self.recall.wanted += k;
        }
        Ok(())
    }

    /// Replaces the index with its own bytes, read back; every probe must answer the same.
    fn round_trip(&mut self) -> Result<(), String> {
        let bytes = self.index.to_bytes();
        let loaded = Index::from_bytes(&bytes).map_err(|e| format!("from_bytes failed: {e}"))?;
        if loaded.to_bytes() != bytes {
            return Err("the loaded index writes different bytes".into());
        }
        let probes: Vec<Vec<f32>> = self
            .rows
            .values()
            .take(3)
            .map(|r| r.vector.clone())
            .collect();
        for query in &probes {
            for (exact, rescore) in [(true, true), (false, true), (false, false)] {
                let options = SearchOptions {
                    k: 5,
                    exact,
                    rescore,
                    ..SearchOptions::default()
                };
                let before = self
                    .index
                    .search(query, &options)
                    .map_err(|e| e.to_string())?;
                let after = loaded.search(query, &options).map_err(|e| e.to_string())?;
                if before != after {
                    return Err(format!(
                        "after a round trip {options:?} answers differently"
                    ));
                }
            }
        }
        self.index = loaded;
        Ok(())
    }
}
