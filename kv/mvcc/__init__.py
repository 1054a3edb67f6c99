"""MVCC reading and writing on top of a plain engine: key layout, records, reader, writer."""
