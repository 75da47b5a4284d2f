//! Errors a user can act on: each names the file, the place in it, the key and
//! what would have been accepted. Bad input exits 2, I/O trouble exits 1.

use std::fmt;

/// `eprintln!` that ignores a closed or failing stderr (`ccgsim run … 2>&1 | true`)
/// instead of panicking: warnings and progress lines are not worth a crash.
#[macro_export]
macro_rules! warnln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// `println!` that ignores a closed stdout (`ccgsim … | head`).
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}
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
    /// A problem at byte `offset` of `text`. Inside [`with_line_index`] for the
    /// same text the line is found by binary search in precomputed line starts,
    /// so a file with many problems is checked in linear time.
    pub fn at(file: &str, text: &str, offset: usize, key: &str, message: String) -> Self {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let (line, line_start) = LINE_INDEX.with(|ix| {
            let ix = ix.borrow();
            match ix.last() {
                Some(li) if li.is_for(text) => {
                    let i = li.starts.partition_point(|&s| s <= offset);
                    (i, li.starts[i - 1])
                }
                _ => {
                    let before = &text[..offset];
                    (
                        before.matches('\n').count() + 1,
                        before.rfind('\n').map_or(0, |i| i + 1),
                    )
                }
            }
        });
        let col = text[line_start..offset].chars().count() + 1;
        // Only the part of the line shown in messages is kept (see `excerpt`):
        // 20,000 problems on one long line must not each copy the line.
        let line_end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
        let line_text = text[line_start..line_end].trim_end_matches('\r');
        let at = (offset - line_start).min(line_text.len());
        let from = line_text[..at]
            .char_indices()
            .rev()
            .nth(EXCERPT_HALF - 1)
            .map_or(0, |(i, _)| i);
        let to = line_text[at..]
            .char_indices()
            .nth(EXCERPT_HALF)
            .map_or(line_text.len(), |(i, _)| at + i);
        let mut window = String::new();
        if from > 0 {
            window.push('…');
        }
        window.push_str(&line_text[from..to]);
        if to < line_text.len() {
            window.push('…');
        }
        let source_line = Some(window);
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
            write!(
                f,
                "{}:{}:{}: ",
                escape_controls(&self.file),
                self.line,
                self.col
            )?;
        } else {
            write!(f, "{}: ", escape_controls(&self.file))?;
        }
        if !self.key.is_empty() {
            write!(f, "`{}`: ", escape_controls(&self.key))?;
        }
        write!(f, "{}", escape_controls(&self.message))?;
        if let Some(src) = &self.source_line {
            // `at` stored the line already cut to a window around the column;
            // a window cut at its start has the caret at EXCERPT_HALF + 2.
            let col = if src.starts_with('…') && self.col > EXCERPT_HALF + 1 {
                EXCERPT_HALF + 2
            } else {
                self.col
            };
            let shown = src;
            let shown = escape_controls(shown);
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

/// Line starts of one text, valid while [`with_line_index`] runs.
struct LineIndex {
    ptr: usize,
    len: usize,
    starts: Vec<usize>,
}

impl LineIndex {
    fn is_for(&self, text: &str) -> bool {
        self.ptr == text.as_ptr() as usize && self.len == text.len()
    }
}

thread_local! {
    static LINE_INDEX: std::cell::RefCell<Vec<LineIndex>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Run `f` with the line starts of `text` computed once, so every
/// [`Diagnostic::at`] on `text` inside `f` costs a binary search instead of a
/// scan from the start of the file (40,000 problems in a 16 MB file: quadratic
/// before, linear now). Nests: a sweep file's `base` scenario gets its own.
pub fn with_line_index<T>(text: &str, f: impl FnOnce() -> T) -> T {
    struct Pop;
    impl Drop for Pop {
        fn drop(&mut self) {
            LINE_INDEX.with(|ix| ix.borrow_mut().pop());
        }
    }
    let starts = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    LINE_INDEX.with(|ix| {
        ix.borrow_mut().push(LineIndex {
            ptr: text.as_ptr() as usize,
            len: text.len(),
            starts,
        })
    });
    let _pop = Pop;
    f()
}

/// Text for a terminal or log: control characters (ANSI escapes, carriage
/// returns, bells) are shown as `\u{1b}`-style escapes, never sent raw.
pub fn escape_controls(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(|c| c.is_control() && c != '\t') {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c.is_control() && c != '\t' {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Most problems listed in one message; the rest are counted ("and N more").
pub const MAX_SHOWN_PROBLEMS: usize = 20;

/// Largest scenario, sweep or base file read (a guard against a wrong path,
/// a data file, or an endless device such as /dev/zero).
pub const MAX_INPUT_BYTES: u64 = 16 << 20;

/// Read a text input file through a byte limit. Only regular files are read:
/// a FIFO, device or folder is refused before it is opened (a FIFO would block,
/// /dev/zero would never end). Invalid UTF-8 is an input error located at the
/// first bad byte's line and column (exit 2).
pub fn read_input(path: &Path, what: &'static str, limit: u64) -> Result<String> {
    let file = path.display().to_string();
    let refuse = |m: String| Error::Invalid(vec![Diagnostic::unplaced(&file, "", m)]);
    let meta = std::fs::metadata(path).map_err(|e| Error::io(what, path, e))?;
    if meta.is_dir() {
        return Err(refuse(format!(
            "is a folder, not a {} file",
            what.trim_start_matches("read ")
        )));
    }
    if !meta.is_file() {
        return Err(refuse(
            "is not a regular file (a pipe, socket or device); give a file path".into(),
        ));
    }
    let too_big = |n: u64| {
        refuse(format!(
            "the file is {n} bytes or more; it may be at most {limit} bytes — is this the right file?"
        ))
    };
    if meta.len() > limit {
        return Err(too_big(meta.len()));
    }
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(limit + 1).read_to_end(&mut bytes))
        .map_err(|e| Error::io(what, path, e))?;
    if bytes.len() as u64 > limit {
        return Err(too_big(bytes.len() as u64));
    }
    String::from_utf8(bytes).map_err(|e| {
        let good = e.utf8_error().valid_up_to();
        let bytes = e.into_bytes();
        // The valid prefix locates the first bad byte.
        let text = std::str::from_utf8(&bytes[..good]).unwrap_or("");
        let line = text.matches('\n').count() + 1;
        let start = text.rfind('\n').map_or(0, |i| i + 1);
        let col = text[start..].chars().count() + 1;
        Error::Invalid(vec![Diagnostic {
            file: file.clone(),
            line,
            col,
            key: String::new(),
            message: format!(
                "invalid UTF-8 (byte 0x{:02x}); save the file as UTF-8 text",
                bytes[good]
            ),
            source_line: None,
        }])
    })
}

/// Characters of a source line shown on each side of the problem.
const EXCERPT_HALF: usize = 60;

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
                for (i, d) in diags.iter().take(MAX_SHOWN_PROBLEMS).enumerate() {
                    if i > 0 {
                        writeln!(f)?;
                    }
                    write!(f, "error: {d}")?;
                }
                let n = diags.len();
                if n > MAX_SHOWN_PROBLEMS {
                    write!(
                        f,
                        "\n… and {} more (only the first {MAX_SHOWN_PROBLEMS} are shown)",
                        n - MAX_SHOWN_PROBLEMS
                    )?;
                }
                write!(
                    f,
                    "\n{n} problem{} found; nothing was run",
                    if n == 1 { "" } else { "s" }
                )
            }
            Error::Usage(m) => write!(f, "error: {}", escape_controls(m)),
            Error::Io {
                action,
                path,
                source,
            } => write!(
                f,
                "error: cannot {action} {}: {source}",
                escape_controls(&path.display().to_string())
            ),
            Error::Refused(m) => write!(f, "error: {}", escape_controls(m)),
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
