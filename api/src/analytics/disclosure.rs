//! Disclosure control for public figures (DESIGN.md, "The rules behind every figure"): the
//! cell-key method statistical agencies use for flexible table builders.
//!
//! Every outcome record has a secret key, 0-255 (`record_keys::record_key`); a cell's key is
//! the sum of its records' keys modulo 256. A published value is the exact value plus noise read
//! from a fixed table by the cell's value and key, so the same records always publish the same
//! value (asking again reveals nothing), while two cells that differ by a few records get
//! unrelated noise (subtracting them gives the difference plus the noise of both).
//!
//! - a cell of fewer than [`MIN_PROJECTS`] projects is withheld (and the published state leaves
//!   out the records of groups that small, so that no difference of cells gives them back:
//!   `published::Snapshot::keep_small_groups_out`);
//! - people: 0 is shown as it is, 1-7 are withheld, 8 or more get whole-number noise of at most
//!   ±min([`PEOPLE_NOISE`], value), never zero, zero on average;
//! - hours, money and other sums: multiplied by 1 ± at most [`RELATIVE_NOISE`] (never 1);
//! - weighted means: withheld (with their sample size) under a sample of [`MIN_SAMPLE`];
//!   otherwise a perturbed numerator over a perturbed denominator, which is also the sample size
//!   shown;
//! - counts of records and projects are shown as they are.
//!
//! Only the campaign's headline (its total and three beneficiary groups) is published exact.

/// Smallest number of people shown.
pub const MIN_PEOPLE: f64 = 8.0;
/// Smallest total sample size behind a mean that is shown.
pub const MIN_SAMPLE: i64 = 8;
/// Fewest contributing projects behind a public cell.
pub const MIN_PROJECTS: i64 = 3;
/// Largest noise added to a count of people.
pub const PEOPLE_NOISE: i64 = 25;
/// Largest relative noise on hours, money and the two parts of a mean.
pub const RELATIVE_NOISE: f64 = 0.05;
/// Cell keys run from 0 to `KEY_RANGE - 1`.
pub const KEY_RANGE: u32 = crate::record_keys::RECORD_KEY_RANGE;

/// A cell's key: the sum of its records' keys modulo [`KEY_RANGE`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct CellKey(pub u8);

impl CellKey {
    /// The key of a cell of records with these keys.
    pub fn of(keys: impl IntoIterator<Item = i16>) -> Self {
        let sum = keys
            .into_iter()
            .fold(0u32, |s, k| (s + u32::from(k.unsigned_abs())) % KEY_RANGE);
        CellKey(sum as u8)
    }

    /// Adds the keys of more records.
    pub fn with(self, key: i16) -> Self {
        CellKey(((u32::from(self.0) + u32::from(key.unsigned_abs())) % KEY_RANGE) as u8)
    }

    /// The key for a second figure of the same cell (its baseline, target or sample size), so
    /// that the figures of one cell get unrelated noise.
    pub fn salted(self, salt: u8) -> Self {
        CellKey(self.0.wrapping_add(salt.wrapping_mul(97)))
    }
}

/// What a figure is, for the rules.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Figure {
    /// A number of people (a sum or a latest value of a people measure).
    People(f64),
    /// A weighted mean with the total sample size behind it; `percent` means stay in 0-100.
    Mean {
        value: f64,
        sample: i64,
        percent: bool,
    },
    /// Anything else (hours, money, scores summed).
    Other(f64),
}

/// A figure as a reader may see it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Shown {
    /// `None` when withheld.
    pub value: Option<f64>,
    /// A mean's sample size as shown (perturbed with the mean; `None` when withheld).
    pub sample: Option<i64>,
    pub suppressed: bool,
    pub rounded: bool,
    pub perturbed: bool,
}

impl Shown {
    pub fn exact(value: f64) -> Self {
        Self {
            value: Some(value),
            sample: None,
            suppressed: false,
            rounded: false,
            perturbed: false,
        }
    }

