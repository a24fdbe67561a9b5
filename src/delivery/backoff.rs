//! When to try again: the configured delays (`delivery.retry_backoff_secs`,
//! n delays for n + 1 attempts) stretched by a little jitter, so endpoints
//! that fail together are not retried in lockstep. A pure rule.

use chrono::Duration;

/// At most this share of a delay is added as jitter.
pub const JITTER: f64 = 0.2;

/// The wait before the next attempt after `attempts_made` attempts, or
/// `None` when that was the last one. `unit` is a random number in [0, 1).
pub fn next_delay(schedule: &[f64], attempts_made: u32, unit: f64) -> Option<Duration> {
    let i = usize::try_from(attempts_made.checked_sub(1)?).ok()?;
    let base = *schedule.get(i)?;
    let secs = base * (1.0 + JITTER * unit.clamp(0.0, 1.0));
    // Microseconds, as every stored instant.
    Some(Duration::microseconds((secs * 1_000_000.0).round() as i64))
}

/// How many attempts the schedule allows in all.
pub fn max_attempts(schedule: &[f64]) -> u32 {
    u32::try_from(schedule.len())
        .unwrap_or(u32::MAX)
        .saturating_add(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn n_delays_make_n_plus_one_attempts() {
        let s = [5.0, 30.0, 120.0];
        assert_eq!(max_attempts(&s), 4);
        assert_eq!(
            next_delay(&s, 0, 0.0),
            None,
            "no attempt yet: nothing to wait for"
        );
        assert_eq!(next_delay(&s, 1, 0.0), Some(Duration::seconds(5)));
        assert_eq!(next_delay(&s, 2, 0.0), Some(Duration::seconds(30)));
        assert_eq!(next_delay(&s, 3, 0.0), Some(Duration::seconds(120)));
        assert_eq!(
            next_delay(&s, 4, 0.0),
            None,
            "the fourth attempt was the last"
        );
        assert_eq!(next_delay(&[], 1, 0.5), None);
        assert_eq!(max_attempts(&[]), 1);
    }

    #[test]
    fn jitter_stretches_by_at_most_a_fifth() {
        let s = [10.0];
        assert_eq!(next_delay(&s, 1, 0.5), Some(Duration::seconds(11)));
        let most = next_delay(&s, 1, 0.999_999).unwrap_or_default();
        assert!(most < Duration::seconds(12) && most > Duration::seconds(11));
        // Out-of-range randomness is clamped, never a negative wait.
        assert_eq!(next_delay(&s, 1, -3.0), Some(Duration::seconds(10)));
        assert_eq!(next_delay(&s, 1, 7.0), Some(Duration::seconds(12)));
    }

    #[test]
    fn fractions_of_a_second_are_kept() {
        assert_eq!(
            next_delay(&[0.05, 0.1], 2, 0.0),
            Some(Duration::milliseconds(100))
        );
    }
}
