//! `seqrisk eval --report`: one self-contained HTML file (no script, no request: the plots are
//! PNGs inlined as `data:` URIs, the style inline) with everything [`Evaluation`] holds.

use crate::files::write_atomic;
use crate::plot::{self, Marks};
use anyhow::Result;
use base64::Engine;
use html_escape::encode_text;
use seqrisk_core::metrics::{Evaluation, OperatingPoint};
use std::fmt::Write;
use std::path::Path;

/// Who and what the report is about.
pub struct ReportHeading<'a> {
    /// The model (as `--model` names it).
    pub model: &'a str,
    /// The artifact's file.
    pub artifact: &'a str,
    /// The data file.
    pub data: &'a str,
    /// The calibration in words (`None`: not calibrated).
    pub calibration: Option<String>,
}

const STYLE: &str = "body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:980px;padding:0 1em;color:#222}\
table{border-collapse:collapse;margin:.6em 0 1.4em}th,td{border:1px solid #ccc;padding:.25em .6em;text-align:right}\
th:first-child,td:first-child{text-align:left}th{background:#f3f3f3}img{max-width:100%}\
.grid{display:grid;grid-template-columns:1fr 1fr;gap:1em}h2{margin-top:1.6em}.note{color:#555}";

fn png_data_uri(draw: impl FnOnce(&Path) -> Result<()>) -> Result<String> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("plot.png");
    draw(&path)?;
    let bytes = std::fs::read(&path)?;
    Ok(format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    ))
}

fn pct(x: f64) -> String {
    if x.is_finite() {
        format!("{:.2}%", 100.0 * x)
    } else {
        "–".into()
    }
}

fn num(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.4}")
    } else {
        "–".into()
    }
}

fn point_cells(p: Option<&OperatingPoint>) -> String {
    match p {
        Some(p) => format!(
            "<td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
            pct(p.alert_rate),
            pct(p.fpr),
            num(p.recall),
            p.precision.map_or("–".into(), num)
        ),
        None => "<td>–</td><td>–</td><td>–</td><td>–</td>".into(),
    }
}

