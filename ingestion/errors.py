"""The project's own exception types. Every message says what went wrong and what to do."""

from __future__ import annotations


class ImpactError(Exception):
    """Base class: the CLI prints the message and exits non-zero, without a traceback."""

    exit_code = 1


class ConfigError(ImpactError):
    """A setting or credential is missing or wrong."""

    exit_code = 2


class RegistryError(ImpactError):
    """The registry is invalid. Carries every problem found, each naming file and field."""

    def __init__(self, problems: list[RegistryProblem]):
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"the registry has {len(problems)} problem(s):\n{lines}")


class IngestError(ImpactError):
    """A source file or day could not be loaded; nothing of that day was written."""


class BuildError(ImpactError):
    """dbt reported a failure."""


class ExportError(ImpactError):
    """The Postgres export cannot start or a table failed; the last good tables keep serving."""


class RegistryProblem:
    """One problem in one registry file, at one field."""

    __slots__ = ("path", "field", "message")

    def __init__(self, path: str, field: str, message: str):
        self.path = path
        self.field = field
        self.message = message

    def __str__(self) -> str:
        return f"{self.path}: {self.field}: {self.message}"

    def __repr__(self) -> str:
        return f"RegistryProblem({self.path!r}, {self.field!r}, {self.message!r})"


class WarehouseBusyError(ImpactError):
    """Another process holds the warehouse: the message names it and since when; retry later or wait for it."""

    exit_code = 75
    """EX_TEMPFAIL: the command may succeed when run again."""
