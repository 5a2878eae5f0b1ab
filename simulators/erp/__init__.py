"""The ERP: system of record for customers, orders, freight-charge postings and invoices."""