    /// An exact figure with its sample size.
    pub fn exact_with(figure: Figure) -> Self {
        match figure {
            Figure::Mean { value, sample, .. } => Self {
                sample: Some(sample),
                ..Self::exact(value)
            },
            Figure::People(v) | Figure::Other(v) => Self::exact(v),
        }
    }

    pub const WITHHELD: Shown = Shown {
        value: None,
        sample: None,
        suppressed: true,
        rounded: false,
        perturbed: false,
    };

    fn perturbed(value: f64, sample: Option<i64>) -> Self {
        Self {
            value: Some(value),
            sample,
            suppressed: false,
            rounded: false,
            perturbed: true,
        }
    }
}

/// A fixed pseudo-random permutation of the keys (Fisher-Yates under a fixed generator): the
/// noise tables are read through it, so that neighbouring keys get unrelated noise.
fn shuffled() -> &'static [u8; 256] {
    static TABLE: std::sync::OnceLock<[u8; 256]> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = [0u8; 256];
        for (i, slot) in t.iter_mut().enumerate() {
            *slot = i as u8;
        }
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        for i in (1..256).rev() {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let j = ((state >> 33) % (i as u64 + 1)) as usize;
            t.swap(i, j);
        }
        t
    })
}

/// The people table: the noise for a count of `value` (8 or more) with cell key `key`. Its
/// column for a value holds each of ±1…±b (b = min(PEOPLE_NOISE, value)) about equally often,
/// a half of the keys mirroring the other: zero mean, never zero, never below −value.
pub fn people_noise(value: i64, key: CellKey) -> i64 {
    let bound = people_noise_bound(value);
    let slot = i64::from(shuffled()[usize::from(key.0)]);
    let magnitude = 1 + (slot % 128) % bound;
    if slot < 128 { magnitude } else { -magnitude }
}

/// The largest noise on a count of `value` people: min(value, PEOPLE_NOISE), at least 1.
pub fn people_noise_bound(value: i64) -> i64 {
    value.clamp(1, PEOPLE_NOISE)
}

/// The relative table: the factor − 1 for hours, money and means, in ±(1/64 … 1) ×
/// RELATIVE_NOISE, a half of the keys mirroring the other: zero mean, never zero.
pub fn relative_noise(key: CellKey) -> f64 {
    let slot = i64::from(shuffled()[usize::from(key.0)]);
    let magnitude = (1 + (slot % 128) % 64) as f64 / 64.0 * RELATIVE_NOISE;
    if slot < 128 { magnitude } else { -magnitude }
}

/// Whether a cell of `projects` projects holding `figure` is withheld from the public.
pub fn withheld(figure: Figure, projects: i64) -> bool {
    projects < MIN_PROJECTS
        || match figure {
            Figure::People(v) => v > 0.0 && v < MIN_PEOPLE,
            Figure::Mean { sample, .. } => sample < MIN_SAMPLE,
            Figure::Other(_) => false,
        }
}

