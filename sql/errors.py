"""SQL errors: one class per SQLSTATE that the SQL layer raises.

pgwire turns any ``Db9Error`` into an ErrorResponse with ``sqlstate``, ``message``, ``detail``,
``position``, ``hint`` and ``routine`` (the last three where an error has them); these classes
only name the states so code reads as what went wrong.
"""

from __future__ import annotations

import decimal

from kv.errors import Db9Error


class SqlError(Db9Error):
    sqlstate = "XX000"

    def __init__(
        self,
        message: str,
        *,
        detail: str | None = None,
        position: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, detail=detail)
        self.position = position
        self.hint = hint

    def with_state(self, sqlstate: str) -> SqlError:
        """This error answering ``sqlstate``: for states no class here names (a PL/pgSQL
        RAISE's own code, a state said once)."""
        self.sqlstate = sqlstate
        return self


class SyntaxError_(SqlError):
    sqlstate = "42601"


class UndefinedTable(SqlError):
    sqlstate = "42P01"


class UndefinedColumn(SqlError):
    sqlstate = "42703"


class UndefinedFunction(SqlError):
    sqlstate = "42883"


class AmbiguousFunction(SqlError):
    sqlstate = "42725"


class UndefinedObject(SqlError):
    sqlstate = "42704"


class UndefinedParameter(SqlError):
    sqlstate = "42P02"


class InvalidSchemaName(SqlError):
    sqlstate = "3F000"


class InvalidCatalogName(SqlError):
    sqlstate = "3D000"  # a database that does not exist


class DuplicateTable(SqlError):
    sqlstate = "42P07"


class DuplicateColumn(SqlError):
    sqlstate = "42701"


class DuplicateObject(SqlError):
    sqlstate = "42710"


class DuplicateSchema(SqlError):
    sqlstate = "42P06"


class DuplicateDatabase(SqlError):
    sqlstate = "42P04"


class AmbiguousColumn(SqlError):
    sqlstate = "42702"


class GroupingError(SqlError):
    sqlstate = "42803"


class WindowingError(SqlError):
    sqlstate = "42P20"


class DatatypeMismatch(SqlError):
    sqlstate = "42804"


class WrongObjectType(SqlError):
    sqlstate = "42809"


class InvalidColumnReference(SqlError):
    sqlstate = "42P10"


class IndeterminateDatatype(SqlError):
    sqlstate = "42P18"


class ReservedName(SqlError):
    sqlstate = "42939"


class InvalidSchemaDefinition(SqlError):
    sqlstate = "42P15"


class FeatureNotSupported(SqlError):
    sqlstate = "0A000"


class CachedPlanChanged(FeatureNotSupported):
    """A prepared statement's result row changed since it was prepared. Sent with
    PostgreSQL's routine name (the R field): asyncpg knows the error by it and prepares
    the statement again."""

    routine = "RevalidateCachedQuery"

    def __init__(self) -> None:
        super().__init__("cached plan must not change result type")


class UniqueViolation(SqlError):
    sqlstate = "23505"


class ExclusionViolation(SqlError):
    sqlstate = "23P01"


class NotNullViolation(SqlError):
    sqlstate = "23502"


class ForeignKeyViolation(SqlError):
    sqlstate = "23503"


class CheckViolation(SqlError):
    sqlstate = "23514"


class WithCheckOptionViolation(SqlError):
    sqlstate = "44000"


class CannotCoerce(SqlError):
    sqlstate = "42846"


class InvalidTextRepresentation(SqlError):
    sqlstate = "22P02"


class InvalidDatetimeFormat(SqlError):
    sqlstate = "22007"


class DatetimeFieldOverflow(SqlError):
    sqlstate = "22008"


class DivisionByZero(SqlError):
    sqlstate = "22012"


class NumericValueOutOfRange(SqlError):
    sqlstate = "22003"


class StringDataRightTruncation(SqlError):
    sqlstate = "22001"


class StringDataLengthMismatch(SqlError):
    sqlstate = "22026"


class InvalidParameterValue(SqlError):
    sqlstate = "22023"


class InvalidArgumentForLog(SqlError):
    sqlstate = "2201E"


class InvalidArgumentForPower(SqlError):
    sqlstate = "2201F"


class InvalidArgumentForWidthBucket(SqlError):
    sqlstate = "2201G"


class InvalidEscapeSequence(SqlError):
    sqlstate = "22025"


class InvalidUseOfEscapeCharacter(SqlError):
    sqlstate = "2200C"


class CardinalityViolation(SqlError):
    sqlstate = "21000"


class InFailedTransaction(SqlError):
    sqlstate = "25P02"


class ActiveSqlTransaction(SqlError):
    sqlstate = "25001"


class NoActiveSqlTransaction(SqlError):
    sqlstate = "25P01"


class InvalidTransactionState(SqlError):
    sqlstate = "25000"


class ReadOnlySqlTransaction(SqlError):
    sqlstate = "25006"


class InvalidSavepoint(SqlError):
    sqlstate = "3B001"


class DependentObjectsStillExist(SqlError):
    sqlstate = "2BP01"


class InvalidTableDefinition(SqlError):
    sqlstate = "42P16"


class ProgramLimitExceeded(SqlError):
    sqlstate = "54000"


class InvalidRegularExpression(SqlError):
    sqlstate = "2201B"


