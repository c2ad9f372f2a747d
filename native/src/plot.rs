//! Plots (PNG, drawn with plotters; text with the Ubuntu font shipped in `epaint_default_fonts`,
//! so no system fonts are needed).

use anyhow::{Result, anyhow};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};
use seqrisk_core::metrics::{HistogramBin, ReliabilityBin, RocPoint};
use seqrisk_core::monitor::DriftReport;
use std::path::Path;
use std::sync::Once;

const FONT: &str = "sans-serif";

fn ensure_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // the embedded font is a valid TrueType file; failure would only lose the labels
        let _ = register_font(FONT, FontStyle::Normal, epaint_default_fonts::UBUNTU_LIGHT);
    });
}

/// Draw onto a white PNG of `size` with `draw`, then write it to `path` atomically.
fn write_png(
    path: &Path,
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<BitMapBackend, Shift>) -> Result<()>,
) -> Result<()> {
    ensure_font();
    let tmp = tempfile::Builder::new().suffix(".png").tempfile_in(
        path.parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new(".")),
    )?;
    {
        let root = BitMapBackend::new(tmp.path(), size).into_drawing_area();
        root.fill(&WHITE).map_err(|e| anyhow!("{e}"))?;
        draw(&root)?;
        root.present().map_err(|e| anyhow!("{e}"))?;
    }
    crate::files::give_mode_of(tmp.as_file(), path)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path)?;
    Ok(())
}

/// Draw a chart's legend at `position`.
fn legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
) -> Result<()> {
    chart
        .configure_series_labels()
        .position(position)
        .label_font((FONT, 16))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.3))
        .draw()
        .map_err(|e| anyhow!("{e}"))
}

/// Draw ROC curves (one per named series) with the chance diagonal to a PNG file, written
/// atomically.
pub fn roc_png(path: &Path, title: &str, series: &[(String, Vec<RocPoint>)]) -> Result<()> {
    let series: Vec<(String, Vec<(f64, f64)>)> = series
        .iter()
        .map(|(name, points)| {
            (
                name.clone(),
                points.iter().map(|p| (p.fpr, p.tpr)).collect(),
            )
        })
        .collect();
    lines_png(
        path,
        title,
        ("false positive rate", "true positive rate"),
        &series,
        Marks {
            diagonal: true,
            points: false,
        },
    )
}

/// One named series of `(x, y)` points for [`loglog_panels_png`].
pub type Series = (String, Vec<(f64, f64)>);

/// A reliability diagram: each series' bins as (mean probability, observed share) joined by a
/// line, over the diagonal of perfect calibration.
pub fn reliability_png(
    path: &Path,
    title: &str,
    series: &[(String, Vec<ReliabilityBin>)],
) -> Result<()> {
    let series: Vec<(String, Vec<(f64, f64)>)> = series
        .iter()
        .map(|(name, bins)| {
            let points = bins.iter().map(|b| (b.mean_predicted, b.observed));
            (name.clone(), points.collect())
        })
        .collect();
    lines_png(
        path,
        title,
        ("mean predicted probability (10 bins)", "share positive"),
        &series,
        Marks {
            diagonal: true,
            points: true,
        },
    )
}

/// The PSI of each field (and the score) as horizontal bars, with the watch and act limits
/// as vertical lines.
pub fn psi_png(path: &Path, title: &str, d: &DriftReport) -> Result<()> {
    let rows: Vec<(String, f64)> = d
        .fields
        .iter()
        .chain(&d.score)
        .map(|f| (f.name.clone(), f.psi.unwrap_or(0.0)))
        .collect();
    let n = rows.len().max(1);
    let top = rows.iter().map(|r| r.1).fold(d.limits.act * 1.2, f64::max);
    let height = (120 + 28 * n).min(4000) as u32;
    write_png(path, (760, height), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, (FONT, 20))
            .margin(16)
            .x_label_area_size(40)
            .y_label_area_size(180)
            .build_cartesian_2d(0f64..top, (0..n as i32).into_segmented())
            .map_err(|e| anyhow!("{e}"))?;
        let names: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
        chart
            .configure_mesh()
            .disable_y_mesh()
            .x_desc("PSI")
            .y_labels(n)
            .y_label_formatter(&|y| match y {
                SegmentValue::CenterOf(i) => names.get(*i as usize).cloned().unwrap_or_default(),
                _ => String::new(),
            })
            .label_style((FONT, 14))
            .draw()
            .map_err(|e| anyhow!("{e}"))?;
        for (i, (_, psi)) in rows.iter().enumerate() {
            let color = if *psi >= d.limits.act {
                RED
            } else if *psi >= d.limits.watch {
                RGBColor(230, 150, 0)
            } else {
                RGBColor(60, 120, 200)
            };
            let i = i as i32;
            chart
                .draw_series([Rectangle::new(
                    [
                        (0.0, SegmentValue::Exact(i)),
                        (*psi, SegmentValue::Exact(i + 1)),
                    ],
                    color.filled(),
                )])
                .map_err(|e| anyhow!("{e}"))?;
        }
        for (limit, color) in [(d.limits.watch, RGBColor(230, 150, 0)), (d.limits.act, RED)] {
            chart
                .draw_series(LineSeries::new(
                    [(limit, SegmentValue::Exact(0)), (limit, SegmentValue::Last)],
                    color.stroke_width(2),
                ))
                .map_err(|e| anyhow!("{e}"))?;
        }
        Ok(())
    })
}