/// The report's HTML.
pub fn render(h: &ReportHeading, e: &Evaluation) -> Result<String> {
    let roc = png_data_uri(|p| {
        plot::roc_png(
            p,
            &format!("ROC (AUC {:.4})", e.metrics.auc),
            &[(h.model.to_string(), e.roc.clone())],
        )
    })?;
    let pr = png_data_uri(|p| {
        plot::lines_png(
            p,
            &format!("precision-recall (AP {:.4})", e.metrics.average_precision),
            ("recall", "precision"),
            &[(h.model.to_string(), e.pr.clone())],
            Marks {
                diagonal: false,
                points: false,
            },
        )
    })?;
    let gains = png_data_uri(|p| {
        let mut points = vec![(0.0, 0.0)];
        points.extend(e.gains.iter().map(|g| (g.flagged, g.caught)));
        plot::lines_png(
            p,
            "cumulative gains",
            (
                "share of sessions flagged, riskiest first",
                "share of positives caught",
            ),
            &[(h.model.to_string(), points)],
            Marks {
                diagonal: true,
                points: false,
            },
        )
    })?;
    let reliability = png_data_uri(|p| {
        let mut series = vec![("model's own".to_string(), e.calibration_raw.bins.clone())];
        if h.calibration.is_some() {
            series.push(("calibrated".to_string(), e.calibration.bins.clone()));
        }
        plot::reliability_png(p, "reliability", &series)
    })?;
    let histogram = png_data_uri(|p| plot::histogram_png(p, "scores by class", &e.histogram))?;

    let m = &e.metrics;
    let mut s = String::new();
    let _ = write!(
        s,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\">\
         <title>seqrisk evaluation: {model}</title><style>{STYLE}</style></head><body>\
         <h1>{model} on {data}</h1><p class=\"note\">Artifact <code>{artifact}</code>; \
         {sessions} labelled sessions, {positives} positive. Rankings read the model's own score \
         (<code>raw_score</code>), thresholds the score users see (<code>score</code>).</p>",
        model = encode_text(h.model),
        data = encode_text(h.data),
        artifact = encode_text(h.artifact),
        sessions = m.sessions,
        positives = m.positives,
    );
    let _ = write!(
        s,
        "<h2>Metrics</h2><table><tr><th>AUC</th><th>pAUC (FPR ≤ 1%)</th><th>KS</th>\
         <th>Recall@10%</th><th>average precision</th></tr><tr><td>{}</td><td>{}</td><td>{}</td>\
         <td>{}</td><td>{}</td></tr></table>\
         <div class=\"grid\"><img alt=\"ROC curve\" src=\"{roc}\"><img alt=\"precision-recall curve\" src=\"{pr}\"></div>",
        num(m.auc),
        num(m.pauc_1pct),
        num(m.ks),
        num(m.recall_at_10pct),
        num(m.average_precision)
    );
    let _ = write!(
        s,
        "<h2>Calibration</h2><p>{}</p><table><tr><th></th><th>Brier</th><th>ECE</th></tr>\
         <tr><td>model's own score</td><td>{}</td><td>{}</td></tr>\
         <tr><td>score (as users see it)</td><td>{}</td><td>{}</td></tr></table>\
         <div class=\"grid\"><img alt=\"reliability diagram\" src=\"{reliability}\">\
         <img alt=\"score histograms by class\" src=\"{histogram}\"></div>",
        encode_text(
            h.calibration
                .as_deref()
                .unwrap_or("Not calibrated: the score is the model's own.")
        ),
        num(e.calibration_raw.brier),
        num(e.calibration_raw.ece),
        num(e.calibration.brier),
        num(e.calibration.ece)
    );
    s.push_str(
        "<h2>Gains and lift</h2><table><tr><th>flagged</th><th>positives caught</th><th>lift</th></tr>",
    );
    for g in &e.gains {
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{:.2}</td></tr>",
            pct(g.flagged),
            pct(g.caught),
            g.lift
        );
    }
    let _ = write!(s, "</table><img alt=\"cumulative gains\" src=\"{gains}\">");
    if !e.thresholds.is_empty() {
        s.push_str(
            "<h2>The card's thresholds</h2><p class=\"note\">Each set on the validation split; \
             what it gave there, and what it gives on these sessions.</p>\
             <table><tr><th rowspan=\"2\">target</th><th rowspan=\"2\">threshold</th>\
             <th colspan=\"4\">validation</th><th colspan=\"4\">here</th>\
             <th colspan=\"4\">confusion here</th></tr><tr><th>alert rate</th><th>FPR</th>\
             <th>recall</th><th>precision</th><th>alert rate</th><th>FPR</th><th>recall</th>\
             <th>precision</th><th>TP</th><th>FP</th><th>FN</th><th>TN</th></tr>",
        );
        for t in &e.thresholds {
            let [tp, fp, fn_, tn] = t.confusion;
            let _ = write!(
                s,
                "<tr><td>{}</td><td>{}</td>{}{}<td>{tp}</td><td>{fp}</td><td>{fn_}</td><td>{tn}</td></tr>",
                t.target,
                num(t.validation.threshold),
                point_cells(Some(&t.validation)),
                point_cells(t.here.as_ref())
            );
        }
        s.push_str("</table>");
    }
    if let Some((field, segments)) = &e.segments {
        let _ = write!(
            s,
            "<h2>By {}</h2><table><tr><th>value</th><th>sessions</th><th>positives</th>\
             <th>AUC</th><th>mean score</th><th>share positive</th></tr>",
            encode_text(field)
        );
        for g in segments {
            let _ = write!(
                s,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                encode_text(&g.value),
                g.metrics.sessions,
                g.metrics.positives,
                num(g.metrics.auc),
                num(g.mean_score),
                num(g.metrics.positives as f64 / g.metrics.sessions.max(1) as f64)
            );
        }
        s.push_str("</table>");
    }
    s.push_str("</body></html>\n");
    Ok(s)
}

/// Write the report to `path` (atomically).
pub fn write(path: &Path, h: &ReportHeading, e: &Evaluation) -> Result<()> {
    write_atomic(path, render(h, e)?.as_bytes())
}