_PG_REGEX_ERRORS = (
    ("missing )", "parentheses () not balanced"),
    ("unbalanced parenthesis", "parentheses () not balanced"),
    ("unterminated character set", "brackets [] not balanced"),
    ("nothing to repeat", "quantifier operand invalid"),
    ("multiple repeat", "quantifier operand invalid"),
    ("bad escape", "invalid escape \\ sequence"),
    ("bad character range", "invalid character range"),
    ("min repeat greater than max repeat", "invalid repetition count(s)"),
)


def regex_error(exc: Exception) -> InvalidRegularExpression:
    """Python's complaint about a translated pattern, in PostgreSQL's words (regerror)."""
    text = str(exc)
    reason = next((pg for py, pg in _PG_REGEX_ERRORS if text.startswith(py)), text)
    return InvalidRegularExpression(f"invalid regular expression: {reason}")


class DataException(SqlError):
    sqlstate = "22000"


class NullValueNotAllowed(SqlError):
    sqlstate = "22004"


class ZeroLengthCharacterString(SqlError):
    sqlstate = "2200F"


class InvalidPrecedingOrFollowingSize(SqlError):
    sqlstate = "22013"


class InvalidArgumentForNtile(SqlError):
    sqlstate = "22014"


class InvalidArgumentForNthValue(SqlError):
    sqlstate = "22016"


class QueryCanceled(SqlError):
    sqlstate = "57014"


class ObjectNotInPrerequisiteState(SqlError):
    sqlstate = "55000"


class GeneratedAlways(SqlError):
    sqlstate = "428C9"


class LockNotAvailable(SqlError):
    sqlstate = "55P03"


class InternalError(SqlError):
    sqlstate = "XX000"


class BadCopyFileFormat(SqlError):
    sqlstate = "22P04"


class InvalidBinaryRepresentation(SqlError):
    sqlstate = "22P03"


class CharacterNotInRepertoire(SqlError):
    sqlstate = "22021"


class UntranslatableCharacter(SqlError):
    sqlstate = "22P05"


class ArraySubscriptError(SqlError):
    sqlstate = "2202E"


class StatementTooComplex(SqlError):
    sqlstate = "54001"


class OutOfMemory(SqlError):
    sqlstate = "53200"


def from_python(exc: BaseException) -> SqlError | None:
    """The SQL error a Python exception from evaluation stands for, if it is one of the
    resource or range failures every layer can hit; None for a bug (an internal error)."""
    if isinstance(exc, RecursionError):
        return StatementTooComplex("stack depth limit exceeded")
    if isinstance(exc, OverflowError):
        if "date" in str(exc):  # datetime arithmetic past year 9999 or before year 1
            return DatetimeFieldOverflow("timestamp out of range")
        return NumericValueOutOfRange("value out of range: overflow")
    if isinstance(exc, ValueError) and str(exc).startswith("year ") and "out of range" in str(exc):
        return DatetimeFieldOverflow("timestamp out of range")  # datetime(year=...) refused it
    if isinstance(exc, MemoryError):
        return OutOfMemory("out of memory")
    if isinstance(exc, ZeroDivisionError | decimal.DivisionByZero):
        return DivisionByZero("division by zero")
    if isinstance(exc, decimal.Overflow):
        return NumericValueOutOfRange("value overflows numeric format")
    if isinstance(exc, ValueError) and str(exc) == "math domain error":
        return NumericValueOutOfRange("input is out of range")
    return None


class InvalidCursorName(SqlError):
    sqlstate = "34000"


class DuplicateCursor(SqlError):
    sqlstate = "42P03"


class InvalidSqlStatementName(SqlError):
    sqlstate = "26000"


class InvalidObjectDefinition(SqlError):
    sqlstate = "42P17"


class SequenceGeneratorLimitExceeded(SqlError):
    sqlstate = "2200H"


class DuplicatePreparedStatement(SqlError):
    sqlstate = "42P05"


class InvalidRowCountInLimitClause(SqlError):
    sqlstate = "2201W"


class InvalidName(SqlError):
    sqlstate = "42602"


class InvalidRecursion(SqlError):
    sqlstate = "42P19"


class InsufficientPrivilege(SqlError):
    sqlstate = "42501"


class ObjectInUse(SqlError):
    sqlstate = "55006"


class DeadlockDetected(SqlError):
    sqlstate = "40P01"


class Raised(str):
    """A notice of PL/pgSQL's RAISE below ERROR: its severity (INFO, NOTICE, WARNING), its
    SQLSTATE (USING ERRCODE, else 01000 for a warning and 00000 otherwise, as errstart
    defaults it), DETAIL and HINT, and its CONTEXT line (``PL/pgSQL function ... line n at
    RAISE``)."""

    severity: str
    sqlstate: str
    detail: str | None
    hint: str | None
    context: str | None

    def __new__(
        cls,
        text: str,
        severity: str,
        sqlstate: str | None,
        detail: str | None,
        hint: str | None,
        context: str | None = None,
    ) -> Raised:
        value = super().__new__(cls, text)
        value.severity = severity
        value.sqlstate = sqlstate or ("01000" if severity == "WARNING" else "00000")
        value.detail, value.hint, value.context = detail, hint, context
        return value


def warning(text: str, sqlstate: str = "01000") -> Raised:
    """A session notice PostgreSQL sends with severity WARNING (a plain str is a NOTICE)."""
    return Raised(text, "WARNING", sqlstate, None, None)