/// What [`lines_png`] draws besides the lines.
#[derive(Debug, Clone, Copy)]
pub struct Marks {
    /// The diagonal `y = x` (chance for a ROC or gains chart, perfect calibration).
    pub diagonal: bool,
    /// A dot at each point (the few bins of a reliability diagram).
    pub points: bool,
}

/// Lines over the unit square (a ROC, precision-recall, gains or reliability chart): each
/// series `(x, y)` in order.
pub fn lines_png(
    path: &Path,
    title: &str,
    axes: (&str, &str),
    series: &[(String, Vec<(f64, f64)>)],
    marks: Marks,
) -> Result<()> {
    write_png(path, (720, 640), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, (FONT, 24))
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(56)
            .build_cartesian_2d(0f64..1f64, 0f64..1.02f64)
            .map_err(|e| anyhow!("{e}"))?;
        chart
            .configure_mesh()
            .x_desc(axes.0)
            .y_desc(axes.1)
            .label_style((FONT, 15))
            .draw()
            .map_err(|e| anyhow!("{e}"))?;
        if marks.diagonal {
            chart
                .draw_series(LineSeries::new([(0.0, 0.0), (1.0, 1.0)], BLACK.mix(0.3)))
                .map_err(|e| anyhow!("{e}"))?;
        }
        for (i, (name, points)) in series.iter().enumerate() {
            let color = Palette99::pick(i).to_rgba();
            chart
                .draw_series(LineSeries::new(
                    points.iter().copied(),
                    color.stroke_width(2),
                ))
                .map_err(|e| anyhow!("{e}"))?
                .label(name.clone())
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 20, y)], color.stroke_width(2))
                });
            if marks.points {
                chart
                    .draw_series(points.iter().map(|&p| Circle::new(p, 4, color.filled())))
                    .map_err(|e| anyhow!("{e}"))?;
            }
        }
        legend(&mut chart, SeriesLabelPosition::LowerRight)
    })
}

/// The score distribution of each class: for every bin, the share of the negatives and of the
/// positives in it, as bars side by side.
pub fn histogram_png(path: &Path, title: &str, bins: &[HistogramBin]) -> Result<()> {
    let neg: usize = bins.iter().map(|b| b.negatives).sum();
    let pos: usize = bins.iter().map(|b| b.positives).sum();
    let share = |n: usize, of: usize| n as f64 / of.max(1) as f64;
    let top = bins
        .iter()
        .map(|b| share(b.negatives, neg).max(share(b.positives, pos)))
        .fold(0.05, f64::max)
        * 1.1;
    write_png(path, (720, 480), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, (FONT, 22))
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(56)
            .build_cartesian_2d(0f64..1f64, 0f64..top)
            .map_err(|e| anyhow!("{e}"))?;
        chart
            .configure_mesh()
            .x_desc("score")
            .y_desc("share of the class")
            .label_style((FONT, 15))
            .draw()
            .map_err(|e| anyhow!("{e}"))?;
        let classes = [
            ("negative", RGBColor(60, 120, 200), false),
            ("positive", RGBColor(220, 60, 60), true),
        ];
        for (name, color, positive) in classes {
            let bars = bins.iter().map(move |b| {
                let mid = (b.lower + b.upper) / 2.0;
                let (x0, x1) = if positive {
                    (mid, b.upper)
                } else {
                    (b.lower, mid)
                };
                let h = if positive {
                    share(b.positives, pos)
                } else {
                    share(b.negatives, neg)
                };
                Rectangle::new([(x0, 0.0), (x1, h)], color.mix(0.8).filled())
            });
            chart
                .draw_series(bars)
                .map_err(|e| anyhow!("{e}"))?
                .label(name)
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 14, y + 5)], color.filled())
                });
        }
        legend(&mut chart, SeriesLabelPosition::UpperMiddle)
    })
}

