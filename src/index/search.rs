//! The search path, the same whichever [`Originals`] hold the vectors: check the query,
//! scan the codes for `ceil(k × oversampling)` candidates ([`Index::plan_search`]), fetch
//! the candidates' originals from the store, re-score them exactly, and answer with the
//! best `k` and the store's view of their metadata ([`Index::search_with`]).

use super::Index;
use super::rows::check_vector;
use crate::error::{Error, Result};
use crate::fields::Filter;
use crate::quant::Scanned;
use crate::search::rescore::{exact_scan, rescore};
use crate::search::topk::{Candidate, TopK, best_first};
use crate::sort::heapsort_by;
use crate::store::{Lookup, Originals};

/// Options of one search.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SearchOptions {
    /// Number of hits wanted (≥ 1).
    pub k: usize,
    /// Candidates taken from the codes: `ceil(k × oversampling)`. For example, with
    /// `k = 10` and `oversampling = 2.4`, the 24 best codes are re-scored exactly.
    /// `None` uses the quantization's default ([`crate::Quantization::default_oversampling`]).
    pub oversampling: Option<f32>,
    /// Re-score candidates with the originals (default true).
    pub rescore: bool,
    /// Ignore the codes and scan the originals exactly (for evaluation).
    pub exact: bool,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions {
            k: 10,
            oversampling: None,
            rescore: true,
            exact: false,
        }
    }
}

/// One search result.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit<'a> {
    /// The vector's id.
    pub id: &'a str,
    /// Cosine similarity / inner product (higher is better) or Euclidean distance (lower is
    /// better); without rescoring, the codes' estimate of it.
    pub score: f32,
    /// The metadata's JSON text, if any was stored.
    pub metadata: Option<&'a str>,
}

/// What a search still needs, from [`Index::plan_search`].
#[derive(Debug, Clone, PartialEq)]
pub enum SearchPlan {
    /// Score these live vectors exactly: every one (no codes yet, or `exact: true`), or
    /// those a filter selects when they are no more than the candidates a scan would take.
    Exact {
        /// The checked (and, for cosine, normalised) query.
        query: Vec<f32>,
        /// The live slots to score, ascending.
        slots: Vec<u32>,
        /// Hits wanted.
        k: usize,
    },
    /// Re-score these candidates with their originals and keep the best `k`.
    Rescore {
        /// The checked (and, for cosine, normalised) query.
        query: Vec<f32>,
        /// Candidates from the codes, best first.
        candidates: Vec<Candidate>,
        /// Hits wanted.
        k: usize,
    },
    /// The answer, from the codes alone.
    Done(Vec<Candidate>),
}

/// How long a search's phases took, in the unit of the clock it was given (milliseconds
/// in the JS binding).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Timings {
    /// Checking the query and scanning the codes.
    pub scan: f64,
    /// Reading originals from a store outside wasm memory (0 for a store in memory; for an
    /// exact search there, the reads and the scoring, which interleave).
    pub read: f64,
    /// Re-scoring the candidates with their originals (for an exact search in memory, the
    /// exact scan).
    pub rescore: f64,
    /// Slots whose originals (and metadata) were fetched: the hits without rescoring; with
    /// it, the candidates (after refinement, only those that can still reach the top k);
    /// every live vector for an exact search.
    pub reads: usize,
}

/// What a search found: the best slots, best first, with their keys (see
/// [`crate::Metric::score_from_key`]), and the store's view holding their metadata.
pub struct Answer<'a> {
    /// The hits' slots and keys, best first.
    pub found: Vec<Candidate>,
    lookup: Box<dyn Lookup + 'a>,
    /// How long each phase took.
    pub timings: Timings,
}

impl Answer<'_> {
    /// The hits, best first, with ids from `index` (the index that answered).
    pub fn hits<'s>(&'s self, index: &'s Index) -> impl ExactSizeIterator<Item = Hit<'s>> {
        let metric = index.params.metric;
        self.found.iter().map(move |c| Hit {
            id: index.id(c.slot).unwrap_or_default(),
            score: metric.score_from_key(c.key),
            metadata: self.lookup.metadata(c.slot),
        })
    }
}

