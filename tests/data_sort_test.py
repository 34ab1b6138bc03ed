"""SORT and SORT_RO (Redis 7.0 sort.c) on lists, sets and sorted sets: numeric and ALPHA order,
ties, BY with string keys and hash fields, BY nosort keeping a list's or sorted set's own order
(and DESC reading it backwards, LIMIT taking a range of it), GET (# and patterns, missing keys as
nulls, or empty strings when stored), LIMIT's clipping, STORE (a list; an empty result deletes
the destination), the errors and their order, and SORT_RO refusing STORE. Every expectation is
checked against Redis 7.0 with DATA_TARGET=redis (random SORTs are in data_differential_test)."""
import unittest

from data_hash_test import WRONGTYPE
from data_strings_test import ERR_INT, ERR_SYNTAX, DataTestCase

NOT_DOUBLE = ("error", "ERR One or more scores can't be converted into double")


class SortTest(DataTestCase):
    def test_numeric_and_alpha(self):
        c = self.call
        self.assertEqual(c("RPUSH", "l", "3", "1", "10", "2", "-1.5", "1e1"), 6)
        self.assertEqual(c("SORT", "l"), [b"-1.5", b"1", b"2", b"3", b"10", b"1e1"])  # tie: bytes
        self.assertEqual(c("SORT", "l", "DESC"), [b"1e1", b"10", b"3", b"2", b"1", b"-1.5"])
        self.assertEqual(c("SORT", "l", "ALPHA"), [b"-1.5", b"1", b"10", b"1e1", b"2", b"3"])
        self.assertEqual(c("SORT", "l", "LIMIT", "1", "2"), [b"1", b"2"])
        self.assertEqual(c("SORT", "l", "LIMIT", "-5", "2"), [b"-1.5", b"1"])
        self.assertEqual(c("SORT", "l", "LIMIT", "4", "-1"), [b"10", b"1e1"])
        self.assertEqual(c("SORT", "l", "LIMIT", "10", "2"), [])
        self.assertEqual(c("RPUSH", "bad", "1", "x"), 2)
        self.assertEqual(c("SORT", "bad"), NOT_DOUBLE)
        self.assertEqual(c("SORT", "bad", "ALPHA"), [b"1", b"x"])
        self.assertEqual(c("SADD", "s", "b", "a", "c"), 3)
        self.assertEqual(c("SORT", "s", "ALPHA", "DESC"), [b"c", b"b", b"a"])
        self.assertEqual(c("ZADD", "z", "1", "x", "2", "y", "3", "w"), 3)
        self.assertEqual(c("SORT", "z", "ALPHA"), [b"w", b"x", b"y"])
        self.assertEqual(c("SORT", "nokey"), [])
        self.assertEqual(c("SORT_RO", "l", "LIMIT", "0", "1"), [b"-1.5"])

    def test_by_and_get(self):
        c = self.call
        self.assertEqual(c("RPUSH", "ids", "1", "2", "3"), 3)
        self.assertEqual(c("MSET", "w_1", "30", "w_2", "10", "w_3", "20"), "OK")
        self.assertEqual(c("SORT", "ids", "BY", "w_*"), [b"2", b"3", b"1"])
        self.assertEqual(c("HSET", "h_1", "name", "c", "rank", "2"), 2)
        self.assertEqual(c("HSET", "h_2", "name", "a", "rank", "9"), 2)
        self.assertEqual(c("HSET", "h_3", "name", "b"), 1)  # no rank: sorts as 0
        self.assertEqual(c("SORT", "ids", "BY", "h_*->rank"), [b"3", b"1", b"2"])
        self.assertEqual(c("SORT", "ids", "BY", "h_*->name", "ALPHA"), [b"2", b"3", b"1"])
        self.assertEqual(c("SORT", "ids", "BY", "w_*", "GET", "#", "GET", "h_*->name",
                           "GET", "nope_*", "GET", "h_*->rank"),
                         [b"2", b"a", None, b"9", b"3", b"b", None, None, b"1", b"c", None, b"2"])
        # BY without '*' does not sort: a list keeps its order, DESC reads it backwards.
        self.assertEqual(c("RPUSH", "order", "c", "a", "b"), 3)
        self.assertEqual(c("SORT", "order", "BY", "nosort"), [b"c", b"a", b"b"])
        self.assertEqual(c("SORT", "order", "BY", "nosort", "DESC"), [b"b", b"a", b"c"])
        self.assertEqual(c("SORT", "order", "BY", "nosort", "LIMIT", "1", "5"), [b"a", b"b"])
        self.assertEqual(c("SORT", "order", "BY", "nosort", "DESC", "LIMIT", "0", "2"),
                         [b"b", b"a"])
        self.assertEqual(c("ZADD", "zz", "3", "a", "1", "b", "2", "c"), 3)
        self.assertEqual(c("SORT", "zz", "BY", "nosort"), [b"b", b"c", b"a"])
        self.assertEqual(c("SORT", "zz", "BY", "nosort", "DESC", "LIMIT", "1", "1"), [b"c"])
        # A value that is not a number fails a numeric sort.
        self.assertEqual(c("SET", "w_2", "x"), "OK")
        self.assertEqual(c("SORT", "ids", "BY", "w_*"), NOT_DOUBLE)

    def test_store(self):
        c = self.call
        self.assertEqual(c("RPUSH", "l", "2", "1", "3"), 3)
        self.assertEqual(c("SORT", "l", "STORE", "dst"), 3)
        self.assertEqual(c("LRANGE", "dst", "0", "-1"), [b"1", b"2", b"3"])
        self.assertEqual(c("TYPE", "dst"), "list")
        self.assertEqual(c("SORT", "l", "GET", "missing_*", "STORE", "dst"), 3)
        self.assertEqual(c("LRANGE", "dst", "0", "-1"), [b"", b"", b""])
        self.assertEqual(c("SET", "str", "v"), "OK")
        self.assertEqual(c("SORT", "l", "DESC", "STORE", "str"), 3)  # any type is replaced
        self.assertEqual(c("LRANGE", "str", "0", "-1"), [b"3", b"2", b"1"])
        self.assertEqual(c("SORT", "nokey", "STORE", "str"), 0)
        self.assertEqual(c("EXISTS", "str"), 0)
        # A set stored without sorting is sorted by ALPHA, so the stored list is definite.
        self.assertEqual(c("SADD", "s", "b", "c", "a"), 3)
        self.assertEqual(c("SORT", "s", "BY", "nosort", "STORE", "d2"), 3)
        self.assertEqual(c("LRANGE", "d2", "0", "-1"), [b"a", b"b", b"c"])

    def test_errors(self):
        c = self.call
        self.assertEqual(c("SET", "str", "v"), "OK")
        self.assertEqual(c("SORT", "str"), WRONGTYPE)
        self.assertEqual(c("HSET", "h", "f", "v"), 1)
        self.assertEqual(c("SORT", "h"), WRONGTYPE)
        self.assertEqual(c("SORT", "str", "bogus"), ERR_SYNTAX)  # options before the type
        self.assertEqual(c("SORT", "l", "LIMIT", "x", "1"), ERR_INT)
        self.assertEqual(c("SORT", "l", "LIMIT", "1"), ERR_SYNTAX)
        self.assertEqual(c("SORT", "l", "BY"), ERR_SYNTAX)
        self.assertEqual(c("SORT", "l", "STORE"), ERR_SYNTAX)
        self.assertEqual(c("SORT_RO", "l", "STORE", "d"), ERR_SYNTAX)
        self.assertEqual(c("SORT"), ("error", "ERR wrong number of arguments for 'sort' command"))


if __name__ == "__main__":
    unittest.main()
