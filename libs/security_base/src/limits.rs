//! Input limits: every mutating endpoint checks sizes and counts first and answers a typed
//! [`Error::InvalidInput`], so bad input changes nothing and cannot exhaust memory.

use interfaces::{Error, InputProblem};

/// Text of at most `max_chars` characters (Unicode scalar values, what a user counts).
pub fn text(field: &str, value: &str, max_chars: usize) -> Result<(), Error> {
    // Bytes bound chars from above; only count when the cheap check is inconclusive.
    if value.len() <= max_chars {
        return Ok(());
    }
    let chars = value.chars().count();
    if chars > max_chars {
        return Err(Error::invalid(
            field,
            InputProblem::TooLong {
                max: max_chars as u64,
                actual: chars as u64,
            },
        ));
    }
    Ok(())
}

/// Like [`text`], and not empty or only white space.
pub fn non_empty_text(field: &str, value: &str, max_chars: usize) -> Result<(), Error> {
    if value.trim().is_empty() {
        return Err(Error::invalid(field, InputProblem::Empty));
    }
    text(field, value, max_chars)
}

/// A list of at most `max` items.
pub fn count(field: &str, actual: usize, max: usize) -> Result<(), Error> {
    if actual > max {
        return Err(Error::invalid(
            field,
            InputProblem::TooMany {
                max: max as u64,
                actual: actual as u64,
            },
        ));
    }
    Ok(())
}

/// A requested page size: `default` when absent, at most `max`, never zero.
pub fn page_size(requested: Option<u32>, default: u32, max: u32) -> Result<u32, Error> {
    match requested {
        None => Ok(default.min(max)),
        Some(0) => Err(Error::invalid("page_size", InputProblem::Empty)),
        Some(n) if n > max => Err(Error::invalid(
            "page_size",
            InputProblem::TooMany {
                max: max as u64,
                actual: n as u64,
            },
        )),
        Some(n) => Ok(n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_counts_characters_not_bytes() {
        assert_eq!(text("title", "ééé", 3), Ok(()));
        assert_eq!(
            text("title", "éééé", 3),
            Err(Error::invalid(
                "title",
                InputProblem::TooLong { max: 3, actual: 4 }
            ))
        );
    }

    #[test]
    fn non_empty_refuses_blank() {
        assert_eq!(
            non_empty_text("name", "  \n", 10),
            Err(Error::invalid("name", InputProblem::Empty))
        );
        assert_eq!(non_empty_text("name", "a", 10), Ok(()));
    }

    #[test]
    fn counts_and_pages_are_capped() {
        assert_eq!(count("attendees", 3, 3), Ok(()));
        assert!(count("attendees", 4, 3).is_err());
        assert_eq!(page_size(None, 50, 200), Ok(50));
        assert_eq!(page_size(Some(200), 50, 200), Ok(200));
        assert!(page_size(Some(201), 50, 200).is_err());
        assert!(page_size(Some(0), 50, 200).is_err());
    }
}
