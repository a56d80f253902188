//! What every simulating command shares on the terminal and in its process: the worker
//! threads (`--threads`, default every core) and the progress bar on stderr (hidden with
//! `--quiet` or when stderr is not a terminal).

use std::io::IsTerminal;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The worker pool for `--threads` (every core when not given), and its size.
pub fn worker_pool(threads: Option<u16>) -> Result<(rayon::ThreadPool, usize)> {
    let n = threads.map_or_else(
        || std::thread::available_parallelism().map_or(1, |n| n.get()),
        usize::from,
    );
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build()
        .context("cannot start worker threads")?;
    Ok((pool, n))
}

/// A progress bar over `total` trials, labelled with what is being done.
pub fn progress_bar(total: u64, quiet: bool, doing: &str) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    let template = format!(
        "{{spinner}} {doing} [{{bar:40}}] {{human_pos}}/{{human_len}} trials ({{per_sec}}, {{eta}} left)"
    );
    if let Ok(style) = ProgressStyle::with_template(&template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}
