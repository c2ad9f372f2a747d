//! `seqrisk gen`: synthetic sessions of a scenario, with their schema.

use crate::data::{Format, parquet_bytes};
use crate::files::write_atomic;
use crate::scenario::{Scenario, ScenarioArgs};
use anyhow::Result;
use clap::Args;
use seqrisk_core::models::ModelSpec;
use seqrisk_core::schema::{Schema, Session, session_to_json, write_csv};
use seqrisk_core::synth::credit::generate_credit;
use seqrisk_core::synth::payments::generate_payments;
use seqrisk_core::synth::transactions::generate_transactions;
use seqrisk_core::synth::{SyntheticSession, generate};

use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Generate the scenario (`model`'s unless `--scenario` says) into `dir`.
pub(crate) fn generate_into(
    opts: &ScenarioArgs,
    dir: &Path,
    model: ModelSpec,
) -> Result<Generated> {
    let scenario = opts.scenario.unwrap_or(Scenario::of(model));
    let schema = scenario.schema();
    let data = dir.join(format!("{}.jsonl", scenario.stem()));
    match scenario {
        Scenario::Fraud => {
            let sessions = gen_fraud(opts, &data)?;
            Ok(Generated {
                data,
                schema,
                fraud: sessions,
                old: None,
            })
        }
        Scenario::Credit => {
            let (old, _) = gen_credit(opts, &data)?;
            Ok(Generated {
                data,
                schema,
                fraud: vec![],
                old: Some(Arc::new(old)),
            })
        }
        Scenario::Payments | Scenario::Transactions => {
            gen_plain(opts, scenario, &data)?;
            Ok(Generated {
                data,
                schema,
                fraud: vec![],
                old: None,
            })
        }
    }
}

/// Generated data written to a file, with what training needs besides.
pub(crate) struct Generated {
    /// The labelled sessions' file.
    pub(crate) data: PathBuf,
    /// Their schema.
    pub(crate) schema: Schema,
    /// Fraud scenario: the sessions with their planted patterns.
    pub(crate) fraud: Vec<SyntheticSession>,
    /// Credit scenario: the older profile-only population.
    pub(crate) old: Option<Arc<Vec<Session>>>,
}

#[derive(Args)]
pub(crate) struct GenArgs {
    #[command(flatten)]
    pub(crate) scenario_args: ScenarioArgs,
    /// Output file: `.jsonl`, `.csv` or `.parquet`; default
    /// `seqrisk-out/data/{synthetic,credit,payments}.jsonl`. The credit scenario writes its older
    /// profile-only population next to it as `<stem>-old.<ext>`, and each scenario its schema.
    #[arg(long, short)]
    pub(crate) out: Option<PathBuf>,
}

pub(crate) fn run(a: &GenArgs) -> Result<()> {
    let scenario = a.scenario_args.scenario.unwrap_or_default();
    let out = a
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("seqrisk-out/data/{}.jsonl", scenario.stem())));
    match scenario {
        Scenario::Fraud => gen_fraud(&a.scenario_args, &out).map(|_| ()),
        Scenario::Credit => gen_credit(&a.scenario_args, &out).map(|_| ()),
        Scenario::Payments | Scenario::Transactions => gen_plain(&a.scenario_args, scenario, &out),
    }
}

/// Write sessions in the format of `out`'s extension.
pub(crate) fn write_sessions(out: &Path, sessions: &[Session], schema: &Schema) -> Result<()> {
    let bytes = match Format::from_path(out)? {
        Format::Jsonl => {
            let mut s = String::new();
            for session in sessions {
                s.push_str(&session_to_json(session, schema).to_string());
                s.push('\n');
            }
            s.into_bytes()
        }
        Format::Csv => {
            let mut buf = Vec::new();
            write_csv(sessions, schema, &mut buf)?;
            buf
        }
        Format::Parquet => parquet_bytes(sessions, schema)?,
    };
    write_atomic(out, &bytes)
}

