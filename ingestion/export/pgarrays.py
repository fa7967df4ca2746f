"""Arrow `list<string>` -> Postgres `text[]` on the COPY stream, a whole batch at a time (no Python object per value).

Binary (`array_send`/`array_recv` in src/backend/utils/adt/arrayfuncs.c): int32 number of dimensions (0 for an
empty array, else 1), int32 flags (1 when an element is NULL), uint32 element type oid (25, text), then per
dimension int32 length and int32 lower bound (1), then each element as int32 length (-1 for NULL) and its UTF-8
bytes. CSV: the array literal `{"a","b\\"c",NULL}`, every element double-quoted with `\\` and `"` escaped by a
backslash (the CSV writer then quotes the whole field as CSV needs).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

TEXT_OID = 25
NULL_LENGTH = -1
_TEXT_LIST = pa.list_(pa.string())


def as_text_list(array: pa.Array) -> pa.Array | None:
    """The array as `list<string>`, or None when it is not a list of strings (the caller refuses it)."""
    t = array.type
    if not (pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_list_view(t)):
        return None
    value_type = t.value_type
    if not (
        pa.types.is_string(value_type)
        or pa.types.is_large_string(value_type)
        or pa.types.is_string_view(value_type)
    ):
        return None
    if pa.types.is_list(t) and pa.types.is_string(value_type):
        return array
    return array.cast(_TEXT_LIST)


def binary_fields(array: pa.Array) -> list[pa.Array]:
    """Binary arrays whose per-row concatenation is the COPY field (int32 length + `array_send` bytes) of each
    row of a `list<string>` array; a NULL list is the NULL field."""
    n = len(array)
    lengths = _lengths(array)
    offsets = np.zeros(n + 1, np.int32)
    np.cumsum(lengths, out=offsets[1:])
    values = array.flatten()  # the elements of the valid lists, in row order
    element_nulls = np.asarray(values.is_null().to_numpy(zero_copy_only=False), dtype=np.int64)
    null_before = np.zeros(len(values) + 1, np.int64)  # NULL elements before each element
    np.cumsum(element_nulls, out=null_before[1:])
    has_null = (null_before[offsets[1:]] - null_before[offsets[:-1]]) > 0

    element_lengths = pc.fill_null(pc.binary_length(values), NULL_LENGTH)
    element_prefix = _fixed(
        np.asarray(element_lengths.to_numpy(zero_copy_only=False), dtype=">i4").view(np.uint8).reshape(-1, 4)
    )
    element_bytes = pc.fill_null(values.cast(pa.binary()), pa.scalar(b"", pa.binary()))
    elements = pc.binary_join_element_wise(element_prefix, element_bytes, pa.scalar(b"", pa.binary()))
    body = pc.binary_join(
        pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), elements), pa.scalar(b"", pa.binary())
    )

    header = np.zeros((n, 5), ">i4")
    header[:, 0] = lengths > 0  # ndim
    header[:, 1] = has_null  # flags
    header[:, 2] = TEXT_OID
    header[:, 3] = lengths  # the one dimension's length
    header[:, 4] = 1  # its lower bound
    full = _fixed(header.view(np.uint8).reshape(n, 20))
    empty = _fixed(header[:, :3].copy().view(np.uint8).reshape(n, 12))
    headers = pc.if_else(pa.array(lengths > 0), full, empty)

    field_length = np.where(lengths > 0, 20, 12) + np.asarray(
        pc.binary_length(body).to_numpy(zero_copy_only=False), dtype=np.int64
    )
    valid = np.asarray(array.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    field_length = np.where(valid, field_length, NULL_LENGTH)
    prefix = _fixed(field_length.astype(">i4").view(np.uint8).reshape(n, 4))
    if array.null_count:
        nothing = pa.scalar(b"", pa.binary())
        headers = pc.if_else(pa.array(valid), headers, nothing)
        body = pc.if_else(pa.array(valid), body, nothing)
    return [prefix, headers, body]


def csv_text(array: pa.Array) -> pa.Array:
    """Each row's Postgres array literal as a string (NULL for a NULL list), for the CSV writer."""
    lengths = _lengths(array)
    offsets = np.zeros(len(array) + 1, np.int32)
    np.cumsum(lengths, out=offsets[1:])
    values = array.flatten()
    escaped = pc.replace_substring(pc.replace_substring(values, "\\", "\\\\"), '"', '\\"')
    quoted = pc.fill_null(pc.binary_join_element_wise('"', escaped, '"', ""), "NULL")
    joined = pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), quoted), ",")
    literal = pc.binary_join_element_wise("{", joined, "}", "")
    if array.null_count:
        literal = pc.if_else(array.is_valid(), literal, pa.scalar(None, pa.string()))
    return literal


def _lengths(array: pa.Array) -> np.ndarray:
    """Elements per row (0 for a NULL list: `flatten` skips its elements)."""
    counts = pc.fill_null(pc.list_value_length(array), 0)
    return np.asarray(counts.to_numpy(zero_copy_only=False), dtype=np.int64)


def _fixed(matrix: np.ndarray) -> pa.Array:
    """(n, w) bytes -> a `binary` array of n values of w bytes."""
    n, width = matrix.shape
    fixed = pa.FixedSizeBinaryArray.from_buffers(
        pa.binary(width), n, [None, pa.py_buffer(np.ascontiguousarray(matrix))]
    )
    return fixed.cast(pa.binary())
