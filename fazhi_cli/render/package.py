"""Office packages (.docx, .xlsx) as zip files with fixed member timestamps: the same data gives
the same bytes, so a report regenerated with --rev can be compared with the one handed in."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Mapping

FIXED_DATE = (2000, 1, 1, 0, 0, 0)
Member = tuple[str, "bytes | Iterable[bytes]"]


def write_package(members: Iterable[Member]) -> bytes:
    """A zip of (name, data) in the given order, every member deflated and dated FIXED_DATE.
    `data` is bytes or an iterable of byte chunks, consumed only when its member is written (so
    a big worksheet is never held whole, and a part may depend on the ones written before it)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=FIXED_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            if isinstance(data, bytes):
                target.writestr(info, data)
                continue
            with target.open(info, "w") as stream:
                for chunk in data:
                    stream.write(chunk)
    return out.getvalue()


def fixed_zip(data: bytes, replace: Mapping[str, bytes] | None = None) -> bytes:
    """The same package with fixed timestamps; members named in `replace` get those bytes."""
    source = zipfile.ZipFile(io.BytesIO(data))
    replace = replace or {}
    return write_package(
        (item.filename, replace[item.filename] if item.filename in replace else source.read(item.filename))
        for item in source.infolist()
    )
