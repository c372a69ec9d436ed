"""The Book: the workspace read once (see book.py), and its one loader (load.py)."""
