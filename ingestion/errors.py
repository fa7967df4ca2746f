"""The project's own exception types. Every message says what went wrong and what to do."""

from __future__ import annotations


class ImpactError(Exception):
    """Base class: the CLI prints the message and exits non-zero, without a traceback."""

    exit_code = 1


class ConfigError(ImpactError):
    """A setting or credential is missing or wrong."""

    exit_code = 2


class RegistryError(ImpactError):
    """The registry cannot be loaded. Carries every problem found (errors, and the warnings beside them), each
    naming file, field and line."""

    def __init__(self, problems: list[RegistryProblem]):
        self.problems = problems
        errors = sum(1 for p in problems if p.severity == "error")
        warnings = len(problems) - errors
        lines = "\n".join(f"  {p.severity}: {p}" for p in problems)
        super().__init__(f"the registry has {errors} error(s) and {warnings} warning(s):\n{lines}")


class IngestError(ImpactError):
    """A source file or day could not be loaded; nothing of that day was written."""


class BuildError(ImpactError):
    """dbt reported a failure."""


class ExportError(ImpactError):
    """The Postgres export cannot start or a table failed; the last good tables keep serving."""


class RegistryProblem:
    """One problem in one registry file, at one field (and line, when YAML gives it). `severity` is "error" (the
    file is unusable: the registry does not load) or "warning" (the loader normalised or left out the value, as
    the message says)."""

    __slots__ = ("path", "field", "message", "line", "severity")

    def __init__(
        self, path: str, field: str, message: str, *, line: int | None = None, severity: str = "error"
    ):
        self.path = path
        self.field = field
        self.message = message
        self.line = line
        self.severity = severity

    def __str__(self) -> str:
        at = f"line {self.line}: " if self.line else ""
        return f"{self.path}: {self.field}: {at}{self.message}"

    def __repr__(self) -> str:
        return (
            f"RegistryProblem({self.path!r}, {self.field!r}, {self.message!r}, line={self.line!r}, "
            f"severity={self.severity!r})"
        )


class WarehouseBusyError(ImpactError):
    """Another process holds the warehouse: the message names it and since when; retry later or wait for it."""

    exit_code = 75
    """EX_TEMPFAIL: the command may succeed when run again."""
