import stat
from pathlib import Path

from django.apps import AppConfig
from django.conf import settings


class AccountsConfig(AppConfig):
    name = "duster.accounts"
    label = "accounts"

    def ready(self):
        make_var_private()


def make_var_private() -> None:
    """Take group and world access off what older versions of Duster left
    readable under var/ (the database, mail with reset links, the cache, the
    secret key); new files are private anyway (the umask in settings). A
    directory made private hides all it holds. Static files and uploads are
    for everyone and stay as they are."""
    var = Path(settings.VAR_DIR)
    public = {Path(settings.STATIC_ROOT), Path(settings.MEDIA_ROOT)}
    try:
        entries = list(var.iterdir())
    except OSError:
        return
    for path in entries:
        if path in public:
            continue
        try:
            mode = path.lstat().st_mode
            if not stat.S_ISLNK(mode) and mode & 0o077:
                path.chmod(stat.S_IMODE(mode) & 0o700)
        except OSError:
            continue  # not ours to change
