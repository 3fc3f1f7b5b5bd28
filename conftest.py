import pytest


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path, request):
    """Fast hashing, tasks run at once, a private cache per test, no copy
    of the search index on disk (each test's database is new), static files
    by their own names whether or not `make run` collected them already."""
    settings.SEARCH_INDEX_DIR = ""
    if not request.node.get_closest_marker("collected_static"):
        settings.STORAGES = {
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": str(tmp_path),
        }
    }


@pytest.fixture(autouse=True)
def _fresh_filter_index():
    """Each test's database starts over, so does this process's filter index."""
    from duster.search.index import filter_index_reset

    filter_index_reset()
    yield
    filter_index_reset()
