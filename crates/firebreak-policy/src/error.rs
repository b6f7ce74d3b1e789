use std::ops::Range;

use miette::{NamedSource, SourceSpan};
use thiserror::Error;

/// One problem in a policy file, at a place.
#[derive(Debug, Error, miette::Diagnostic, Clone, PartialEq, Eq)]
#[error("{path}:{line}:{column}: {message}")]
pub struct Problem {
    /// The policy file.
    pub path: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
    /// What is wrong and what was expected.
    pub message: String,
    /// A suggestion (`did you mean `fail_on`?`).
    #[help]
    pub help: Option<String>,
    /// The offending bytes.
    #[label("here")]
    pub span: SourceSpan,
}

impl Problem {
    pub(crate) fn new(
        path: &str,
        text: &str,
        span: Range<usize>,
        message: String,
        help: Option<String>,
    ) -> Self {
        let start = span.start.min(text.len());
        let loc = firebreak_core::Location::from_offset(text.as_bytes(), start);
        Problem {
            path: path.to_owned(),
            line: loc.line,
            column: loc.column,
            message,
            help,
            span: SourceSpan::from(start..span.end.clamp(start, text.len())),
        }
    }
}

/// Why a policy file was refused: every problem in it, found in one pass.
#[derive(Debug, Error, miette::Diagnostic)]
#[non_exhaustive]
pub enum PolicyError {
    /// The file is not valid TOML or its values are not what the policy expects.
    #[error("invalid policy `{path}`: {}", summary(problems))]
    #[diagnostic(help("`firebreak init` writes a commented default policy"))]
    Invalid {
        /// The file.
        path: String,
        /// The text, for labelled rendering.
        #[source_code]
        source_code: NamedSource<String>,
        /// Every problem.
        #[related]
        problems: Vec<Problem>,
    },
}

impl PolicyError {
    /// The problems found.
    pub fn problems(&self) -> &[Problem] {
        match self {
            PolicyError::Invalid { problems, .. } => problems,
        }
    }
}

fn summary(problems: &[Problem]) -> String {
    match problems {
        [one] => format!(
            "{}:{}: {}{}",
            one.line,
            one.column,
            one.message,
            one.help.as_ref().map(|h| format!(" ({h})")).unwrap_or_default()
        ),
        [first, ..] => {
            format!(
                "{} problems, the first at {}:{}: {}",
                problems.len(),
                first.line,
                first.column,
                first.message
            )
        }
        [] => "no problems recorded".to_owned(),
    }
}
