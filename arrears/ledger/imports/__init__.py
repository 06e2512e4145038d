"""Atomic, validated imports of customers, invoices and payments (CSV, JSON, JSON Lines)."""
