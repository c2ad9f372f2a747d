//! Calendar fields of a Unix time (UTC) and LBSF's periodic time embedding, Eq. (2).

use std::f64::consts::PI;

/// The calendar fields of a moment, in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Civil {
    /// Month, 1 (January) … 12.
    pub month: i64,
    /// Day of the month, 1 … 31.
    pub day: i64,
    /// Weekday, 1 (Monday) … 7.
    pub weekday: i64,
    /// Hour of the day, 0 … 23.
    pub hour: i64,
}

impl Civil {
    /// The calendar fields of Unix time `ts` (seconds), by the civil-from-days algorithm of
    /// H. Hinnant's "chrono-Compatible Low-Level Date Algorithms".
    pub(crate) fn of(ts: f64) -> Self {
        let seconds = ts.floor() as i64;
        let days = seconds.div_euclid(86_400);
        let hour = seconds.rem_euclid(86_400) / 3600;
        // 1970-01-01 was a Thursday (weekday 4)
        let weekday = (days + 3).rem_euclid(7) + 1;
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        Self {
            month,
            day,
            weekday,
            hour,
        }
    }
}

/// Width of [`periodic_time`]: a (cos, sin) pair for each of month, day, weekday and hour.
pub const TIME_FEATURES: usize = 8;

/// LBSF Eq. (2), `φ(t, T) = (cos 2πt/T, sin 2πt/T)`, for the month (`T` = 12), the day of the
/// month (`T` = 31), the weekday (`T` = 7) and the hour (`T` = 24) of `ts`, concatenated in
/// that order. 23:00 and 00:00 land next to each other, as the paper wants.
pub fn periodic_time(ts: f64) -> [f32; TIME_FEATURES] {
    let c = Civil::of(ts);
    let mut out = [0.0; TIME_FEATURES];
    for (k, (t, period)) in [(c.month, 12), (c.day, 31), (c.weekday, 7), (c.hour, 24)]
        .into_iter()
        .enumerate()
    {
        let angle = 2.0 * PI * t as f64 / period as f64;
        out[2 * k] = angle.cos() as f32;
        out[2 * k + 1] = angle.sin() as f32;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_fields_of_known_moments() {
        // 2026-11-24T17:30:00Z is a Tuesday
        let c = Civil::of(1_795_541_400.0);
        assert_eq!((c.month, c.day, c.weekday, c.hour), (11, 24, 2, 17));
        // 2024-02-29T00:00:00Z, a leap day, a Thursday
        let c = Civil::of(1_709_164_800.0);
        assert_eq!((c.month, c.day, c.weekday, c.hour), (2, 29, 4, 0));
        // one second before the epoch: 1969-12-31T23:59:59Z, a Wednesday
        let c = Civil::of(-1.0);
        assert_eq!((c.month, c.day, c.weekday, c.hour), (12, 31, 3, 23));
    }

    #[test]
    fn periodic_time_by_hand() {
        // 2026-11-24T18:00:00Z: month 11, day 24, Tuesday (2), hour 18
        let phi = periodic_time(1_795_543_200.0);
        let pair = |t: f64, period: f64| {
            let a = 2.0 * PI * t / period;
            [a.cos() as f32, a.sin() as f32]
        };
        let expected: Vec<f32> = [
            pair(11.0, 12.0),
            pair(24.0, 31.0),
            pair(2.0, 7.0),
            pair(18.0, 24.0),
        ]
        .concat();
        assert_eq!(phi.to_vec(), expected);
        // hour 18 of 24 is three quarters round: (cos, sin) = (0, −1)
        assert!(phi[6].abs() < 1e-6 && (phi[7] + 1.0).abs() < 1e-6);
        // 23:00 sits closer to 00:00 than to 12:00
        let h = |ts: f64| {
            let p = periodic_time(ts);
            (p[6], p[7])
        };
        let dist =
            |a: (f32, f32), b: (f32, f32)| ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt();
        let (h23, h0, h12) = (h(82_800.0), h(86_400.0), h(43_200.0));
        assert!(dist(h23, h0) < dist(h23, h12));
    }
}
