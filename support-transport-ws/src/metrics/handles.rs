//! [`Handles`]: metric handles registered once per label set, for what is measured on every
//! request or call but whose labels are only known then (a route template, a status, a store
//! operation, an event name).
//!
//! Registering a handle with the recorder (`counter!(name, labels…)`) builds and hashes a key
//! and looks it up in the recorder's registry, allocating the labels; recording through a
//! handle is an atomic operation. The label sets are bounded (see the table in
//! [`metrics`](super)), so each is registered once, on first use, with the recorder installed
//! then, and the handle is kept here.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::RwLock;

/// Handles (`Counter`, `Histogram`, or a tuple of them) by label set `K`.
pub(crate) struct Handles<K, H> {
    by_labels: RwLock<HashMap<K, H>>,
}

impl<K, H> Default for Handles<K, H> {
    fn default() -> Self {
        Handles {
            by_labels: RwLock::new(HashMap::new()),
        }
    }
}

impl<K, H> std::fmt::Debug for Handles<K, H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handles").finish_non_exhaustive()
    }
}

impl<K: Eq + Hash, H: Clone> Handles<K, H> {
    /// The handle of `labels`, registered by `register` the first time they are seen.
    pub(crate) fn get<Q>(&self, labels: &Q, register: impl FnOnce() -> (K, H)) -> H
    where
        K: Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        // A poisoned lock only means a registration panicked: the map is still whole.
        let known = self
            .by_labels
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(labels)
            .cloned();
        if let Some(handle) = known {
            return handle;
        }
        let (key, handle) = register();
        self.by_labels
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(key)
            .or_insert(handle)
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_label_set_is_registered_once() {
        let handles: Handles<&'static str, u32> = Handles::default();
        let mut registered = 0;
        for _ in 0..3 {
            let got = handles.get("append_message", || {
                registered += 1;
                ("append_message", 7)
            });
            assert_eq!(got, 7);
        }
        assert_eq!(registered, 1);
        assert_eq!(handles.get("ticket", || ("ticket", 8)), 8);
    }
}
