//! Files partners and funders send: outcome CSVs and 360Giving grant files.

pub mod dates;
pub mod giving360;
pub mod grants;
pub mod outcomes;

/// How far an import has got, for a progress bar.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    pub done: u64,
    pub total: u64,
}