/// The payments or transactions scenario to `out`, its schema to `<stem>.schema.toml`.
pub(crate) fn gen_plain(opts: &ScenarioArgs, scenario: Scenario, out: &Path) -> Result<()> {
    let (sessions, what, label) = match scenario {
        Scenario::Transactions => (
            generate_transactions(opts.transactions()),
            "payments to score",
            "fraud",
        ),
        _ => (generate_payments(opts.payments()), "users", "defaulted"),
    };
    let schema = scenario.schema();
    write_sessions(out, &sessions, &schema)?;
    let schema_path = out.with_extension("schema.toml");
    write_atomic(&schema_path, scenario.schema_text().as_bytes())?;
    let events: usize = sessions.iter().map(|u| u.events.len()).sum();
    eprintln!(
        "wrote {} {what} with {} payments ({:.0} each, {:.2}% {label}) to {} and their schema to {}",
        sessions.len(),
        events,
        events as f64 / sessions.len().max(1) as f64,
        100.0 * sessions.iter().filter(|s| s.label == Some(true)).count() as f64
            / sessions.len().max(1) as f64,
        out.display(),
        schema_path.display()
    );
    Ok(())
}

/// Where the credit scenario's older population goes: `<stem>-old.<ext>` beside `out`.
pub(crate) fn old_path(out: &Path) -> PathBuf {
    let stem = out
        .file_stem()
        .map(|s| s.to_string_lossy())
        .unwrap_or_default();
    let ext = out
        .extension()
        .map(|s| s.to_string_lossy())
        .unwrap_or_default();
    out.with_file_name(format!("{stem}-old.{ext}"))
}

/// The credit scenario: applicants to `out`, the older population to [`old_path`], the schema
/// to `<stem>.schema.toml`. Returns the older population and its path.
pub(crate) fn gen_credit(opts: &ScenarioArgs, out: &Path) -> Result<(Vec<Session>, PathBuf)> {
    let data = generate_credit(opts.credit());
    let schema = Schema::credit_default();
    let old = old_path(out);
    write_sessions(out, &data.users, &schema)?;
    write_sessions(&old, &data.old_users, &schema)?;
    let schema_path = out.with_extension("schema.toml");
    write_atomic(
        &schema_path,
        seqrisk_core::schema::CREDIT_SCHEMA_TOML.as_bytes(),
    )?;
    let rate = |s: &[Session]| {
        100.0 * s.iter().filter(|s| s.label == Some(true)).count() as f64 / s.len().max(1) as f64
    };
    eprintln!(
        "wrote {} applicants with behaviors ({:.1}% overdue) to {}, {} older profile-only applicants ({:.1}% overdue) to {} and their schema to {}",
        data.users.len(),
        rate(&data.users),
        out.display(),
        data.old_users.len(),
        rate(&data.old_users),
        old.display(),
        schema_path.display()
    );
    Ok((data.old_users, old))
}

/// The fraud scenario to `out`, its schema to `schema.toml` beside it.
pub(crate) fn gen_fraud(opts: &ScenarioArgs, out: &Path) -> Result<Vec<SyntheticSession>> {
    let cfg = opts.config()?;
    let schema = Schema::synthetic_default();
    let data = generate(cfg);
    if Format::from_path(out)? == Format::Jsonl {
        // the JSONL also names each session's planted pattern
        let mut s = String::new();
        for d in &data {
            s.push_str(&d.to_json_line(&schema));
            s.push('\n');
        }
        write_atomic(out, s.as_bytes())?;
    } else {
        let sessions: Vec<Session> = data.iter().map(|d| d.session.clone()).collect();
        write_sessions(out, &sessions, &schema)?;
    }
    let schema_path = out.with_file_name("schema.toml");
    write_atomic(
        &schema_path,
        seqrisk_core::schema::SYNTHETIC_SCHEMA_TOML.as_bytes(),
    )?;
    let pos = data
        .iter()
        .filter(|d| d.session.label == Some(true))
        .count();
    eprintln!(
        "wrote {} sessions ({pos} fraudulent, {:.1}%) to {} and their schema to {}",
        data.len(),
        100.0 * pos as f64 / data.len().max(1) as f64,
        out.display(),
        schema_path.display()
    );
    Ok(data)
}
