//! The bounded-memory path for big runs. Instead of holding every trial in a Polars frame
//! (what [`crate::aggregate::Accumulator`] does, exact but about 1 KB per trial), each batch
//! is reduced as it arrives:
//!
//! - means, standard deviations and shares by exact counts and by Welford moments summed in
//!   fixed blocks of [`BLOCK`] trials, blocks combined in trial order, so the result does
//!   not depend on the thread count, the batch size or where shards were cut;
//! - percentiles, VaR, CVaR and the monthly bands from [`Sketch`]es, mergeable histograms
//!   whose bucket width bounds the error (stated in `summary.json`);
//! - the median payback month exactly, from a count per month;
//! - per-trial rows streamed to `trials.parquet` in row groups;
//! - the first [`HEAD_TRIALS`] trials kept whole, for the sensitivity measures and the
//!   charts that plot trials.
//!
//! Memory is then bounded by the sketches (a few MB per arm) and the head, whatever the
//! number of trials.

pub mod state;

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use polars::prelude::DataFrame;

use crate::aggregate::{self, Accumulator, Frames};
use crate::engine::{Batch, Model};
use crate::scenario::Scenario;
pub use crate::stats::sketched::BLOCK;
use crate::stats::sketched::Sketched;
use crate::stats::{BANDS, MONTHLY_BITS, Quantiles, Sketch, Summary, Tally};

/// Trials kept whole for the sensitivity measures and the per-trial charts.
pub const HEAD_TRIALS: u64 = crate::sensitivity::RUN_TRIALS_CAP as u64;
/// Batches buffered before their values go into the sketches.
const PENDING: usize = 16;
/// Rows per row group of a streamed `trials.parquet`.
pub const ROW_GROUP: usize = 1 << 18;

/// Which rows of a streamed run go to `trials.parquet`.
pub enum TrialsOut {
    /// None (`--no-trials`).
    Skip,
    /// Every row, to this file.
    File(PathBuf),
}

/// The streaming reduction of a run's batches (see the module documentation).
pub struct Stream<'m> {
    model: &'m Model,
    tally: Tally,
    sketched: Sketched,
    /// Cumulative cash flow sketches, `arm * (H + 1) + month`.
    months: Vec<Sketch>,
    adoption_sum: Vec<i128>,
    revenue_base_sum: Vec<i128>,
    clamped: Vec<u64>,
    n: u64,
    head: Accumulator<'m>,
    rows: Option<RowWriter<'m>>,
    /// The first write error; later batches are not written.
    error: Option<anyhow::Error>,
    /// Batches whose values are not yet in the sketches (at most [`PENDING`]).
    pending: Vec<Batch>,
    /// Head rows of absorbed shards, in trial order.
    extra_head: Vec<DataFrame>,
}

impl<'m> Stream<'m> {
    /// A streaming reduction writing every row to `trials` and keeping every block's
    /// moments when `keep_blocks` (for a shard).
    pub fn new(model: &'m Model, has_kpi: bool, trials: TrialsOut, keep_blocks: bool) -> Self {
        let (n_arms, h1) = (model.n_arms(), model.horizon + 1);
        Stream {
            model,
            tally: Tally::new(n_arms, model.horizon, &model.targets)
                .sliced(model.sampling.slices()),
            sketched: Sketched::new(n_arms, has_kpi, keep_blocks),
            months: (0..n_arms * h1)
                .map(|_| Sketch::new(MONTHLY_BITS))
                .collect(),
            adoption_sum: vec![0; n_arms * h1],
            revenue_base_sum: vec![0; n_arms * h1],
            clamped: vec![0; n_arms * model.clamp_stride()],
            n: 0,
            head: Accumulator::rows_only(model, has_kpi),
            rows: match trials {
                TrialsOut::Skip => None,
                TrialsOut::File(path) => Some(RowWriter {
                    acc: Accumulator::rows_only(model, has_kpi),
                    path,
                    writer: None,
                }),
            },
            error: None,
            pending: Vec::with_capacity(PENDING),
            extra_head: Vec::new(),
        }
    }

