"""Pure component trees for each page; no data access."""
