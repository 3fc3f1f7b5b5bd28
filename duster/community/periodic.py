"""The community's periodic jobs (see duster.lib.periodic)."""

import datetime as dt

from duster.lib.periodic import periodic

# Every hour, each member on the daily digest whose oldest unmailed
# notification is a day old gets their digest: at most one a day each,
# spread over the day rather than all at one hour.
periodic("community.digests", dt.timedelta(hours=1), "duster.community.tasks_mail.send_digests")
# Mail a lost or failed task left unsent, for members who want it at once.
periodic(
    "community.mail_retry",
    dt.timedelta(hours=1),
    "duster.community.tasks_mail.retry_notification_mails",
)
# Counters repaired from the rows once a day (skipped until that task exists).
periodic("community.recount", dt.timedelta(days=1), "duster.community.tasks.community_recount")
