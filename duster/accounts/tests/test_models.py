"""Users and their pseuds."""

import pytest
from asgiref.sync import async_to_sync
from django.contrib.admin.sites import site
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import RequestFactory

from duster.accounts.models import Pseud, User
from duster.accounts.services import pseud_save
from duster.testing.factories import make_user

pytestmark = pytest.mark.django_db


def _pseud_names(user):
    return list(user.pseuds.values_list("name", "is_default"))


class TestDefaultPseud:
    def test_create_user_makes_exactly_one_default_pseud_named_like_the_user(self):
        user = User.objects.create_user(username="Lantern_7", email="l@example.com")
        assert _pseud_names(user) == [("Lantern_7", True)]
        assert user.default_pseud.name == "Lantern_7"
        assert str(user.default_pseud) == "Lantern_7"

    def test_create_superuser_makes_a_default_pseud_too(self):
        admin = User.objects.create_superuser(
            username="keeper", email="keeper@example.com", password="a-long-password"
        )
        assert admin.is_superuser
        assert _pseud_names(admin) == [("keeper", True)]

    def test_an_account_created_asynchronously_gets_its_pseud(self):
        user = async_to_sync(User.objects.acreate_user)(
            username="async_user", email="async@example.com"
        )
        assert _pseud_names(user) == [("async_user", True)]

    def test_an_account_added_in_the_admin_gets_its_pseud(self, rf: RequestFactory):
        admin = make_user("keeper", is_staff=True, is_superuser=True)
        model_admin = site._registry[User]
        request = rf.post("/admin/accounts/user/add/")
        request.user = admin
        form_class = model_admin.get_form(request, obj=None)
        form = form_class(
            data={
                "username": "added",
                "usable_password": "true",
                "password1": "a-long-password-1",
                "password2": "a-long-password-1",
            }
        )
        assert form.is_valid(), form.errors
        user = form.save()
        assert _pseud_names(user) == [("added", True)]

    def test_saving_an_existing_user_again_adds_no_pseud(self):
        user = make_user("steady")
        user.view_adult = True
        user.save()
        assert _pseud_names(user) == [("steady", True)]

    def test_a_failed_account_leaves_no_pseud_behind(self):
        make_user("taken")
        with pytest.raises(IntegrityError), transaction.atomic():
            User.objects.create_user(
                username="other", email="taken@example.com", password="another-password"
            )
        assert not Pseud.objects.filter(name="other").exists()
        assert not User.objects.filter(username="other").exists()


class TestPenNames:
    def test_a_user_can_add_pen_names_beside_the_default(self):
        user = make_user("writer")
        pseud_save(pseud=Pseud(user=user, name="Lamp Oil"))
        assert _pseud_names(user) == [("writer", True), ("Lamp Oil", False)]
        assert str(user.pseuds.get(name="Lamp Oil")) == "Lamp Oil (writer)"

    def test_a_pseud_name_is_unique_per_user_whatever_its_case(self):
        user = make_user("writer")
        pseud_save(pseud=Pseud(user=user, name="Lamp Oil"))
        with pytest.raises(ValidationError):
            pseud_save(pseud=Pseud(user=user, name="LAMP OIL"))
        with pytest.raises(ValidationError):
            pseud_save(pseud=Pseud(user=user, name="Writer"))
        with pytest.raises(IntegrityError), transaction.atomic():
            Pseud.objects.create(user=user, name="lamp oil")
        assert user.pseuds.count() == 2

    def test_two_users_may_share_a_pseud_name(self):
        first, second = make_user("first"), make_user("second")
        pseud_save(pseud=Pseud(user=first, name="Lamp Oil"))
        pseud_save(pseud=Pseud(user=second, name="lamp oil"))
        assert Pseud.objects.filter(name__iexact="lamp oil").count() == 2

    def test_a_user_has_only_one_default_pseud(self):
        user = make_user("writer")
        with pytest.raises(ValidationError):
            pseud_save(pseud=Pseud(user=user, name="Second", is_default=True))
        assert user.pseuds.filter(is_default=True).count() == 1

    @pytest.mark.parametrize("name", ["", "x" * 41, "<b>bold</b>", "semi;colon"])
    def test_a_bad_pseud_name_is_refused(self, name):
        user = make_user("writer")
        with pytest.raises(ValidationError) as error:
            pseud_save(pseud=Pseud(user=user, name=name))
        assert "name" in error.value.message_dict
        assert user.pseuds.count() == 1


class TestUsernames:
    def test_usernames_are_unique_whatever_their_case(self):
        make_user("Lantern")
        with pytest.raises(IntegrityError), transaction.atomic():
            User.objects.create_user(username="lantern", email="other@example.com")

    @pytest.mark.parametrize("username", ["ab", "has space", "dash-ed", "x" * 41])
    def test_a_bad_username_is_refused_by_validation(self, username):
        user = User(username=username, email="a@example.com", password="!")
        with pytest.raises(ValidationError) as error:
            user.full_clean()
        assert "username" in error.value.message_dict