    /// Adds one batch; batches must arrive in trial order.
    pub fn push(&mut self, b: Batch) {
        let n_arms = self.model.n_arms();
        for (j, rows) in b.outcomes.chunks(n_arms).take(b.n).enumerate() {
            let trial = b.first_trial + j as u64;
            self.tally.push(trial, rows);
            self.sketched.push(trial, rows);
        }
        for (acc, x) in self.adoption_sum.iter_mut().zip(&b.adoption_sum) {
            *acc += x;
        }
        for (acc, x) in self.revenue_base_sum.iter_mut().zip(&b.revenue_base_sum) {
            *acc += x;
        }
        for (acc, x) in self.clamped.iter_mut().zip(&b.clamped) {
            *acc += x;
        }
        self.n += b.n as u64;
        self.head.push_until(&b, HEAD_TRIALS);
        if self.error.is_none()
            && let Some(rows) = &mut self.rows
            && let Err(e) = rows.push(&b)
        {
            self.error = Some(e);
        }
        self.pending.push(b);
        if self.pending.len() == PENDING {
            self.sketch_pending();
        }
    }

    /// Adds the pending batches' values to the sketches. Sketches count, so the order of
    /// insertion is free: one sketch at a time over several batches keeps its buckets in
    /// cache.
    fn sketch_pending(&mut self) {
        let h1 = self.model.horizon + 1;
        let pending = std::mem::take(&mut self.pending);
        let mut column = Vec::new();
        self.sketched.sketch(&pending, &mut column);
        for ai in 0..self.model.n_arms() {
            for (t, sketch) in self.months[ai * h1..(ai + 1) * h1].iter_mut().enumerate() {
                for b in &pending {
                    sketch.extend_strided(b.cum_cf(ai, t), 0, 1);
                }
            }
        }
        self.pending = pending;
        self.pending.clear();
    }

    /// Finishes `trials.parquet` (if written) and aggregates everything pushed.
    ///
    /// # Errors
    /// A write error met while streaming rows, or a frame Polars cannot build.
    pub fn finish(self, sc: &Scenario) -> Result<(Summary, Frames)> {
        let (summary, frames, rows) = self.finish_deferred(sc)?;
        rows.join()?;
        Ok((summary, frames))
    }

    /// [`Stream::finish`], but with `trials.parquet` (if written) perhaps still being
    /// written: its last row groups are encoded by the writer thread while the caller goes
    /// on, and [`Pending::join`] waits for the file to be complete.
    ///
    /// # Errors
    /// A write error met so far, or a frame Polars cannot build.
    pub fn finish_deferred(mut self, sc: &Scenario) -> Result<(Summary, Frames, Pending)> {
        self.sketched.close_block();
        self.sketch_pending();
        let rows = self.close_rows()?;
        let summary = self.summary(sc);
        let mut head = self.head.trials_frame()?;
        for part in &self.extra_head {
            head.vstack_mut(part)
                .context("joining the shards' first trials")?;
        }
        let frames = Frames {
            monthly: self.monthly_frame()?,
            trials: head,
        };
        Ok((summary, frames, rows))
    }

    /// Sends the last rows to the writer thread, without waiting for it.
    fn close_rows(&mut self) -> Result<Pending> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        match self.rows.take() {
            Some(rows) => rows.close().map(Pending),
            None => Ok(Pending(None)),
        }
    }

    fn summary(&self, sc: &Scenario) -> Summary {
        let (arms, pairs) = self
            .sketched
            .summarise(self.model, &self.tally, &self.clamped);
        Summary::new(
            sc,
            self.model,
            self.n,
            &self.tally,
            arms,
            pairs,
            Quantiles::sketch(),
        )
    }

    fn monthly_frame(&self) -> Result<DataFrame> {
        let levels: Vec<f64> = BANDS.iter().map(|b| b.1).collect();
        let bands: Vec<[Option<f64>; BANDS.len()]> = self
            .months
            .iter()
            .map(|s| {
                let q = s.quantiles(&levels);
                std::array::from_fn(|i| q[i])
            })
            .collect();
        aggregate::monthly_table(
            self.model,
            self.n,
            &bands,
            &self.adoption_sum,
            &self.revenue_base_sum,
        )
    }
}

