"""arrears: makes sure invoices get paid."""

__version__ = "0.1.0"
