"""The record: the journal entry kinds, the hash chain, signed checkpoints, and corrections applied."""
