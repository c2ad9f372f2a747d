//! `seqrisk demo` (and no command): the default job on generated data.

use crate::files::write_atomic;
use crate::report;
use anyhow::Result;
use clap::Parser;

use crate::cli::generate::generate_into;
use crate::cli::train::{FitArgs, fit};
use crate::scenario::ScenarioArgs;
use std::path::PathBuf;

#[derive(Parser)]
pub(crate) struct DemoArgs {
    #[command(flatten)]
    pub(crate) scenario: ScenarioArgs,
    #[command(flatten)]
    pub(crate) fit: FitArgs,
    /// Output folder.
    #[arg(long, short, default_value = "seqrisk-out")]
    pub(crate) out: PathBuf,
}

pub(crate) fn run(a: DemoArgs) -> Result<()> {
    eprintln!(
        "seqrisk default job: synthetic data → {} → metrics, artifact, ROC plot",
        a.fit.model
    );
    let generated = generate_into(&a.scenario, &a.out.join("data"), a.fit.model)?;
    let outcome = fit(
        &generated.data,
        &generated.schema,
        &a.fit,
        (generated.old, None),
        None,
        &a.out,
    )?;
    if outcome
        .true_positives
        .first()
        .is_some_and(|tp| tp.explanation.weights.is_empty())
    {
        println!(
            "
{} gives no per-event explanations to hold against the planted patterns",
            a.fit.model
        );
        return Ok(());
    }
    // the file holds the generated sessions in order, so training's indices point into them
    let by_pattern = report::planted_by_pattern(&generated.fraud, &outcome.true_positives);
    println!("\nExplanations by planted pattern (true positives at FPR 1%)\n\n{by_pattern}");
    write_atomic(
        &a.out.join(format!("{}-explanations.md", a.fit.model)),
        by_pattern.as_bytes(),
    )
}
