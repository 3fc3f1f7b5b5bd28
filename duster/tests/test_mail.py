from django.core.mail import send_mail

LINK = (
    "http://127.0.0.1:8000/account/activate/MQ:1xVbnZ:eLQ8FNGt0fO7WBNvvx8aINbFduBnF0d-41CFLK1PjCs/"
)


def test_mail_files_keep_a_long_link_on_one_line(settings, tmp_path):
    settings.MAILERS = {
        "default": {
            "BACKEND": "duster.lib.mail.ReadableFileBackend",
            "OPTIONS": {"file_path": str(tmp_path)},
        }
    }
    send_mail("Confirm your account", f"Open this:\n\n{LINK}\n\nIt’s you?", None, ["a@example.com"])
    (written,) = tmp_path.iterdir()
    text = written.read_text(encoding="utf-8")
    assert LINK in text.splitlines()
    assert "Subject: Confirm your account" in text and "To: a@example.com" in text
    assert "It’s you?" in text
