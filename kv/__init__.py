"""db9 key/value store: engine, order-preserving codec, Percolator MVCC, timestamps, GC."""
