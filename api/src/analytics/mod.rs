//! The figures people rely on: campaign progress and impact aggregates, computed by the rules of
//! DESIGN.md ("The rules behind every figure"), with disclosure control for anonymous readers.

pub mod disclosure;
pub mod engine;
pub mod funder;
pub mod impact;
pub mod progress;
pub mod published;
pub mod returns;
pub mod totals;
