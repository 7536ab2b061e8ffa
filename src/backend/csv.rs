//! A bounded RFC 4180 CSV reader (quoted fields with `""` escapes, CRLF or LF line ends,
//! newlines inside quotes), for the parameter dumps the replay backend loads.

use core::fmt;

/// Largest file accepted.
pub const MAX_CSV_BYTES: usize = 32 * 1024 * 1024;

/// A malformed CSV file, with the record number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvError {
    pub record: usize,
    pub message: &'static str,
}

impl fmt::Display for CsvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "record {}: {}", self.record, self.message)
    }
}

/// Parses the whole text into records of fields.
pub fn parse(text: &str) -> Result<Vec<Vec<String>>, CsvError> {
    if text.len() > MAX_CSV_BYTES {
        return Err(CsvError { record: 0, message: "file too large" });
    }
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    let mut field_started = false;
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                c => field.push(c),
            }
            continue;
        }
        match c {
            '"' if !field_started => {
                quoted = true;
                field_started = true;
            }
            ',' => {
                record.push(std::mem::take(&mut field));
                field_started = false;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                record.push(std::mem::take(&mut field));
                field_started = false;
                records.push(std::mem::take(&mut record));
            }
            c => {
                field.push(c);
                field_started = true;
            }
        }
    }
    if quoted {
        return Err(CsvError { record: records.len() + 1, message: "unterminated quote" });
    }
    if field_started || !record.is_empty() {
        record.push(field);
        records.push(record);
    }
    Ok(records)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        let r = parse("a,b,c\r\n\"x, y\",\"he said \"\"hi\"\"\",\n\"multi\nline\",2,3").unwrap();
        assert_eq!(r[1], vec!["x, y", "he said \"hi\"", ""]);
        assert_eq!(r[2][0], "multi\nline");
        assert!(parse("\"open").is_err());
    }
}
