import pytest

from duster.testing.factories import make_user


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Uploads go to a folder of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def writer(db):
    return make_user("writer")


@pytest.fixture
def writer_client(client, writer):
    client.force_login(writer)
    return client


@pytest.fixture
def stored_files(media):
    """The image files on disk, as paths under the media folder."""

    def files() -> list[str]:
        if not media.exists():
            return []
        return sorted(str(path.relative_to(media)) for path in media.rglob("*") if path.is_file())

    return files
