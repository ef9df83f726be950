//! Disclosure control for anonymous readers: small numbers of people are never shown below
//! national level (DESIGN.md, "The rules behind every figure").
//!
//! - values in people of 1 to 7 are suppressed; other values in people are rounded to the nearest 5;
//! - means whose total sample size is under 8 are suppressed;
//! - counts of records and projects are never suppressed;
//! - totals are rounded on their own (no complementary suppression);
//! - national figures (no breakdown by place, organisation, project or funder) are exact.

/// Smallest number of people shown.
pub const MIN_PEOPLE: f64 = 8.0;
/// Smallest total sample size behind a mean that is shown.
pub const MIN_SAMPLE: i64 = 8;
/// People figures are rounded to a multiple of this.
pub const ROUND_TO: f64 = 5.0;

/// What a figure is, for the rules.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Figure {
    /// A number of people (a sum or a latest value of a people measure).
    People(f64),
    /// A weighted mean with the total sample size behind it.
    Mean { value: f64, sample: i64 },
    /// Anything else (hours, money, scores summed): shown as it is.
    Other(f64),
}

/// A figure as a reader may see it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Shown {
    /// `None` when suppressed.
    pub value: Option<f64>,
    pub suppressed: bool,
    pub rounded: bool,
}

impl Shown {
    pub fn exact(value: f64) -> Self {
        Self {
            value: Some(value),
            suppressed: false,
            rounded: false,
        }
    }

    const SUPPRESSED: Shown = Shown {
        value: None,
        suppressed: true,
        rounded: false,
    };
}

/// Whom a figure is shown to and at what level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    /// A key holder: every figure exact.
    Exact,
    /// The anonymous public: figures below national level are controlled.
    Public { national: bool },
}

/// Applies the rules to one figure.
pub fn show(figure: Figure, audience: Audience) -> Shown {
    let controlled = matches!(audience, Audience::Public { national: false });
    match figure {
        Figure::People(v) | Figure::Other(v) | Figure::Mean { value: v, .. } if !controlled => {
            Shown::exact(v)
        }
        Figure::People(v) if v > 0.0 && v < MIN_PEOPLE => Shown::SUPPRESSED,
        Figure::People(v) => Shown {
            value: Some((v / ROUND_TO).round() * ROUND_TO),
            suppressed: false,
            rounded: true,
        },
        Figure::Mean { sample, .. } if sample < MIN_SAMPLE => Shown::SUPPRESSED,
        Figure::Mean { value, .. } | Figure::Other(value) => Shown::exact(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PUBLIC: Audience = Audience::Public { national: false };

    #[test]
    fn people_at_the_boundaries() {
        assert_eq!(
            show(Figure::People(0.0), PUBLIC),
            Shown {
                value: Some(0.0),
                suppressed: false,
                rounded: true
            }
        );
        assert_eq!(show(Figure::People(1.0), PUBLIC), Shown::SUPPRESSED);
        assert_eq!(show(Figure::People(7.0), PUBLIC), Shown::SUPPRESSED);
        assert_eq!(show(Figure::People(8.0), PUBLIC).value, Some(10.0));
        assert_eq!(show(Figure::People(12.0), PUBLIC).value, Some(10.0));
        assert_eq!(show(Figure::People(12.5), PUBLIC).value, Some(15.0));
        assert_eq!(
            show(Figure::People(449_283.0), PUBLIC).value,
            Some(449_285.0)
        );
    }

    #[test]
    fn means_need_a_sample_of_eight() {
        let mean = |sample| Figure::Mean {
            value: 61.5,
            sample,
        };
        assert_eq!(show(mean(7), PUBLIC), Shown::SUPPRESSED);
        assert_eq!(show(mean(8), PUBLIC), Shown::exact(61.5));
    }

    #[test]
    fn national_figures_and_key_holders_are_exact() {
        let national = Audience::Public { national: true };
        assert_eq!(show(Figure::People(3.0), national), Shown::exact(3.0));
        assert_eq!(
            show(Figure::People(3.0), Audience::Exact),
            Shown::exact(3.0)
        );
        assert_eq!(
            show(
                Figure::Mean {
                    value: 1.0,
                    sample: 1
                },
                Audience::Exact
            ),
            Shown::exact(1.0)
        );
        assert_eq!(show(Figure::Other(3.0), PUBLIC), Shown::exact(3.0));
    }
}
