/// Exit codes, the same for every subcommand and format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExitStatus {
    /// Nothing blocked, every input read.
    Success,
    /// The policy blocked something (findings at or above the threshold).
    #[allow(dead_code)]
    Blocked,
    /// Usage error, unreadable or invalid input, or a partial failure.
    Error,
}

impl From<ExitStatus> for std::process::ExitCode {
    fn from(status: ExitStatus) -> Self {
        std::process::ExitCode::from(match status {
            ExitStatus::Success => 0,
            ExitStatus::Blocked => 1,
            ExitStatus::Error => 2,
        })
    }
}
