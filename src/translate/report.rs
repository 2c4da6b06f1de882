//! What a translation could not honour exactly: fields reported as unsupported (set, but
//! without effect on Kubernetes) and fields honoured only approximately. Both end up in the
//! TaskDefinition's `Accepted` condition and `status.unsupportedFields`; nothing set is
//! dropped silently (design.md, "Spec shape").

use crate::api::UnsupportedField;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Report {
    pub unsupported: Vec<UnsupportedField>,
    pub approximated: Vec<UnsupportedField>,
}

impl Report {
    pub fn unsupported(&mut self, field: impl Into<String>, reason: impl Into<String>) {
        push_unique(&mut self.unsupported, field.into(), reason.into());
    }

    pub fn approximated(&mut self, field: impl Into<String>, reason: impl Into<String>) {
        push_unique(&mut self.approximated, field.into(), reason.into());
    }
}

fn push_unique(list: &mut Vec<UnsupportedField>, field: String, reason: String) {
    if !list.iter().any(|f| f.field == field && f.reason == reason) {
        list.push(UnsupportedField { field, reason });
    }
}
