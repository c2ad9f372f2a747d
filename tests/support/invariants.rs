//! What every session that parsed must do, whatever produced it: the fuzz targets
//! (`fuzz/fuzz_targets/common.rs`) and the property tests (`tests/tests/cross/properties.rs`)
//! include this file by path, so the two hold the same invariant.

use seqrisk_core::schema::Session;
use seqrisk_core::scorer::Scorer;

/// A session `scorer`'s encoder accepts encodes to finite features and scores in (0, 1); one it
/// refuses is refused with an error. Anything else (a non-finite feature, a score outside
/// (0, 1)) panics, naming `what` (the input it came from).
pub fn holds_up(scorer: &Scorer, session: &Session, what: &str) {
    if scorer.encoder.check_session(session).is_err() {
        return;
    }
    let encoded = scorer.encoder.encode(session);
    assert!(
        encoded
            .event_value
            .iter()
            .chain(&encoded.profile_value)
            .all(|v| v.is_finite()),
        "non-finite features from {what}"
    );
    if let Ok(scores) = scorer.score(std::slice::from_ref(session)) {
        assert!(
            scores.iter().all(|s| s.score > 0.0 && s.score < 1.0),
            "{scores:?} from {what}"
        );
    }
}
