//! `target/bench/latency.svg`: the run at a glance. Top, every latency distribution on one
//! log axis (p50, p90, p99, max per method; the floors in grey, each notification method's
//! p50 as a ratio to the event round-trip floor). Bottom, the rings' records per second
//! against the targets (10 M/s, half of the same ring code in one process).

use std::path::Path;

use anyhow::{anyhow, Result};
use evshare_bench::report::{self, Results, Summary, RING_MIN_RATIO_TO_INPROCESS};
use plotters::coord::ranged1d::SegmentValue;
use plotters::element::BackendCoordOnly;
use plotters::prelude::*;

const WIDTH: u32 = 1280;
const HEIGHT: u32 = 900;
const FONT: &str = "sans-serif";

const FLOOR: RGBColor = RGBColor(130, 130, 130);
const EVENT: RGBColor = RGBColor(31, 119, 180);
const INVERTED: RGBColor = RGBColor(214, 96, 24);
const RING: RGBColor = RGBColor(44, 150, 44);

/// One row of the latency panel.
struct Row {
    label: String,
    summary: Summary,
    color: RGBColor,
    note: String,
}

fn rows(results: &Results) -> Vec<Row> {
    let round_trip = results
        .floors
        .event_round_trip
        .as_ref()
        .map(|floor| floor.summary.p50_ns);
    let ratio = |summary: &Summary| match round_trip {
        Some(floor) if floor > 0 => format!(
            "p50 {} = {:.2} × round trip",
            report::micros(summary.p50_ns),
            summary.p50_ns as f64 / floor as f64
        ),
        _ => format!("p50 {}", report::micros(summary.p50_ns)),
    };
    let mut rows = Vec::new();
    for (key, latency) in results.latencies() {
        let color = match key {
            "event_one_way" => EVENT,
            "inverted_one_way" => INVERTED,
            _ => FLOOR,
        };
        rows.push(Row {
            label: latency.label.clone(),
            summary: latency.summary,
            color,
            note: ratio(&latency.summary),
        });
    }
    for (key, run) in results.rings() {
        rows.push(Row {
            label: format!("{}: per record, under load", run.label),
            summary: run.latency,
            color: if key == "ring_driver" { RING } else { FLOOR },
            note: format!("p50 {}", report::micros(run.latency.p50_ns)),
        });
    }
    rows
}

/// Draws the plot into `path` (SVG).
pub fn render(results: &Results, path: &Path) -> Result<()> {
    let root = SVGBackend::new(path, (WIDTH, HEIGHT)).into_drawing_area();
    root.fill(&WHITE).map_err(plot_error)?;
    let title = match &results.host {
        Some(host) => format!(
            "evshare on {} ({} CPUs), {}{}",
            host.cpu_model,
            host.nproc,
            host.wine,
            if results.quick { ", quick run" } else { "" }
        ),
        None => "evshare benchmarks".to_owned(),
    };
    let root = root
        .titled(&title, (FONT, 22).into_font().style(FontStyle::Bold))
        .map_err(plot_error)?;
    let (top, bottom) = root.split_vertically(HEIGHT * 58 / 100);
    latency_panel(results, &top)?;
    throughput_panel(results, &bottom)?;
    root.present().map_err(plot_error)?;
    Ok(())
}

fn plot_error<E: std::fmt::Debug>(err: E) -> anyhow::Error {
    anyhow!("plotters: {err:?}")
}

/// Microseconds, at least 0.1 (the axis is logarithmic).
fn us(ns: u64) -> f64 {
    (ns as f64 / 1000.0).max(0.1)
}

