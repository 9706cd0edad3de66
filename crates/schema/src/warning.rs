//! What a reviewer is warned of, op by op: the destructive changes
//! ([`crate::destructive_changes`]) and the lock risks
//! ([`crate::lock_risks`]) together, for the report, the revision file and
//! `--sql` alike.

use std::fmt;

use crate::{DestructiveChange, LockRisk};

/// A change that can lose data (`AG1xx`) or take a long lock on a live
/// table (`AG2xx`), with the op it is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Warning {
    /// A destructive change.
    Destructive(DestructiveChange),
    /// A lock risk.
    Lock(LockRisk),
}

impl Warning {
    /// The position of the op it is about.
    pub fn op(&self) -> usize {
        match self {
            Warning::Destructive(change) => change.op,
            Warning::Lock(risk) => risk.op,
        }
    }

    /// `destructive`, then `locking`, ordered by op (what can lose data
    /// first, for each op).
    pub fn of(destructive: &[DestructiveChange], locking: Vec<LockRisk>) -> Vec<Warning> {
        let mut warnings: Vec<Warning> = destructive.iter().cloned().map(Warning::Destructive).collect();
        warnings.extend(locking.into_iter().map(Warning::Lock));
        warnings.sort_by_key(Warning::op);
        warnings
    }
}

impl fmt::Display for Warning {
    /// `AG102 drops column 'user.bio' and its values`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::Destructive(change) => change.fmt(f),
            Warning::Lock(risk) => risk.fmt(f),
        }
    }
}
