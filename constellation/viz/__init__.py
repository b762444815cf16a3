"""Pictures of a run: matplotlib plots (``plots``) and a self-contained HTML report (``report``)."""

KINDS = ("groundtracks", "contacts", "topology", "latency", "storage", "battery", "revisit")
"""Every plot kind, in the order the report shows them."""