/// Side-by-side log-log panels, each `(title, y label, series)`, over a shared x axis, to a PNG
/// file, written atomically.
pub fn loglog_panels_png(
    path: &Path,
    x_desc: &str,
    panels: &[(&str, &str, Vec<Series>)],
) -> Result<()> {
    // a positive range around values (log axes), padded a little
    fn span(values: impl Iterator<Item = f64>) -> (f64, f64) {
        let (lo, hi) = values
            .filter(|v| *v > 0.0)
            .fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
        if lo > hi {
            (1.0, 10.0)
        } else {
            (lo * 0.8, hi * 1.25)
        }
    }
    let points = |series: &[Series]| -> Vec<(f64, f64)> {
        series
            .iter()
            .flat_map(|(_, pts)| pts.iter().copied())
            .collect()
    };
    let all: Vec<(f64, f64)> = panels.iter().flat_map(|(_, _, s)| points(s)).collect();
    let (x_lo, x_hi) = span(all.iter().map(|p| p.0));
    write_png(path, (640 * panels.len() as u32, 560), |root| {
        for (area, (title, y_desc, series)) in
            root.split_evenly((1, panels.len())).iter().zip(panels)
        {
            let (y_lo, y_hi) = span(points(series).into_iter().map(|p| p.1));
            let mut chart = ChartBuilder::on(area)
                .caption(*title, (FONT, 22))
                .margin(16)
                .x_label_area_size(48)
                .y_label_area_size(64)
                .build_cartesian_2d((x_lo..x_hi).log_scale(), (y_lo..y_hi).log_scale())
                .map_err(|e| anyhow!("{e}"))?;
            chart
                .configure_mesh()
                .x_desc(x_desc)
                .y_desc(*y_desc)
                .x_labels(6)
                .y_labels(6)
                .x_label_formatter(&|x| format!("{x:.0}"))
                .y_label_formatter(&|y| format!("{y:.0}"))
                .label_style((FONT, 15))
                .draw()
                .map_err(|e| anyhow!("{e}"))?;
            for (i, (name, pts)) in series.iter().enumerate() {
                let color = Palette99::pick(i).to_rgba();
                chart
                    .draw_series(LineSeries::new(pts.iter().copied(), color.stroke_width(2)))
                    .map_err(|e| anyhow!("{e}"))?
                    .label(name.clone())
                    .legend(move |(x, y)| {
                        PathElement::new([(x, y), (x + 20, y)], color.stroke_width(2))
                    });
                chart
                    .draw_series(pts.iter().map(|&p| Circle::new(p, 4, color.filled())))
                    .map_err(|e| anyhow!("{e}"))?;
            }
            legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
        }
        Ok(())
    })
}

/// A 2-D projection of clustered points coloured by cluster (noise in light grey, risky
/// clusters as larger filled markers, labelled in the legend), to a PNG file, written
/// atomically.
pub fn clusters_png(
    path: &Path,
    title: &str,
    xy: &[(f64, f64)],
    labels: &[i32],
    risky: &[bool],
) -> Result<()> {
    let (mut x_lo, mut x_hi, mut y_lo, mut y_hi) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for &(x, y) in xy {
        (x_lo, x_hi, y_lo, y_hi) = (x_lo.min(x), x_hi.max(x), y_lo.min(y), y_hi.max(y));
    }
    if xy.is_empty() {
        (x_lo, x_hi, y_lo, y_hi) = (-1.0, 1.0, -1.0, 1.0);
    }
    let pad = |lo: f64, hi: f64| {
        let p = ((hi - lo) * 0.05).max(1e-6);
        (lo - p)..(hi + p)
    };
    write_png(path, (900, 760), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, (FONT, 22))
            .margin(16)
            .x_label_area_size(40)
            .y_label_area_size(56)
            .build_cartesian_2d(pad(x_lo, x_hi), pad(y_lo, y_hi))
            .map_err(|e| anyhow!("{e}"))?;
        chart
            .configure_mesh()
            .x_desc("first principal component")
            .y_desc("second principal component")
            .label_style((FONT, 15))
            .draw()
            .map_err(|e| anyhow!("{e}"))?;
        let noise = RGBColor(200, 200, 200);
        chart
            .draw_series(
                xy.iter()
                    .zip(labels)
                    .filter(|(_, l)| **l < 0)
                    .map(|(&p, _)| Circle::new(p, 2, noise.filled())),
            )
            .map_err(|e| anyhow!("{e}"))?
            .label("noise")
            .legend(move |(x, y)| Circle::new((x + 8, y), 4, noise.filled()));
        let clusters = labels.iter().copied().max().map_or(0, |m| m + 1);
        for c in 0..clusters {
            let color = Palette99::pick(c as usize).to_rgba();
            let is_risky = risky.get(c as usize).copied().unwrap_or(false);
            let size = if is_risky { 5 } else { 3 };
            let series = chart
                .draw_series(
                    xy.iter()
                        .zip(labels)
                        .filter(|(_, l)| **l == c)
                        .map(move |(&p, _)| Circle::new(p, size, color.filled())),
                )
                .map_err(|e| anyhow!("{e}"))?;
            if is_risky {
                series
                    .label(format!("risky cluster {c}"))
                    .legend(move |(x, y)| Circle::new((x + 8, y), 5, color.filled()));
            }
        }
        legend(&mut chart, SeriesLabelPosition::UpperRight)
    })
}

