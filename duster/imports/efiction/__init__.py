"""Reading eFiction 3.x archives: a MySQL/MariaDB dump becomes plain rows per table.

`read_dump(path)` gives a `Dump` (tables by name without prefix, the prefix found, warnings);
`text` holds the helpers for eFiction's dates, id lists and double-encoded text.
"""

from duster.imports.efiction.dump import Dump, DumpError, DumpWarning, read_dump, read_dump_text
from duster.imports.efiction.text import (
    as_int,
    as_text,
    id_list,
    parse_date,
    repair_double_encoding,
    strip_slashes,
)

__all__ = [
    "Dump",
    "DumpError",
    "DumpWarning",
    "as_int",
    "as_text",
    "id_list",
    "parse_date",
    "read_dump",
    "read_dump_text",
    "repair_double_encoding",
    "strip_slashes",
]
