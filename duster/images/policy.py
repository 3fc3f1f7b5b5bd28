"""The outside image hosts in force, read without a query per request.

Three levels: a copy in this process, kept for IMAGE_HOSTS_REFRESH_SECONDS;
the shared cache (every process and machine), kept until the policy changes;
the database row. Saving the policy clears the shared entry and this
process's copy at once; other processes pick the change up within
IMAGE_HOSTS_REFRESH_SECONDS.
"""

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.signals import setting_changed
from django.dispatch import receiver

from duster.images.hosts import HOST

logger = logging.getLogger(__name__)

CACHE_KEY = "images:allowed-hosts:v1"


@dataclass(frozen=True)
class Policy:
    hosts: tuple[str, ...]
    valid_until: float
    # The CSP settings with these hosts added to img-src (None when there are
    # no hosts: the settings apply as they are).
    csp: dict | None = field(default=None, compare=False)
    csp_report_only: dict | None = field(default=None, compare=False)


_current: Policy | None = None


def current_policy() -> Policy:
    """The policy in force for this request, from this process's copy while it is fresh."""
    global _current
    policy = _current
    now = time.monotonic()
    if policy is None or now >= policy.valid_until:
        hosts = _load_hosts()
        policy = Policy(
            hosts=hosts,
            valid_until=now + settings.IMAGE_HOSTS_REFRESH_SECONDS,
            csp=_with_image_hosts(settings.SECURE_CSP, hosts),
            csp_report_only=_with_image_hosts(settings.SECURE_CSP_REPORT_ONLY, hosts),
        )
        _current = policy
    return policy


def allowed_image_hosts() -> tuple[str, ...]:
    return current_policy().hosts


def forget_policy() -> None:
    """Drop the cached policy here and in the shared cache (after a change)."""
    global _current
    _current = None
    try:
        cache.delete(CACHE_KEY)
    except Exception:  # a cache that is down must not stop the admin saving
        logger.warning("Could not clear the cached image host policy", exc_info=True)


def _load_hosts() -> tuple[str, ...]:
    try:
        hosts = cache.get(CACHE_KEY)
    except Exception:  # the cache being down must not take every page with it
        logger.warning("Could not read the cached image host policy", exc_info=True)
        hosts = None
    if hosts is None:
        from duster.images.models import ImageHostPolicy

        text = ImageHostPolicy.objects.filter(pk=1).values_list("allowed_hosts", flat=True).first()
        # Checked again here: whatever reached the row, only host names reach the header.
        hosts = tuple(host for host in (text or "").split() if HOST.fullmatch(host))
        try:
            cache.set(CACHE_KEY, hosts, None)
        except Exception:
            logger.warning("Could not cache the image host policy", exc_info=True)
    return tuple(hosts)


def _with_image_hosts(config: Mapping[str, Any], hosts: tuple[str, ...]) -> dict | None:
    """`config` (a SECURE_CSP-style dict) with the hosts added to img-src."""
    if not hosts or not config:
        return None
    sources = config.get("img-src", config.get("default-src", []))
    if isinstance(sources, str):
        sources = [sources]
    return {**config, "img-src": [*sources, *(f"https://{host}" for host in hosts)]}


@receiver(setting_changed)
def _settings_changed(*, setting: str, **kwargs) -> None:
    # Tests change settings (a fresh cache, other CSP settings) between cases.
    global _current
    if setting in ("CACHES", "SECURE_CSP", "SECURE_CSP_REPORT_ONLY") or setting.startswith(
        "IMAGE_"
    ):
        _current = None
