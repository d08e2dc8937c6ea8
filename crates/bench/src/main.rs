//! `evshare-bench`: measures, on one host and in one run, what a driver → app notification
//! costs by event and by inverted call, and what the ring moves, against the floors (an event
//! round trip between two user threads, the same ring code in one process, `rtrb`). Writes the
//! results as JSON (`--json`) and prints a short table.
//!
//! Needs the evshare driver installed and running (`cargo xtask bench` does all of it under
//! Wine). Exits with 1 only if a part failed or lost data; a target not met is reported, not
//! an error.

#[cfg(windows)]
mod win;

#[cfg(windows)]
fn main() -> std::process::ExitCode {
    use std::process::ExitCode;

    use clap::Parser;

    let cli = Cli::parse();
    let mut plan = win::Plan::new(cli.quick);
    plan.only.clone_from(&cli.only);
    if let Some(samples) = cli.samples {
        plan.pacing.samples = samples;
    }
    if let Some(seconds) = cli.ring_seconds {
        plan.ring.duration = std::time::Duration::from_secs_f64(seconds);
    }
    if let Some(capacity) = cli.capacity {
        plan.ring.capacity = capacity;
    }
    if let Some(watermark) = cli.watermark {
        plan.ring.watermark = watermark;
    }
    if let Some(chunk_max) = cli.chunk_max {
        plan.ring.chunk_max = chunk_max;
    }
    if let Some(chunk_min) = cli.chunk_min {
        plan.ring.chunk_min = chunk_min;
    }
    let results = match win::run(&plan) {
        Ok(results) => results,
        Err(err) => {
            eprintln!("error: {err:#}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(path) = &cli.json {
        let written = serde_json::to_string_pretty(&results)
            .map_err(std::io::Error::other)
            .and_then(|json| std::fs::write(path, json + "\n"));
        if let Err(err) = written {
            eprintln!("error: writing {}: {err}", path.display());
            return ExitCode::FAILURE;
        }
        eprintln!("results written to {}", path.display());
    }
    if !cli.no_table {
        println!("\n{}", evshare_bench::report::table(&results));
    }
    if results.failed() {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// Measure evshare's notification methods and ring against same-host floors.
#[cfg(windows)]
#[derive(Debug, clap::Parser)]
#[command(name = "evshare-bench", version, about, long_about = None)]
struct Cli {
    /// Write the results as JSON to this file.
    #[arg(long, value_name = "PATH")]
    json: Option<std::path::PathBuf>,
    /// Do not print the table at the end (`cargo xtask bench` prints its own).
    #[arg(long)]
    no_table: bool,
    /// A short run (~30 s): fewer samples, 2-second ring runs.
    #[arg(long)]
    quick: bool,
    /// Run only these parts (repeatable; all by default).
    #[arg(long, value_enum)]
    only: Vec<win::Part>,
    /// Latency samples per method (after the warm-up).
    #[arg(long)]
    samples: Option<u64>,
    /// Seconds each ring run produces.
    #[arg(long)]
    ring_seconds: Option<f64>,
    /// Records per ring (a power of two, 16..=1048576).
    #[arg(long)]
    capacity: Option<u32>,
    /// Unread records before the producer wakes a sleeping consumer.
    #[arg(long)]
    watermark: Option<u32>,
    /// The most records per producer call.
    #[arg(long)]
    chunk_max: Option<u32>,
    /// The fewest free slots worth a producer call.
    #[arg(long)]
    chunk_min: Option<u32>,
}

#[cfg(not(windows))]
fn main() -> std::process::ExitCode {
    eprintln!(
        "evshare-bench measures the evshare driver and runs on Windows (or Wine): \
         run `cargo xtask bench`"
    );
    std::process::ExitCode::FAILURE
}
