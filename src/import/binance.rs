//! TODO
use super::{Cx, Entry, Sheet};
pub(crate) fn matches(_h: &[String]) -> bool {
    false
}
pub(crate) fn parse(_sheet: &Sheet, _cx: &mut Cx) -> Vec<Entry> {
    Vec::new()
}
