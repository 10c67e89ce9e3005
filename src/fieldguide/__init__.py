"""fieldguide: the small, pure-NumPy core behind the book's live demos.

Everything here runs both in CPython and in the reader's browser (Pyodide), so it
imports nothing but NumPy and the standard library, and reads no files but its own data.
"""

__version__ = "0.1.0"
