//! A streamed shard on disk: everything [`Stream`] holds, so that `alignsim merge` can
//! rebuild the whole run's reduction from N shards without reading their trials.
//!
//! - `stream.json`: exact counts, payback months, the sketches' observed bounds;
//! - `sketches.parquet`: every sketch's non-empty buckets (`sketch`, `key`, `count`);
//! - `blocks.parquet`: each block's moments, one row per block, so the merge combines the
//!   blocks in trial order exactly as a single run does;
//! - `head.parquet`: the shard's rows among the run's first [`super::HEAD_TRIALS`] trials.

use std::fs::File;
use std::path::Path;

use anyhow::{Context, Result, bail};
use polars::prelude::*;
use serde::{Deserialize, Serialize};

use super::Stream;
use crate::output;
use crate::stats::{Moments, Sketch, Tally};

const STATE_FILE: &str = "stream.json";
const SKETCH_FILE: &str = "sketches.parquet";
const BLOCK_FILE: &str = "blocks.parquet";
const HEAD_FILE: &str = "head.parquet";

#[derive(Debug, Serialize, Deserialize)]
struct Saved {
    /// The shard's exact counts.
    tally: Tally,
    /// Each sketch's observed minimum and maximum, as `f64` bit patterns (exact).
    bounds: Vec<[u64; 2]>,
    /// Moments per block.
    stats: usize,
}

