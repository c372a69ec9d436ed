"""Pydantic types of the plan (tasks, units, phases, settings) and of unit ledgers. No I/O here."""