impl Index {
    /// [`Index::search_with`], giving the hits to `f` (they borrow the store's answer).
    pub async fn search_then<R>(
        &self,
        query: &[f32],
        options: &SearchOptions,
        filter: Option<&Filter>,
        originals: &dyn Originals,
        clock: &dyn Fn() -> f64,
        f: impl for<'h> FnOnce(Vec<Hit<'h>>) -> R,
    ) -> Result<(R, Timings)> {
        let answer = (self.search_with(query, options, filter, originals, clock)).await?;
        Ok((f(answer.hits(self).collect()), answer.timings))
    }

    /// [`Index::search_then`] with the index's own originals (in memory, or none).
    pub async fn search_home<R>(
        &self,
        query: &[f32],
        options: &SearchOptions,
        filter: Option<&Filter>,
        clock: &dyn Fn() -> f64,
        f: impl for<'h> FnOnce(Vec<Hit<'h>>) -> R,
    ) -> Result<(R, Timings)> {
        (self.search_then(query, options, filter, &self.home, clock, f)).await
    }

    /// The `k` best vectors for `query` among those `filter` selects (all without one),
    /// with the originals and metadata in `originals`: the one search path. `clock` times
    /// the phases (see [`Timings`]).
    pub async fn search_with<'a>(
        &self,
        query: &[f32],
        options: &SearchOptions,
        filter: Option<&Filter>,
        originals: &'a dyn Originals,
        clock: &dyn Fn() -> f64,
    ) -> Result<Answer<'a>> {
        let started = clock();
        let mut options = *options;
        if !originals.keeps_vectors() {
            if options.exact {
                return Err(Error::NoOriginals {
                    action: "search exactly",
                });
            }
            options.rescore = false;
        }
        // Reading an original from memory costs less than refining its candidate (measured:
        // `npm run bench:ab`, 8% slower searches with refinement in memory), so there the
        // candidates are all re-scored; from a store outside memory each read costs far more.
        let plan = self.plan_search(query, &options, filter, !originals.in_wasm_memory())?;
        let scanned = clock();
        let metric = self.params.metric;
        let reads;
        let (found, lookup, read) = match plan {
            SearchPlan::Done(found) => {
                reads = found.len();
                let lookup = originals.fetch(&slots_of(&found)).await?;
                (found, lookup, clock())
            }
            SearchPlan::Rescore {
                query,
                candidates,
                k,
            } => {
                reads = candidates.len();
                let lookup = originals.fetch(&slots_of(&candidates)).await?;
                let read = clock();
                let original = |slot| lookup.vector(slot).unwrap_or(&[]);
                (
                    rescore(&query, &candidates, metric, &original, k),
                    lookup,
                    read,
                )
            }
            SearchPlan::Exact { query, slots, k } => {
                let live = slots;
                reads = live.len();
                let mut best = Vec::new();
                originals
                    .scan(&live, &mut |chunk, lookup| {
                        let original = |slot| lookup.vector(slot).unwrap_or(&[]);
                        best.extend(exact_scan(
                            &query,
                            chunk.iter().copied(),
                            metric,
                            &original,
                            k,
                        ));
                    })
                    .await?;
                // `best_first` is a total order (ties broken by slot): unstable equals stable.
                heapsort_by(&mut best, best_first);
                best.truncate(k);
                let lookup = originals.fetch(&slots_of(&best)).await?;
                (best, lookup, clock())
            }
        };
        let end = clock();
        // A store in memory reads nothing: its phase is scoring alone.
        let (read, rescore) = if originals.in_wasm_memory() {
            (0.0, end - scanned)
        } else {
            (read - scanned, end - read)
        };
        Ok(Answer {
            found,
            lookup,
            timings: Timings {
                scan: scanned - started,
                read,
                rescore,
                reads,
            },
        })
    }

    /// Phase one of a search: checks the query, options and filter, and scans the codes.
    /// With `costly_reads`, candidates are refined and pruned to those that can still reach
    /// the top k (where the encoding can; see [`crate::quant::Quantizer::refine`]); without
    /// rescoring they are always refined, as the refined estimate is the answer.
    ///
    /// A filter is planned by how many live vectors it selects, counted exactly from its
    /// mask ([`Filter::mask`]): when reading originals is cheap and they are few (no more
    /// than the candidates a scan would take, or a 32nd of the index), they are scored
    /// exactly (the answer is exact, and no code is scanned); otherwise the scan takes the
    /// mask in place of the live slots, so the candidates are the best selected vectors by
    /// the codes, as many as unfiltered.
    pub fn plan_search(
        &self,
        query: &[f32],
        options: &SearchOptions,
        filter: Option<&Filter>,
        costly_reads: bool,
    ) -> Result<SearchPlan> {
        let d = self.params.dimensions;
        if query.len() != d {
            return Err(Error::DimensionMismatch {
                position: 0,
                expected: d,
                received: query.len(),
            });
        }
        if options.k == 0 {
            return Err(Error::InvalidOption {
                name: "k",
                reason: "got 0; expected an integer ≥ 1".into(),
            });
        }
        let oversampling = options
            .oversampling
            .unwrap_or_else(|| self.params.quantization.default_oversampling());
        if !(oversampling.is_finite() && oversampling >= 1.0) {
            return Err(Error::InvalidOption {
                name: "oversampling",
                reason: format!("got {oversampling}; expected a finite number ≥ 1"),
            });
        }
        let mut query = query.to_vec();
        check_vector(&mut query, 0, self.params.metric)?;
        let mask = match filter {
            Some(filter) => Some(self.filter_mask(filter)?),
            None => None,
        };
        let live = mask.as_deref().unwrap_or(&self.live);
        let selected = match &mask {
            Some(mask) => mask.iter().filter(|&&m| m).count(),
            None => self.len(),
        };
        // No search returns more than the index holds: bounding k and the candidate count
        // by the size keeps a huge k from allocating a huge selection buffer.
        let k = options.k.min(selected);
        if k == 0 {
            return Ok(SearchPlan::Done(Vec::new()));
        }
        let wanted = ((k as f64) * f64::from(oversampling)).ceil() as usize;
        // Scoring a selected original exactly costs about what scanning 32 binary codes does
        // (384 f32 products against 48 bytes of bits; measured: at 100k vectors, 1% selected
        // took 2.4 ms by the masked scan against 1.6 ms unfiltered, in Chromium). So in memory
        // a filter that selects at most a 32nd of the vectors, or no more than the candidates
        // a scan would take, is answered exactly from the selected originals.
        let few = mask.is_some()
            && options.rescore
            && !costly_reads
            && (selected <= wanted || selected.saturating_mul(32) <= self.len());
        Ok(match (&self.codes, options.exact || few) {
            (Some(codes), false) => {
                let Scanned {
                    mut candidates,
                    bounds,
                } = codes.best(
                    &query,
                    live,
                    wanted.clamp(k, selected),
                    costly_reads || !options.rescore,
                );
                if let (true, Some(bounds)) = (options.rescore, bounds) {
                    candidates = within_reach(candidates, &bounds, k);
                }
                if options.rescore {
                    SearchPlan::Rescore {
                        query,
                        candidates,
                        k,
                    }
                } else {
                    candidates.truncate(k);
                    SearchPlan::Done(candidates)
                }
            }
            _ => SearchPlan::Exact {
                query,
                slots: (0..live.len() as u32)
                    .filter(|&s| live[s as usize])
                    .collect(),
                k,
            },
        })
    }
}

/// The candidates (best first by estimate) that can still be among the best `k` by their
/// bounds: those whose upper bound `key + bound` reaches the `k`-th best lower bound
/// `key − bound`. Every other candidate has `k` candidates surely above it, so reading its
/// original could not change the answer. Kept best first.
fn within_reach(candidates: Vec<Candidate>, bounds: &[f32], k: usize) -> Vec<Candidate> {
    if candidates.len() <= k {
        return candidates;
    }
    // The k-th best lower bound, by the top-k selection the scans use.
    let mut lower = TopK::new(k);
    for (c, b) in candidates.iter().zip(bounds) {
        lower.push(c.key - b, c.slot);
    }
    let kth = lower.into_sorted()[k - 1].key;
    (candidates.into_iter().zip(bounds))
        .filter(|(c, b)| c.key + **b >= kth)
        .map(|(c, _)| c)
        .collect()
}

/// The slots of `candidates`.
fn slots_of(candidates: &[Candidate]) -> Vec<u32> {
    candidates.iter().map(|c| c.slot).collect()
}
