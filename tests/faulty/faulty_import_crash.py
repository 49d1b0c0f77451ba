"""A backend module that segfaults while it is imported: its process dies before any test item runs."""

import ctypes

ctypes.string_at(0)
