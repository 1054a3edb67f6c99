"""SQL errors: one class per SQLSTATE that the SQL layer raises.

pgwire turns any ``Db9Error`` into an ErrorResponse with ``sqlstate``, ``message``, ``detail``
and ``position``; these classes only name the states so code reads as what went wrong.
"""

from __future__ import annotations

from kv.errors import Db9Error


class SqlError(Db9Error):
    sqlstate = "XX000"

    def __init__(
        self, message: str, *, detail: str | None = None, position: int | None = None
    ) -> None:
        super().__init__(message, detail=detail)
        self.position = position


def _state(name: str, code: str) -> type[SqlError]:
    return type(name, (SqlError,), {"sqlstate": code, "__doc__": f"SQLSTATE {code}"})


SyntaxError_ = _state("SyntaxError_", "42601")
UndefinedTable = _state("UndefinedTable", "42P01")
UndefinedColumn = _state("UndefinedColumn", "42703")
UndefinedFunction = _state("UndefinedFunction", "42883")
UndefinedObject = _state("UndefinedObject", "42704")
UndefinedParameter = _state("UndefinedParameter", "42P02")
InvalidSchemaName = _state("InvalidSchemaName", "3F000")
DuplicateTable = _state("DuplicateTable", "42P07")
DuplicateColumn = _state("DuplicateColumn", "42701")
DuplicateObject = _state("DuplicateObject", "42710")
DuplicateSchema = _state("DuplicateSchema", "42P06")
AmbiguousColumn = _state("AmbiguousColumn", "42702")
GroupingError = _state("GroupingError", "42803")
DatatypeMismatch = _state("DatatypeMismatch", "42804")
WrongObjectType = _state("WrongObjectType", "42809")
InvalidColumnReference = _state("InvalidColumnReference", "42P10")
FeatureNotSupported = _state("FeatureNotSupported", "0A000")
UniqueViolation = _state("UniqueViolation", "23505")
NotNullViolation = _state("NotNullViolation", "23502")
ForeignKeyViolation = _state("ForeignKeyViolation", "23503")
CheckViolation = _state("CheckViolation", "23514")
InvalidTextRepresentation = _state("InvalidTextRepresentation", "22P02")
InvalidDatetimeFormat = _state("InvalidDatetimeFormat", "22007")
DatetimeFieldOverflow = _state("DatetimeFieldOverflow", "22008")
DivisionByZero = _state("DivisionByZero", "22012")
NumericValueOutOfRange = _state("NumericValueOutOfRange", "22003")
StringDataRightTruncation = _state("StringDataRightTruncation", "22001")
InvalidParameterValue = _state("InvalidParameterValue", "22023")
InvalidEscapeSequence = _state("InvalidEscapeSequence", "22025")
CardinalityViolation = _state("CardinalityViolation", "21000")
InFailedTransaction = _state("InFailedTransaction", "25P02")
ActiveSqlTransaction = _state("ActiveSqlTransaction", "25001")
NoActiveSqlTransaction = _state("NoActiveSqlTransaction", "25P01")
InvalidTransactionState = _state("InvalidTransactionState", "25000")
ReadOnlySqlTransaction = _state("ReadOnlySqlTransaction", "25006")
InvalidSavepoint = _state("InvalidSavepoint", "3B001")
DependentObjectsStillExist = _state("DependentObjectsStillExist", "2BP01")
InvalidTableDefinition = _state("InvalidTableDefinition", "42P16")
ProgramLimitExceeded = _state("ProgramLimitExceeded", "54000")
InvalidRegularExpression = _state("InvalidRegularExpression", "2201B")
DataException = _state("DataException", "22000")
QueryCanceled = _state("QueryCanceled", "57014")
ObjectNotInPrerequisiteState = _state("ObjectNotInPrerequisiteState", "55000")
GeneratedAlways = _state("GeneratedAlways", "428C9")
LockNotAvailable = _state("LockNotAvailable", "55P03")
InternalError = _state("InternalError", "XX000")
