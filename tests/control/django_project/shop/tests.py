"""Run by ``django-admin test`` against db9 (tests/control/test_sql_databases.py)."""

from decimal import Decimal

from django.db import connection
from django.test import TestCase
from shop.models import Item


class ItemTests(TestCase):
    def test_rows_live_in_the_test_database(self) -> None:
        Item.objects.create(name="pen", price="1.50")
        self.assertEqual(Item.objects.get(name="pen").price, Decimal("1.50"))
        with connection.cursor() as cur:
            cur.execute("SELECT current_database()")
            self.assertTrue(cur.fetchone()[0].startswith("test_postgres"))


class MoreTests(TestCase):
    def test_each_test_starts_empty(self) -> None:
        Item.objects.create(name="ink", price="2.00")
        self.assertEqual(Item.objects.count(), 1)
