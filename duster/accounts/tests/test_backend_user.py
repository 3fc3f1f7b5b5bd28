"""AccountBackend.get_user: the member of each request, read by one plain
statement, must be the very user the ORM would give, and no one else."""

import pytest
from django.test import Client

from duster.accounts.backends import AccountBackend
from duster.accounts.models import User
from duster.testing.factories import make_user

pytestmark = pytest.mark.django_db


def values(user: User) -> dict:
    return {field.attname: getattr(user, field.attname) for field in User._meta.concrete_fields}


def test_the_user_read_is_the_orms_field_for_field():
    made = make_user("reader", time_zone="Asia/Tokyo", reader_theme="dark", reader_full_work=True)
    read = AccountBackend().get_user(made.pk)
    assert read is not None
    assert values(read) == values(User.objects.get(pk=made.pk))
    assert read.reader_full_work is True and read.date_joined.tzinfo is not None


@pytest.mark.parametrize("user_id", ["999999", "not a number", None])
def test_no_user_for_an_id_that_names_none(user_id):
    make_user("reader")
    assert AccountBackend().get_user(user_id) is None


def test_a_deactivated_account_is_no_ones_session():
    user = make_user("reader")
    client = Client()
    client.force_login(user)
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert AccountBackend().get_user(user.pk) is None
    assert b"Log in" in client.get("/").content


def test_a_password_change_elsewhere_ends_other_sessions():
    user = make_user("reader")
    client = Client()
    client.force_login(user)
    assert b"/users/reader/" in client.get("/works/").content
    user.set_password("another-long-password")
    user.save()
    assert b"/users/reader/" not in client.get("/works/").content
