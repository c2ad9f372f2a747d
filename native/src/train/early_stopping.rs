//! Early stopping on the validation AUC, as a small type of its own (burn-train keeps its
//! `MetricEarlyStoppingStrategy` so): it remembers the best epoch and says, after each
//! epoch, whether that epoch is the new best, whether to wait, or whether to stop.

/// What an epoch's validation AUC means for training.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The best epoch so far: keep its weights.
    Improved,
    /// Not better, but fewer than `patience` epochs since the best.
    Wait,
    /// `patience` epochs without a better AUC: stop.
    Stop,
}

/// Stop after `patience` epochs whose validation AUC does not beat the best by more than
/// `min_delta`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EarlyStopping {
    patience: usize,
    min_delta: f64,
    /// The best AUC and its epoch.
    best: Option<(f64, usize)>,
}

impl EarlyStopping {
    /// No epoch seen yet.
    pub fn new(patience: usize, min_delta: f64) -> Self {
        Self {
            patience,
            min_delta,
            best: None,
        }
    }

    /// Where a resumed run left off: its best AUC and epoch.
    pub fn resumed(patience: usize, min_delta: f64, best_auc: f64, best_epoch: usize) -> Self {
        Self {
            best: Some((best_auc, best_epoch)),
            ..Self::new(patience, min_delta)
        }
    }

    /// The best AUC and its epoch so far.
    pub fn best(&self) -> Option<(f64, usize)> {
        self.best
    }

    /// Record epoch `epoch`'s validation AUC. The first epoch is always the best so far (even
    /// with an undefined, NaN AUC, as on a validation split of one class, where every epoch's
    /// is); a later one must beat the best by more than `min_delta`.
    pub fn observe(&mut self, epoch: usize, auc: f64) -> Verdict {
        // `a > b` is false for a NaN AUC: never better than a best
        let better = self
            .best
            .is_none_or(|(best, _)| auc > best + self.min_delta);
        if better {
            self.best = Some((auc, epoch));
            return Verdict::Improved;
        }
        match self.best {
            Some((_, best_epoch)) if epoch - best_epoch >= self.patience => Verdict::Stop,
            _ => Verdict::Wait,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Patience 2, min_delta 0.01: 0.70 (best), 0.705 (not better by more than 0.01: wait),
    /// 0.72 (best), 0.71 and 0.715 (two epochs without: stop at epoch 5).
    #[test]
    fn stops_after_patience_epochs_without_a_better_auc() {
        let mut es = EarlyStopping::new(2, 0.01);
        let verdicts: Vec<Verdict> = [0.70, 0.705, 0.72, 0.71, 0.715]
            .iter()
            .enumerate()
            .map(|(i, &auc)| es.observe(i + 1, auc))
            .collect();
        assert_eq!(
            verdicts,
            [
                Verdict::Improved,
                Verdict::Wait,
                Verdict::Improved,
                Verdict::Wait,
                Verdict::Stop
            ]
        );
        assert_eq!(es.best(), Some((0.72, 3)));
    }

    /// A NaN AUC (a validation split of one class) is the best only when nothing came before;
    /// a resumed run counts patience from its best epoch.
    #[test]
    fn nan_and_resumed_runs() {
        let mut es = EarlyStopping::new(1, 0.0);
        assert_eq!(es.observe(1, f64::NAN), Verdict::Improved);
        assert!(es.best().unwrap().0.is_nan());
        let mut es = EarlyStopping::new(3, 0.0);
        assert_eq!(es.observe(1, 0.6), Verdict::Improved);
        assert_eq!(es.observe(2, f64::NAN), Verdict::Wait);
        let mut resumed = EarlyStopping::resumed(2, 0.0, 0.8, 4);
        assert_eq!(resumed.observe(5, 0.79), Verdict::Wait);
        assert_eq!(resumed.observe(6, 0.8), Verdict::Stop);
        assert_eq!(resumed.best(), Some((0.8, 4)));
    }
}
