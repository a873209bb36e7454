"""The preparedness program: its priorities and schedule of exercises, and the corrective actions
of each finalised AAR/IP, tracked to closure with an append-only, hash-chained history."""
