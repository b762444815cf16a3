"""Pictures of a run: matplotlib plots (``plots``) and a self-contained HTML report (``report``)."""
