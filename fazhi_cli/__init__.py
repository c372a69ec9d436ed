"""fazhi: a ledger tool over plain YAML files for the yearly rule-of-law government plan."""

__version__ = "0.1.0"
