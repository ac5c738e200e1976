"""Key rings and key sources: which private keys we hold, and which one worked."""
