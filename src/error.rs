//! Errors a user can act on: each names the file, the place in it, the key and
//! what would have been accepted. Bad input exits 2, I/O trouble exits 1.

use std::fmt;
use std::path::{Path, PathBuf};

/// One problem in a scenario (or sweep) file, located to line and column.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub file: String,
    /// 1-based; 0 when the problem is not in the file (e.g. a command-line override).
    pub line: usize,
    pub col: usize,
    /// Dotted key the problem is about, empty for syntax errors.
    pub key: String,
    pub message: String,
    /// The offending source line, shown under the message.
    pub source_line: Option<String>,
}

impl Diagnostic {
    pub fn at(file: &str, text: &str, offset: usize, key: &str, message: String) -> Self {
        let offset = offset.min(text.len());
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let col = text[line_start..offset].chars().count() + 1;
        let source_line = text[line_start..].lines().next().map(str::to_string);
        Diagnostic {
            file: file.to_string(),
            line,
            col,
            key: key.to_string(),
            message,
            source_line,
        }
    }

    /// A problem with no place in the file, such as a bad `--months` value.
    pub fn unplaced(file: &str, key: &str, message: String) -> Self {
        Diagnostic {
            file: file.to_string(),
            line: 0,
            col: 0,
            key: key.to_string(),
            message,
            source_line: None,
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "{}:{}:{}: ", self.file, self.line, self.col)?;
        } else {
            write!(f, "{}: ", self.file)?;
        }
        if !self.key.is_empty() {
            write!(f, "`{}`: ", self.key)?;
        }
        write!(f, "{}", self.message)?;
        if let Some(src) = &self.source_line {
            let (shown, col) = excerpt(src, self.col);
            let gutter = self.line.to_string().len();
            write!(
                f,
                "\n {:gutter$} |\n {} | {}\n {:gutter$} | {:>col$}",
                "", self.line, shown, "", "^",
            )?;
        }
        Ok(())
    }
}

/// Characters of a source line shown on each side of the problem.
const EXCERPT_HALF: usize = 60;

/// A long source line cut to a window around 1-based `col`, with the caret's new
/// column: a hostile one-line file must not produce a megabyte of error message.
fn excerpt(src: &str, col: usize) -> (String, usize) {
    let chars: Vec<char> = src.chars().collect();
    if chars.len() <= 2 * EXCERPT_HALF {
        return (src.to_string(), col);
    }
    let at = col.saturating_sub(1).min(chars.len());
    let start = at.saturating_sub(EXCERPT_HALF);
    let end = (at + EXCERPT_HALF).min(chars.len());
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    out.extend(&chars[start..end]);
    if end < chars.len() {
        out.push('…');
    }
    (out, at - start + 1 + usize::from(start > 0))
}

/// Everything that can stop a command.
#[derive(Debug)]
pub enum Error {
    /// The input (scenario, sweep file, arguments) is invalid: exit code 2.
    Invalid(Vec<Diagnostic>),
    /// A usage problem that is not in a file: exit code 2.
    Usage(String),
    /// Reading or writing failed: exit code 1.
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    /// Anything else the user must fix outside the input (e.g. a result exists): exit 1.
    Refused(String),
}

impl Error {
    pub fn io(action: &'static str, path: &Path, source: std::io::Error) -> Self {
        Error::Io {
            action,
            path: path.to_path_buf(),
            source,
        }
    }

    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Invalid(_) | Error::Usage(_) => 2,
            Error::Io { .. } | Error::Refused(_) => 1,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Invalid(diags) => {
                for (i, d) in diags.iter().enumerate() {
                    if i > 0 {
                        writeln!(f)?;
                    }
                    write!(f, "error: {d}")?;
                }
                let n = diags.len();
                write!(
                    f,
                    "\n{n} problem{} found; nothing was run",
                    if n == 1 { "" } else { "s" }
                )
            }
            Error::Usage(m) => write!(f, "error: {m}"),
            Error::Io {
                action,
                path,
                source,
            } => write!(f, "error: cannot {action} {}: {source}", path.display()),
            Error::Refused(m) => write!(f, "error: {m}"),
        }
    }
}

impl std::error::Error for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The closest candidate to a misspelt name, if it is close enough to be a typo.
pub fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_is_line_and_column() {
        let text = "a = 1\n[ccg]\npractices = -3\n";
        let off = text.find("-3").unwrap();
        let d = Diagnostic::at("x.toml", text, off, "ccg.practices", "bad".into());
        assert_eq!((d.line, d.col), (3, 13));
        assert!(
            d.to_string()
                .starts_with("x.toml:3:13: `ccg.practices`: bad")
        );
    }

    #[test]
    fn long_lines_are_cut_around_the_problem() {
        let text = format!("a = {}x{}\n", "[".repeat(5000), "]".repeat(5000));
        let off = text.find('x').unwrap();
        let d = Diagnostic::at("x.toml", &text, off, "", "bad".into());
        let shown = d.to_string();
        assert!(shown.len() < 600, "{} bytes", shown.len());
        // The caret still points at the `x`.
        let lines: Vec<&str> = shown.lines().collect();
        let src = lines[2].split_once(" | ").unwrap().1;
        let caret = lines[3].split_once(" | ").unwrap().1;
        let at = caret.chars().count() - 1;
        assert_eq!(src.chars().nth(at), Some('x'));
    }

    #[test]
    fn nearest_finds_typos_only() {
        let keys = ["sanctions", "peer_review", "lmc_engagement"];
        assert_eq!(nearest("sanctons", keys), Some("sanctions"));
        assert_eq!(nearest("zzz", keys), None);
    }
}
