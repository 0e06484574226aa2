"""Content fingerprints of tables, computed from the logical values, not the file bytes.

Every column is flattened into *streams* — validity, list lengths, integer values, string
lengths and string bytes — and each stream feeds its own SHA-256. A stream is a plain
concatenation in row order, so the digest does not depend on how rows are batched, nor on
the Parquet encoding or the pyarrow version that wrote the file: only on the values.

>>> import pyarrow as pa
>>> a, b = TableDigest(), TableDigest()
>>> table = pa.table({"x": [1, 2, 3], "s": ["a", None, "ccc"]})
>>> a.update(table); b.update(table.slice(0, 1)); b.update(table.slice(1))
>>> a.hexdigest() == b.hexdigest()
True
"""

from __future__ import annotations

import hashlib
from collections import defaultdict

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def _nulls(array: pa.Array) -> bytes:
    return np.asarray(array.is_null().to_numpy(zero_copy_only=False), dtype=np.uint8).tobytes()


def _strings(array: pa.Array) -> tuple[bytes, memoryview | bytes]:
    """Lengths (int64, little-endian) and concatenated UTF-8 bytes of a string array, nulls as empty.

    The bytes are a view on the array's data buffer: nothing is copied.
    """
    if array.null_count:
        array = array.fill_null("")
    width = "<i8" if pa.types.is_large_string(array.type) else "<i4"
    offsets = np.frombuffer(array.buffers()[1], dtype=width)[array.offset : array.offset + len(array) + 1]
    data = array.buffers()[2]
    values = memoryview(data)[int(offsets[0]) : int(offsets[-1])] if data is not None and len(array) else b""
    return np.diff(offsets).astype("<i8").tobytes(), values


class TableDigest:
    """Batch-invariant SHA-256 of a table's logical content; see the module docstring."""

    def __init__(self) -> None:
        self.streams: dict[str, hashlib._Hash] = defaultdict(hashlib.sha256)

    def update(self, table: pa.Table | pa.RecordBatch) -> None:
        for name, column in zip(table.schema.names, table.columns):
            chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
            for chunk in chunks:
                self._array(name, chunk)

    def _array(self, name: str, array: pa.Array) -> None:
        self.streams[f"{name}/nulls"].update(_nulls(array))
        kind = array.type
        if pa.types.is_list(kind) or pa.types.is_large_list(kind):
            lengths = pc.fill_null(pc.list_value_length(array), 0).to_numpy(zero_copy_only=False).astype("<i8")
            self.streams[f"{name}/lengths"].update(lengths.tobytes())
            self._array(f"{name}/item", array.flatten())
        elif pa.types.is_struct(kind):
            for field, child in zip(kind, array.flatten()):
                self._array(f"{name}.{field.name}", child)
        elif pa.types.is_string(kind) or pa.types.is_large_string(kind):
            lengths, values = _strings(array)
            self.streams[f"{name}/lengths"].update(lengths)
            self.streams[f"{name}/bytes"].update(values)
        elif pa.types.is_integer(kind) or pa.types.is_boolean(kind):
            values = pc.fill_null(array.cast(pa.int64()), 0).to_numpy(zero_copy_only=False).astype("<i8")
            self.streams[f"{name}/values"].update(values.tobytes())
        else:
            raise TypeError(f"no canonical digest for column {name!r} of type {kind}")

    def hexdigest(self) -> str:
        lines = "".join(f"{name}\t{digest.hexdigest()}\n" for name, digest in sorted(self.streams.items()))
        return hashlib.sha256(lines.encode("utf-8")).hexdigest()