fn latency_panel(
    results: &Results,
    area: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
) -> Result<()> {
    let rows = rows(results);
    if rows.is_empty() {
        return Ok(());
    }
    let n = i32::try_from(rows.len()).unwrap_or(i32::MAX);
    let lowest = rows
        .iter()
        .map(|row| us(row.summary.p50_ns))
        .fold(f64::MAX, f64::min);
    let highest = rows
        .iter()
        .map(|row| us(row.summary.max_ns))
        .fold(0.0, f64::max);
    let (x_min, x_max) = (lowest / 2.0, highest * 40.0);
    let y = |index: usize| SegmentValue::CenterOf(n - 1 - i32::try_from(index).unwrap_or(0));
    let mut chart = ChartBuilder::on(area)
        .caption(
            format!(
                "latency, log scale (one sample every ~{} µs of idle; ring records under load)",
                results.settings.gap_us
            ),
            (FONT, 17),
        )
        .margin(12)
        .x_label_area_size(42)
        .y_label_area_size(390)
        .build_cartesian_2d((x_min..x_max).log_scale(), (0..n - 1).into_segmented())
        .map_err(plot_error)?;
    let labels: Vec<String> = rows.iter().map(|row| row.label.clone()).collect();
    chart
        .configure_mesh()
        .y_labels(rows.len())
        .y_label_formatter(&|value| match value {
            SegmentValue::CenterOf(i) => usize::try_from(n - 1 - *i)
                .ok()
                .and_then(|index| labels.get(index).cloned())
                .unwrap_or_default(),
            _ => String::new(),
        })
        .y_label_style((FONT, 14))
        .x_desc("microseconds (log scale)")
        .x_label_formatter(&|value| {
            if *value >= 1.0 {
                format!("{value:.0}")
            } else {
                format!("{value:.1}")
            }
        })
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(plot_error)?;

    // min → max thin, p50 → p99 thick, in the row's colour.
    chart
        .draw_series(rows.iter().enumerate().map(|(index, row)| {
            PathElement::new(
                vec![
                    (us(row.summary.min_ns), y(index)),
                    (us(row.summary.max_ns), y(index)),
                ],
                row.color.mix(0.5).stroke_width(1),
            )
        }))
        .map_err(plot_error)?;
    chart
        .draw_series(rows.iter().enumerate().map(|(index, row)| {
            PathElement::new(
                vec![
                    (us(row.summary.p50_ns), y(index)),
                    (us(row.summary.p99_ns), y(index)),
                ],
                row.color.stroke_width(5),
            )
        }))
        .map_err(plot_error)?;
    chart
        .draw_series(
            rows.iter().enumerate().map(|(index, row)| {
                Circle::new((us(row.summary.p50_ns), y(index)), 6, BLACK.filled())
            }),
        )
        .map_err(plot_error)?
        .label("p50")
        .legend(|(x, y)| Circle::new((x, y), 5, BLACK.filled()));
    chart
        .draw_series(rows.iter().enumerate().map(|(index, row)| {
            TriangleMarker::new((us(row.summary.p90_ns), y(index)), 6, BLACK.filled())
        }))
        .map_err(plot_error)?
        .label("p90")
        .legend(|(x, y)| TriangleMarker::new((x, y), 5, BLACK.filled()));
    chart
        .draw_series(rows.iter().enumerate().map(|(index, row)| {
            EmptyElement::at((us(row.summary.p99_ns), y(index)))
                + Rectangle::new([(-5, -5), (5, 5)], BLACK.filled())
        }))
        .map_err(plot_error)?
        .label("p99")
        .legend(|(x, y)| Rectangle::new([(x - 4, y - 4), (x + 4, y + 4)], BLACK.filled()));
    chart
        .draw_series(rows.iter().enumerate().map(|(index, row)| {
            Cross::new((us(row.summary.max_ns), y(index)), 6, BLACK.stroke_width(2))
        }))
        .map_err(plot_error)?
        .label("max")
        .legend(|(x, y)| Cross::new((x, y), 5, BLACK.stroke_width(2)));
    chart
        .draw_series(rows.iter().enumerate().map(|(index, row)| {
            Text::new(
                row.note.clone(),
                (us(row.summary.max_ns) * 1.5, y(index)),
                (FONT, 14).into_font().color(&row.color),
            )
        }))
        .map_err(plot_error)?;
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.5))
        .label_font((FONT, 14))
        .draw()
        .map_err(plot_error)?;
    Ok(())
}

