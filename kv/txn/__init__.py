"""Percolator transaction commands, each a function over an MVCC reader and writer.

They are pure with respect to time: anything time-dependent (a lock's expiry) is decided from
timestamps passed in, so replicas applying the same command in the same order agree.
"""
