"""The production readiness checklist, executable: `make checklist` (python -m checklist)."""