impl Stream<'_> {
    /// Every sketch, in a fixed order: each arm's ROI, NPV and net, then the monthly ones.
    fn sketches(&self) -> Vec<&Sketch> {
        let mut out: Vec<&Sketch> = self.sketched.headline.iter().flatten().collect();
        out.extend(&self.months);
        out
    }

    fn sketches_mut(&mut self) -> Vec<&mut Sketch> {
        let mut out: Vec<&mut Sketch> = self.sketched.headline.iter_mut().flatten().collect();
        out.extend(self.months.iter_mut());
        out
    }

    /// The fixed-point monthly sums and clamp counts (what a shard's `shard.json` records).
    pub fn totals(&self) -> (Vec<i128>, Vec<i128>, Vec<u64>) {
        (
            self.adoption_sum.clone(),
            self.revenue_base_sum.clone(),
            self.clamped.clone(),
        )
    }

    /// Finishes the shard's `trials.parquet` and writes its state into `dir`.
    ///
    /// # Errors
    /// A write error, now or met while streaming rows.
    pub fn save(mut self, dir: &Path) -> Result<()> {
        self.sketched.close_block();
        self.sketch_pending();
        self.close_rows()?.join()?;
        let saved = Saved {
            tally: self.tally.clone(),
            bounds: self
                .sketches()
                .iter()
                .map(|s| {
                    let (lo, hi) = s.bounds();
                    [lo.to_bits(), hi.to_bits()]
                })
                .collect(),
            stats: self.sketched.total.len(),
        };
        output::write_json(&dir.join(STATE_FILE), &saved)?;

        let (mut ids, mut keys, mut counts) = (Vec::new(), Vec::new(), Vec::new());
        for (i, s) in self.sketches().iter().enumerate() {
            for (k, c) in s.entries() {
                ids.push(i as u32);
                keys.push(k);
                counts.push(c);
            }
        }
        let mut sketches = DataFrame::new(
            ids.len(),
            vec![
                Column::new("sketch".into(), ids),
                Column::new("key".into(), keys),
                Column::new("count".into(), counts),
            ],
        )?;
        output::write_parquet(&dir.join(SKETCH_FILE), &mut sketches)?;

        let blocks = self.sketched.blocks.take().unwrap_or_default();
        let mut cols = vec![Column::new(
            "block".into(),
            blocks.iter().map(|b| b.0).collect::<Vec<u64>>(),
        )];
        for s in 0..self.sketched.total.len() {
            let stat = |f: fn(&Moments) -> f64| -> Vec<f64> {
                blocks.iter().map(|b| f(&b.1[s])).collect()
            };
            cols.push(Column::new(
                format!("n{s}").into(),
                blocks.iter().map(|b| b.1[s].n).collect::<Vec<u64>>(),
            ));
            cols.push(Column::new(format!("mean{s}").into(), stat(|m| m.mean)));
            cols.push(Column::new(format!("m2_{s}").into(), stat(|m| m.m2)));
        }
        let mut blocks = DataFrame::new(blocks.len(), cols)?;
        output::write_parquet(&dir.join(BLOCK_FILE), &mut blocks)?;

        let mut head = self.head.trials_frame()?;
        output::write_parquet(&dir.join(HEAD_FILE), &mut head)
    }

    /// Adds a shard written by [`Stream::save`], with its monthly sums and clamp counts;
    /// shards must be absorbed in trial order.
    ///
    /// # Errors
    /// Missing or damaged files, or a shard of another shape of run.
    pub fn absorb(&mut self, dir: &Path, totals: (&[i128], &[i128], &[u64], u64)) -> Result<()> {
        let damaged = || format!("{} is damaged or not a streamed shard", dir.display());
        let text = std::fs::read_to_string(dir.join(STATE_FILE)).with_context(damaged)?;
        let saved: Saved = serde_json::from_str(&text).with_context(damaged)?;
        let shape = |t: &Tally| (t.arms.len(), t.pairs.len());
        if shape(&saved.tally) != shape(&self.tally)
            || saved.bounds.len() != self.sketches().len()
            || saved.stats != self.sketched.total.len()
            || saved.tally.arms.iter().any(|a| {
                a.payback.len() != self.model.horizon + 2
                    || a.targets.len() != self.model.targets.len()
            })
        {
            bail!("{}: its shape does not match the scenario", damaged());
        }
        self.tally.merge(&saved.tally);
        self.absorb_sketches(dir, &saved.bounds)?;
        self.absorb_blocks(dir, saved.stats)?;
        let head = read(&dir.join(HEAD_FILE))?;
        if head.height() > 0 {
            self.extra_head.push(head);
        }
        self.absorb_totals(totals)
            .with_context(|| format!("{}: its shape does not match the scenario", damaged()))
    }

    /// Merges the shard's sketches (`sketches.parquet`, with their observed `bounds`).
    fn absorb_sketches(&mut self, dir: &Path, bounds: &[[u64; 2]]) -> Result<()> {
        let damaged = || format!("{} is damaged or not a streamed shard", dir.display());
        let sketches = read(&dir.join(SKETCH_FILE))?;
        let ids = sketches.column("sketch")?.u32()?;
        let keys = sketches.column("key")?.i64()?;
        let counts = sketches.column("count")?.u64()?;
        let mut entries: Vec<Vec<crate::stats::sketch::Entry>> = vec![Vec::new(); bounds.len()];
        for ((id, key), count) in ids.iter().zip(keys.iter()).zip(counts.iter()) {
            let (Some(id), Some(key), Some(count)) = (id, key, count) else {
                bail!("{}: a sketch entry is empty", damaged());
            };
            entries
                .get_mut(id as usize)
                .with_context(damaged)?
                .push((key, count));
        }
        for ((s, e), b) in self.sketches_mut().into_iter().zip(&entries).zip(bounds) {
            let bounds = (f64::from_bits(b[0]), f64::from_bits(b[1]));
            let part = Sketch::from_entries(s.bits(), e, bounds)
                .map_err(|m| anyhow::anyhow!("{}: {m}", damaged()))?;
            s.merge(&part);
        }
        Ok(())
    }

    /// Merges the shard's block moments (`blocks.parquet`, `stats` moments a block) in
    /// trial order, as a single run combines its blocks.
    fn absorb_blocks(&mut self, dir: &Path, stats: usize) -> Result<()> {
        let damaged = || format!("{} is damaged or not a streamed shard", dir.display());
        let blocks = read(&dir.join(BLOCK_FILE))?;
        let columns = (0..stats)
            .map(|s| {
                Ok((
                    blocks.column(&format!("n{s}"))?.u64()?.clone(),
                    blocks.column(&format!("mean{s}"))?.f64()?.clone(),
                    blocks.column(&format!("m2_{s}"))?.f64()?.clone(),
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        for row in 0..blocks.height() {
            for (t, (n, mean, m2)) in self.sketched.total.iter_mut().zip(&columns) {
                let m = Moments {
                    n: n.get(row).with_context(damaged)?,
                    mean: mean.get(row).with_context(damaged)?,
                    m2: m2.get(row).with_context(damaged)?,
                };
                t.merge(&m);
            }
        }
        Ok(())
    }

    /// Adds the shard's fixed-point monthly sums, clamp counts and trial count.
    fn absorb_totals(&mut self, totals: (&[i128], &[i128], &[u64], u64)) -> Result<()> {
        let (adoption, revenue, clamped, n) = totals;
        if adoption.len() != self.adoption_sum.len()
            || revenue.len() != self.revenue_base_sum.len()
            || clamped.len() != self.clamped.len()
        {
            bail!("monthly sums of another length");
        }
        for (a, x) in self.adoption_sum.iter_mut().zip(adoption) {
            *a += x;
        }
        for (a, x) in self.revenue_base_sum.iter_mut().zip(revenue) {
            *a += x;
        }
        for (a, x) in self.clamped.iter_mut().zip(clamped) {
            *a += x;
        }
        self.n += n;
        Ok(())
    }
}

fn read(path: &Path) -> Result<DataFrame> {
    let file = File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    Context::with_context(ParquetReader::new(file).finish(), || {
        format!("cannot read {}", path.display())
    })
}

/// Whether a shard folder holds a streamed shard's state.
pub fn is_streamed(dir: &Path) -> bool {
    dir.join(STATE_FILE).exists()
}