/// A public cell: withheld, or perturbed by its key.
pub fn publish(figure: Figure, projects: i64, key: CellKey) -> Shown {
    if withheld(figure, projects) {
        return Shown::WITHHELD;
    }
    match figure {
        Figure::People(0.0) => Shown::exact(0.0),
        Figure::People(v) => {
            let count = v.round() as i64;
            Shown::perturbed((count + people_noise(count, key)) as f64, None)
        }
        Figure::Other(0.0) => Shown::exact(0.0),
        Figure::Other(v) => Shown::perturbed(v * (1.0 + relative_noise(key)), None),
        Figure::Mean {
            value,
            sample,
            percent,
        } => {
            let numerator = value * sample as f64 * (1.0 + relative_noise(key));
            let denominator = sample as f64 * (1.0 + relative_noise(key.salted(1)));
            let mean = numerator / denominator;
            let mean = if percent {
                mean.clamp(0.0, 100.0)
            } else {
                mean
            };
            Shown::perturbed(mean, Some(denominator.round() as i64))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEYS: std::ops::RangeInclusive<u8> = 0..=255;

    #[test]
    fn the_shuffle_is_a_permutation() {
        let mut seen = [false; 256];
        for k in shuffled() {
            seen[usize::from(*k)] = true;
        }
        assert!(seen.iter().all(|s| *s));
    }

    #[test]
    fn people_noise_is_zero_mean_bounded_and_never_zero() {
        for value in [8i64, 9, 12, 24, 25, 26, 100, 449_283] {
            let noise: Vec<i64> = KEYS.map(|k| people_noise(value, CellKey(k))).collect();
            let bound = value.min(PEOPLE_NOISE);
            assert_eq!(noise.iter().sum::<i64>(), 0, "zero mean at {value}");
            assert!(noise.iter().all(|n| *n != 0 && n.abs() <= bound), "{value}");
            assert!(noise.iter().all(|n| value + n >= 0));
            // Every magnitude up to the bound is used.
            for m in 1..=bound {
                assert!(noise.contains(&m) && noise.contains(&-m), "{value}: {m}");
            }
        }
        // The variance the README states: about (b + 1)(2b + 1) / 6.
        let var = KEYS
            .map(|k| (people_noise(1_000, CellKey(k)) as f64).powi(2))
            .sum::<f64>()
            / 256.0;
        assert!((var - 26.0 * 51.0 / 6.0).abs() < 15.0, "{var}");
    }

    #[test]
    fn relative_noise_is_zero_mean_and_bounded() {
        let noise: Vec<f64> = KEYS.map(|k| relative_noise(CellKey(k))).collect();
        assert!(noise.iter().sum::<f64>().abs() < 1e-12);
        assert!(
            noise
                .iter()
                .all(|n| *n != 0.0 && n.abs() <= RELATIVE_NOISE + 1e-12)
        );
    }

    #[test]
    fn the_same_cell_always_publishes_the_same_value() {
        let key = CellKey::of([17, 200, 45]);
        assert_eq!(key, CellKey(((17 + 200 + 45) % 256) as u8));
        let a = publish(Figure::People(130.0), 5, key);
        assert_eq!(a, publish(Figure::People(130.0), 5, key));
        assert!(a.perturbed && a.value != Some(130.0));
        // Another record, another key: other noise (for most keys).
        let differs = (0..=255u8)
            .filter(|k| publish(Figure::People(130.0), 5, key.with(i16::from(*k))).value != a.value)
            .count();
        assert!(differs > 240, "{differs}");
    }

    #[test]
    fn small_cells_and_few_projects_are_withheld() {
        let key = CellKey(3);
        assert_eq!(publish(Figure::People(0.0), 5, key), Shown::exact(0.0));
        assert_eq!(publish(Figure::People(1.0), 5, key), Shown::WITHHELD);
        assert_eq!(publish(Figure::People(7.0), 5, key), Shown::WITHHELD);
        assert!(publish(Figure::People(8.0), 5, key).perturbed);
        // Two projects: whatever the value.
        assert_eq!(publish(Figure::People(500.0), 2, key), Shown::WITHHELD);
        assert_eq!(publish(Figure::Other(81.0), 1, key), Shown::WITHHELD);
        let mean = |sample| Figure::Mean {
            value: 61.5,
            sample,
            percent: true,
        };
        // A withheld mean hides its sample size too.
        assert_eq!(publish(mean(7), 5, key).sample, None);
        let shown = publish(mean(57), 5, key);
        assert!(shown.perturbed && shown.sample.is_some());
        let v = shown.value.unwrap_or_default();
        assert!((v - 61.5).abs() <= 61.5 * 0.11, "{v}");
    }

    #[test]
    fn hmac_matches_rfc_4231() {
        // Test case 2 of RFC 4231: the record keys are the first byte of this.
        let mac = crate::digest::hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            crate::digest::hex(&mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        let id = uuid::Uuid::nil();
        assert_eq!(
            crate::record_keys::record_key(b"secret", id),
            crate::record_keys::record_key(b"secret", id)
        );
    }
}