fn throughput_panel(
    results: &Results,
    area: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
) -> Result<()> {
    let rings = results.rings();
    if rings.is_empty() {
        return Ok(());
    }
    let n = i32::try_from(rings.len()).unwrap_or(i32::MAX);
    let millions: Vec<f64> = rings
        .iter()
        .map(|(_, run)| run.records_per_second / 1e6)
        .collect();
    let target = report::RING_MIN_RECORDS_PER_SECOND / 1e6;
    let half_inprocess = results
        .floors
        .ring_inprocess
        .as_ref()
        .map(|run| run.records_per_second / 1e6 * RING_MIN_RATIO_TO_INPROCESS);
    let x_max = millions.iter().copied().fold(target, f64::max) * 1.9;
    let mut chart = ChartBuilder::on(area)
        .caption(
            format!(
                "ring throughput: 64-byte records per second, {} s each, zero unaccounted required",
                results.settings.ring_seconds
            ),
            (FONT, 17),
        )
        .margin(12)
        .x_label_area_size(42)
        .y_label_area_size(390)
        .build_cartesian_2d(0.0..x_max, (0..n - 1).into_segmented())
        .map_err(plot_error)?;
    let labels: Vec<String> = rings.iter().map(|(_, run)| run.label.clone()).collect();
    chart
        .configure_mesh()
        .y_labels(rings.len())
        .y_label_formatter(&|value| match value {
            SegmentValue::CenterOf(i) => usize::try_from(n - 1 - *i)
                .ok()
                .and_then(|index| labels.get(index).cloned())
                .unwrap_or_default(),
            _ => String::new(),
        })
        .y_label_style((FONT, 14))
        .x_desc("million records per second")
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(plot_error)?;
    let row = |index: usize| n - 1 - i32::try_from(index).unwrap_or(0);
    chart
        .draw_series::<BackendCoordOnly, Rectangle<(f64, SegmentValue<i32>)>, _, _>(
            rings
                .iter()
                .zip(&millions)
                .enumerate()
                .map(|(index, ((key, _), rate))| {
                    let color = if *key == "ring_driver" { RING } else { FLOOR };
                    let mut bar = Rectangle::new(
                        [
                            (0.0, SegmentValue::Exact(row(index))),
                            (*rate, SegmentValue::Exact(row(index) + 1)),
                        ],
                        color.filled(),
                    );
                    bar.set_margin(10, 10, 0, 0);
                    bar
                }),
        )
        .map_err(plot_error)?;
    chart
        .draw_series(
            rings
                .iter()
                .zip(&millions)
                .enumerate()
                .map(|(index, ((_, run), rate))| {
                    let mut text = format!("{rate:.2} M/s");
                    if let Some(per_1000) = run.wakeups_per_1000() {
                        text.push_str(&format!(", {per_1000:.3} wake-ups / 1,000 records"));
                    }
                    text.push_str(&format!(", {} unaccounted", run.unaccounted));
                    Text::new(
                        text,
                        (rate + x_max * 0.01, SegmentValue::CenterOf(row(index))),
                        (FONT, 14),
                    )
                }),
        )
        .map_err(plot_error)?;
    let vertical = |x: f64| vec![(x, SegmentValue::Exact(0)), (x, SegmentValue::Last)];
    chart
        .draw_series(std::iter::once(PathElement::new(
            vertical(target),
            RED.stroke_width(2),
        )))
        .map_err(plot_error)?
        .label(format!("target: {target:.0} M/s"))
        .legend(|(x, y)| PathElement::new(vec![(x - 8, y), (x + 8, y)], RED.stroke_width(2)));
    if let Some(half) = half_inprocess {
        chart
            .draw_series(std::iter::once(PathElement::new(
                vertical(half),
                EVENT.stroke_width(2),
            )))
            .map_err(plot_error)?
            .label(format!(
                "target: {RING_MIN_RATIO_TO_INPROCESS} × in-process = {half:.1} M/s"
            ))
            .legend(|(x, y)| PathElement::new(vec![(x - 8, y), (x + 8, y)], EVENT.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.5))
        .label_font((FONT, 14))
        .draw()
        .map_err(plot_error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use evshare_bench::report::{Environment, Floors, Latency, RingRun, Settings};

    fn latency(label: &str, p50_ns: u64) -> Option<Latency> {
        Some(Latency {
            label: label.to_owned(),
            measures: String::new(),
            summary: Summary {
                count: 10,
                min_ns: p50_ns / 2,
                p50_ns,
                p90_ns: p50_ns * 2,
                p99_ns: p50_ns * 4,
                p999_ns: p50_ns * 5,
                max_ns: p50_ns * 10,
                mean_ns: p50_ns as f64,
            },
        })
    }

    fn ring(label: &str, rate: f64) -> Option<RingRun> {
        Some(RingRun {
            label: label.to_owned(),
            records_per_second: rate,
            received: 1000,
            wakeups: Some(1),
            latency: Summary {
                p50_ns: 200_000,
                max_ns: 9_000_000,
                ..Summary::default()
            },
            ..RingRun::default()
        })
    }

    #[test]
    fn the_plot_names_every_method() {
        let results = Results {
            schema: report::SCHEMA_VERSION,
            quick: true,
            environment: Environment::default(),
            host: None,
            settings: Settings::default(),
            floors: Floors {
                event_round_trip: latency("floor: event round trip", 16_000),
                event_user_one_way: latency("floor: event one-way", 5_000),
                ring_inprocess: ring("floor: ring in-process", 20e6),
                rtrb: ring("floor: rtrb", 30e6),
            },
            event_one_way: latency("event: driver signal → app wake", 4_900),
            inverted_one_way: latency("inverted call", 41_000),
            ring_driver: ring("ring via driver", 15e6),
            failures: Vec::new(),
        };
        let dir = std::env::temp_dir().join(format!("xtask-plot-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap_or_else(|err| panic!("{err}"));
        let path = dir.join("latency.svg");
        render(&results, &path).unwrap_or_else(|err| panic!("{err:#}"));
        let svg = std::fs::read_to_string(&path).unwrap_or_default();
        let _ = std::fs::remove_dir_all(&dir);
        for needle in [
            "floor: event round trip",
            "event: driver signal → app wake",
            "inverted call",
            "ring via driver",
            "floor: rtrb",
            "0.31 × round trip",
            "target: 10 M/s",
        ] {
            assert!(svg.contains(needle), "{needle} missing from the SVG");
        }
    }
}
