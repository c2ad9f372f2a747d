//! Plots (PNG, drawn with plotters; text with the Ubuntu font shipped in `epaint_default_fonts`,
//! so no system fonts are needed).

use anyhow::{Result, anyhow};
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

/// Draw ROC curves (one per named series) with the chance diagonal to a PNG file, written
/// atomically.
pub fn roc_png(path: &Path, title: &str, series: &[(String, Vec<RocPoint>)]) -> Result<()> {
    ensure_font();
    let tmp = tempfile::Builder::new().suffix(".png").tempfile_in(
        path.parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new(".")),
    )?;
    {
        let root = BitMapBackend::new(tmp.path(), (720, 640)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| anyhow!("{e}"))?;
        let mut chart = ChartBuilder::on(&root)
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
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .label_font((FONT, 16))
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK.mix(0.3))
            .draw()
            .map_err(|e| anyhow!("{e}"))?;
        root.present().map_err(|e| anyhow!("{e}"))?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path)?;
    Ok(())
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
    ensure_font();
    let tmp = tempfile::Builder::new().suffix(".png").tempfile_in(
        path.parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new(".")),
    )?;
    let range = |f: fn(&(f64, f64)) -> f64| {
        let values = panels
            .iter()
            .flat_map(|(_, _, series)| series.iter().flat_map(|(_, pts)| pts.iter().map(f)))
            .filter(|v| *v > 0.0);
        let (lo, hi) = values.fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
        if lo > hi {
            (1.0, 10.0)
        } else {
            (lo * 0.8, hi * 1.25)
        }
    };
    let (x_lo, x_hi) = range(|p| p.0);
    {
        let root =
            BitMapBackend::new(tmp.path(), (640 * panels.len() as u32, 560)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| anyhow!("{e}"))?;
        for (area, (title, y_desc, series)) in
            root.split_evenly((1, panels.len())).iter().zip(panels)
        {
            let values = series.iter().flat_map(|(_, pts)| pts.iter().map(|p| p.1));
            let (y_lo, y_hi) = values
                .filter(|v| *v > 0.0)
                .fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
            let (y_lo, y_hi) = if y_lo > y_hi {
                (1.0, 10.0)
            } else {
                (y_lo * 0.8, y_hi * 1.25)
            };
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
                .label_style((FONT, 15))
                .draw()
                .map_err(|e| anyhow!("{e}"))?;
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
                chart
                    .draw_series(points.iter().map(|&p| Circle::new(p, 4, color.filled())))
                    .map_err(|e| anyhow!("{e}"))?;
            }
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperLeft)
                .label_font((FONT, 16))
                .background_style(WHITE.mix(0.9))
                .border_style(BLACK.mix(0.3))
                .draw()
                .map_err(|e| anyhow!("{e}"))?;
        }
        root.present().map_err(|e| anyhow!("{e}"))?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path)?;
    Ok(())
}
