//! Plots (PNG, drawn with plotters; text with the Ubuntu font shipped in `epaint_default_fonts`,
//! so no system fonts are needed).

use anyhow::{Result, anyhow};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};
use seqrisk_core::metrics::RocPoint;
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
    write_png(path, (720, 640), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, (FONT, 24))
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(56)
            .build_cartesian_2d(0f64..1f64, 0f64..1f64)
            .map_err(|e| anyhow!("{e}"))?;
        chart
            .configure_mesh()
            .x_desc("false positive rate")
            .y_desc("true positive rate")
            .label_style((FONT, 15))
            .draw()
            .map_err(|e| anyhow!("{e}"))?;
        chart
            .draw_series(LineSeries::new([(0.0, 0.0), (1.0, 1.0)], BLACK.mix(0.3)))
            .map_err(|e| anyhow!("{e}"))?;
        for (i, (name, points)) in series.iter().enumerate() {
            let color = Palette99::pick(i).to_rgba();
            chart
                .draw_series(LineSeries::new(
                    points.iter().map(|p| (p.fpr, p.tpr)),
                    color.stroke_width(2),
                ))
                .map_err(|e| anyhow!("{e}"))?
                .label(name.clone())
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 20, y)], color.stroke_width(2))
                });
        }
        legend(&mut chart, SeriesLabelPosition::LowerRight)
    })
}

/// One named series of `(x, y)` points for [`loglog_panels_png`].
pub type Series = (String, Vec<(f64, f64)>);

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