/// Where the condensed tree's clusters are drawn: each cluster's birth and death λ (capped at
/// the largest finite λ), its children, and its horizontal span (its children share it by
/// size).
struct TreeLayout {
    birth: Vec<f64>,
    death: Vec<f64>,
    children: Vec<Vec<usize>>,
    span: Vec<(f64, f64)>,
    finite_max: f64,
}

impl TreeLayout {
    fn of(tree: &seqrisk_core::cluster::CondensedTree) -> Self {
        let n = tree.num_points;
        let end = tree.cluster_end();
        let mut birth = vec![0.0f64; end - n];
        let mut death = vec![0.0f64; end - n];
        let mut size = vec![0usize; end - n];
        let mut children: Vec<Vec<usize>> = vec![vec![]; end - n];
        size[0] = n;
        let finite_max = tree
            .rows
            .iter()
            .map(|r| r.lambda)
            .filter(|l| l.is_finite())
            .fold(0.0f64, f64::max)
            .max(1e-9);
        for r in &tree.rows {
            let lambda = r.lambda.min(finite_max);
            death[r.parent - n] = death[r.parent - n].max(lambda);
            if r.child >= n {
                birth[r.child - n] = lambda;
                size[r.child - n] = r.size;
                children[r.parent - n].push(r.child);
            }
        }
        // lay out by an explicit stack: a cluster's children share its span by size
        let mut span = vec![(0.0f64, n as f64); end - n];
        let mut stack = vec![n];
        while let Some(c) = stack.pop() {
            let (lo, hi) = span[c - n];
            let total: usize = children[c - n].iter().map(|&k| size[k - n]).sum();
            let mut at = lo + ((hi - lo) - total as f64).max(0.0) / 2.0;
            for &k in &children[c - n] {
                span[k - n] = (at, at + size[k - n] as f64);
                at += size[k - n] as f64;
                stack.push(k);
            }
        }
        Self {
            birth,
            death,
            children,
            span,
            finite_max,
        }
    }
}

/// HDBSCAN's condensed tree as an icicle plot: each cluster a bar from the `λ` it appears at
/// (top) to the largest `λ` of its points (bottom), as wide as its size, its children side by
/// side beneath it; the `selected` clusters outlined in red. `λ` grows downwards, as in the
/// `hdbscan` library's plot.
pub fn condensed_tree_png(
    path: &Path,
    title: &str,
    tree: &seqrisk_core::cluster::CondensedTree,
    selected: &[usize],
) -> Result<()> {
    let n = tree.num_points;
    let end = tree.cluster_end();
    let TreeLayout {
        birth,
        death,
        children,
        span,
        finite_max,
    } = TreeLayout::of(tree);
    write_png(path, (900, 700), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, (FONT, 22))
            .margin(16)
            .x_label_area_size(32)
            .y_label_area_size(64)
            .build_cartesian_2d(0.0..n as f64, (finite_max * 1.05)..0.0)
            .map_err(|e| anyhow!("{e}"))?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_desc("points (bar width: cluster size)")
            .y_desc("λ = 1 / mutual-reachability distance")
            .label_style((FONT, 15))
            .draw()
            .map_err(|e| anyhow!("{e}"))?;
        for c in n..end {
            let (lo, hi) = span[c - n];
            let bar = [(lo, birth[c - n]), (hi, death[c - n].max(birth[c - n]))];
            let color = Palette99::pick(c - n).to_rgba().mix(0.6);
            chart
                .draw_series([Rectangle::new(bar, color.filled())])
                .map_err(|e| anyhow!("{e}"))?;
            if selected.contains(&c) {
                chart
                    .draw_series([Rectangle::new(bar, RED.stroke_width(3))])
                    .map_err(|e| anyhow!("{e}"))?;
            }
            if let [first, .., last] = children[c - n][..] {
                // the split: a line across the children's tops
                let y = birth[first - n];
                let x = (span[first - n].0 + span[first - n].1) / 2.0;
                let x2 = (span[last - n].0 + span[last - n].1) / 2.0;
                chart
                    .draw_series(LineSeries::new([(x, y), (x2, y)], BLACK.stroke_width(1)))
                    .map_err(|e| anyhow!("{e}"))?;
            }
        }
        Ok(())
    })
}
