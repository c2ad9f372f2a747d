//! Library errors worded for the command line: the library names a setting as its options
//! struct spells it ([`InvalidParam`]); a command that took it from a flag names the flag.

use seqrisk_core::error::InvalidParam;

/// `e` worded with the flag that set the setting it names: `--` and the name in kebab case, or
/// the flag `renamed` gives for it. Any other error passes as it is.
pub fn as_flags(e: seqrisk_core::Error, renamed: &[(&str, &str)]) -> anyhow::Error {
    match e {
        seqrisk_core::Error::Param(p) => anyhow::anyhow!(
            "--{} must be {}, got {}",
            flag(&p, renamed),
            p.expected,
            p.got
        ),
        other => other.into(),
    }
}

fn flag(p: &InvalidParam, renamed: &[(&str, &str)]) -> String {
    renamed
        .iter()
        .find(|(name, _)| *name == p.name)
        .map_or_else(|| p.name.replace('_', "-"), |(_, flag)| (*flag).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_flag_of_the_setting() {
        let e = InvalidParam::new("learning_rate", "a positive number", -1.0);
        assert_eq!(
            as_flags(e.clone().into(), &[]).to_string(),
            "--learning-rate must be a positive number, got -1"
        );
        let e = InvalidParam::new("min_precision", "between 0 and 1", 2);
        assert_eq!(
            as_flags(e.into(), &[("min_precision", "rule-precision")]).to_string(),
            "--rule-precision must be between 0 and 1, got 2"
        );
        // other errors pass unchanged
        let other = seqrisk_core::Error::Model("no".into());
        assert_eq!(as_flags(other, &[]).to_string(), "model: no");
    }
}
