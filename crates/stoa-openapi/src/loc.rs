//! Locations in a document for error messages, as a borrowed linked list on the stack so
//! walking a schema costs no allocation; rendered (`paths./pets.get.parameters[0]`) only when
//! an error is reported.

use std::fmt;

#[derive(Clone, Copy, Debug)]
pub(crate) enum Loc<'a> {
    Root(&'a str),
    Key(&'a Loc<'a>, &'a str),
    Index(&'a Loc<'a>, usize),
}

impl Loc<'_> {
    fn is_empty(&self) -> bool {
        matches!(self, Loc::Root(s) if s.is_empty())
    }
}

impl fmt::Display for Loc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Loc::Root(s) => f.write_str(s),
            Loc::Key(parent, key) => {
                parent.fmt(f)?;
                if !parent.is_empty() {
                    f.write_str(".")?;
                }
                f.write_str(key)
            }
            Loc::Index(parent, index) => {
                parent.fmt(f)?;
                write!(f, "[{index}]")
            }
        }
    }
}

#[cfg(test)]
mod tests;