/// Buffers per-trial rows and hands them, a row group at a time, to a writer thread that
/// encodes and writes the Parquet file while the engine goes on simulating. At most one
/// row group waits for the writer, so memory stays bounded.
struct RowWriter<'m> {
    acc: Accumulator<'m>,
    path: PathBuf,
    writer: Option<Writer>,
}

/// A Parquet file written by a thread from the frames sent to it, in order.
pub(crate) struct Writer {
    frames: std::sync::mpsc::SyncSender<DataFrame>,
    thread: std::thread::JoinHandle<Result<()>>,
}

impl RowWriter<'_> {
    fn push(&mut self, b: &Batch) -> Result<()> {
        self.acc.push(b);
        if self.acc.rows() >= ROW_GROUP {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        let df = self.acc.trials_frame()?;
        Writer::send(&mut self.writer, &self.path, df)
    }

    /// Sends the rows not yet sent; the writer, if any, goes on writing them.
    fn close(mut self) -> Result<Option<Writer>> {
        if self.acc.rows() > 0 || self.writer.is_none() {
            self.flush()?;
        }
        Ok(self.writer.take())
    }
}

/// A `trials.parquet` whose last row groups may still be being written by its thread (see
/// [`Stream::finish_deferred`]). Dropped without [`Pending::join`] (a run failing in
/// between), it still waits for the thread, so nothing writes into a folder being removed.
pub struct Pending(Option<Writer>);

impl Pending {
    /// Nothing left to write.
    pub fn none() -> Pending {
        Pending(None)
    }

    /// Waits for the file to be complete.
    ///
    /// # Errors
    /// The write error that stopped the writer.
    pub fn join(mut self) -> Result<()> {
        match self.0.take() {
            Some(w) => w.join(),
            None => Ok(()),
        }
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if let Some(w) = self.0.take() {
            let _ = w.join();
        }
    }
}

impl Writer {
    /// Sends `df` to the writer in `slot`, starting one for `path` (with `df`'s schema)
    /// if there is none yet. When the writer has stopped on an error, that error.
    pub(crate) fn send(slot: &mut Option<Writer>, path: &Path, df: DataFrame) -> Result<()> {
        let writer = match slot {
            Some(w) => w,
            None => slot.insert(Writer::start(path, &df)?),
        };
        if writer.frames.send(df).is_err()
            && let Some(w) = slot.take()
        {
            return w.join();
        }
        Ok(())
    }

    /// Creates the file and a thread writing the frames sent to it, with `first`'s schema.
    fn start(path: &Path, first: &DataFrame) -> Result<Writer> {
        let file =
            File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
        let mut batched = crate::output::parquet_writer(file).batched(first.schema())?;
        let (frames, rx) = std::sync::mpsc::sync_channel::<DataFrame>(1);
        let path = path.to_path_buf();
        let thread = std::thread::spawn(move || -> Result<()> {
            let context = || format!("cannot write {}", path.display());
            for df in rx {
                Context::with_context(batched.write_batch(&df), context)?;
            }
            Context::with_context(batched.finish(), context)?;
            Ok(())
        });
        Ok(Writer { frames, thread })
    }

    /// Closes the channel and waits for the file to be complete.
    pub(crate) fn join(self) -> Result<()> {
        drop(self.frames);
        self.thread
            .join()
            .map_err(|_| anyhow::anyhow!("the Parquet writer thread panicked"))?
    }
}

/// Path of the streamed per-trial file inside a staging folder.
pub fn trials_path(dir: &Path) -> PathBuf {
    dir.join("trials.parquet")
}
