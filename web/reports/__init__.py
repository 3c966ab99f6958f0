"""The reports (issue 18): their pages, JSON twins and exports (CSV, XLSX, PDF)."""
